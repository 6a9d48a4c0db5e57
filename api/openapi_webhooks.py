"""OpenAPI paths and schemas of the webhooks endpoints (merged by ``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

from api.bodies.links import MAX_LABEL
from api.listing import DEFAULT_LIMIT, MAX_LIMIT
from api.openapi_parts import (
    ATTRIBUTED,
    ID_PARAMETER,
    NO_CONTROL,
    TEXT_ERRORS,
    error,
    object_schema,
    ok,
    operation,
    page_parameters,
    ref,
)
from api.webhooks import PATH
from smartlinks.netguard import MAX_URL_LENGTH
from smartlinks.webhooks import (
    ATTEMPTS_SHOWN,
    CONVERSION_RECORDED,
    EVENTS,
    LINK_CLICKED,
    MAX_WEBHOOKS_PER_TENANT,
)

_NOT_FOUND = error("webhook_not_found")
_FIELD_ERRORS = (
    "unknown_field", *TEXT_ERRORS, "invalid_webhook_url", "webhook_url_forbidden", "invalid_event",
    "link_not_found",
)  # fmt: skip

_ID = {"type": "string", "pattern": "^[0-9a-f]{32}$", "description": "32 lowercase hex characters."}
_TIME = {"type": "string", "format": "date-time", "description": "RFC 3339 in UTC."}
_NULLABLE_TIME = {**_TIME, "type": ["string", "null"]}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_URL = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_URL_LENGTH,
    "description": "Where deliveries are POSTed: http or https, no credentials or #fragment. Its host must"
    " resolve to public addresses only, unless the deployment sets SMARTLINKS_WEBHOOK_ALLOW_PRIVATE;"
    " it is checked again before every attempt. Redirects are not followed.",
}
_EVENTS = {
    "type": "array",
    "items": {"type": "string", "enum": list(EVENTS)},
    "minItems": 1,
    "description": "Event types to deliver: `link.clicked` (a click on a link), `conversion.recorded`"
    ' (a conversion sent to POST /api/v1/events, once attributed); default `["link.clicked"]`.',
}
_CAMPAIGN = {
    "type": ["string", "null"],
    "maxLength": MAX_LABEL,
    "pattern": NO_CONTROL,
    "description": "Only clicks of links of this campaign, and conversions of it; null: any campaign.",
}
_LINK_ID = {
    **_ID,
    "type": ["string", "null"],
    "description": "Only clicks of this link of the tenant, and conversions attributed to a click on it"
    " (a conversion without a click has no link); null: any.",
}
_INCLUDE_BOTS = {
    "type": "boolean",
    "description": "Deliver bot clicks too (link previews, crawlers, HEAD); default false. Conversions are"
    " never bots.",
}
_WEBHOOK = {
    "id": _ID,
    "url": {"type": "string"},
    "events": {"type": "array", "items": {"type": "string", "enum": list(EVENTS)}},
    "campaign": _NULLABLE_TEXT,
    "link_id": {"type": ["string", "null"]},
    "include_bots": {"type": "boolean"},
    "enabled": {"type": "boolean"},
    "disabled_reason": {
        "type": ["string", "null"],
        "description": "Why the service disabled it (its endpoint failed for the whole retry period);"
        " null when enabled or disabled through the API.",
    },
    "created_at": _TIME,
    "updated_at": _TIME,
}
_ATTEMPT = {
    "at": _TIME,
    "status_code": {"type": ["integer", "null"], "description": "null: no HTTP answer (see error)."},
    "error": {"type": ["string", "null"], "description": "Connection failure, timeout or refused address."},
    "body": {"type": ["string", "null"], "description": "The first KiB of the response body."},
    "duration_ms": {"type": "integer", "minimum": 0},
}
_DELIVERY = {
    "id": {**_ID, "description": "Stable across retries: the receiver's de-duplication key."},
    "event_id": {
        "type": "string",
        "description": "The click's id (`link.clicked`), or the conversion's id as sent"
        " (`conversion.recorded`).",
    },
    "type": {"type": "string", "enum": list(EVENTS)},
    "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
    "attempts": {"type": "integer", "minimum": 0, "description": "Attempts made so far."},
    "created_at": _TIME,
    "next_attempt_at": {
        **_NULLABLE_TIME,
        "description": "When pending: when the next attempt is due (null while the webhook is disabled).",
    },
    "delivered_at": _NULLABLE_TIME,
    "last_response": {"oneOf": [ref("WebhookAttempt"), {"type": "null"}]},
    "attempt_log": {
        "type": "array",
        "items": ref("WebhookAttempt"),
        "description": f"The latest {ATTEMPTS_SHOWN} attempts, newest first.",
    },
}
_LINK = {
    "id": _ID,
    "code": {"type": "string"},
    "short_url": {"type": "string"},
    "destination_url": {"type": "string"},
    "title": _NULLABLE_TEXT,
    "campaign": _NULLABLE_TEXT,
    "contact_id": _NULLABLE_TEXT,
}
_CLICK = {
    "id": {**_ID, "description": "The click's id (event id)."},
    "ts": _TIME,
    "kind": {"type": "string", "enum": ["unique", "repeat", "bot"]},
    "contact_id": _NULLABLE_TEXT,
    "campaign": _NULLABLE_TEXT,
    "country": {"type": ["string", "null"], "description": "ISO 3166-1 alpha-2."},
    "city": _NULLABLE_TEXT,
    "device": {"type": ["string", "null"], "enum": ["desktop", "mobile", "tablet", "other", None]},
    "browser": _NULLABLE_TEXT,
    "os": _NULLABLE_TEXT,
    "referrer": {"type": ["string", "null"], "description": "The referring host."},
}

_CONVERSION = {
    "id": {"type": "string", "description": "The conversion's id, as sent."},
    "name": {"type": "string", "description": "What was completed: purchase, signup, ..."},
    "value": {
        "type": ["string", "null"],
        "pattern": r"^[0-9]+(\.[0-9]+)?$",
        "description": "A decimal as text (no float rounding), as recorded; null without one.",
    },
    "currency": {"type": ["string", "null"], "pattern": "^[A-Z]{3}$", "description": "ISO 4217, with value."},
    "campaign": _NULLABLE_TEXT,
    "contact_id": _NULLABLE_TEXT,
    **ATTRIBUTED,
}
_DELIVERY_ID = {**_ID, "description": "The delivery id, the same on every retry: de-duplicate by it."}

_SIGNING = (
    " Each delivery is a POST of a `WebhookEvent` with `Content-Type: application/json`,"
    " `User-Agent: Smartlinks-Webhooks/1`, `Smartlinks-Delivery: <delivery id>`,"
    " `Smartlinks-Event: <type>` and `Smartlinks-Signature: t=<unix seconds>,v1=<hex>`, where"
    " the hex is HMAC-SHA256 keyed with the whole secret over `<t>.<body>` (refuse a `t` more than"
    " a few minutes old). Any 2xx within 10 s is success; anything else is retried with exponential"
    " backoff for 24 hours (the deployment's SMARTLINKS_WEBHOOK_RETRY_FOR), with the same delivery id."
    " A webhook whose endpoint fails for that whole period is disabled with `disabled_reason`."
)

PATHS: dict[str, Any] = {
    PATH: {
        "get": operation(
            "listWebhooks",
            "List the tenant's webhooks, newest first.",
            {"200": ok("All webhooks.", "WebhookList")},
        ),
        "post": operation(
            "createWebhook",
            "Create a webhook (click or conversion trigger). The answer holds the signing `secret`,"
            " shown this once." + _SIGNING,
            {
                "201": ok("The new webhook with its `secret`; `Location` names it.", "WebhookCreated"),
                "409": error("too_many_webhooks"),
                "422": error("missing_field", *_FIELD_ERRORS),
            },
            body="WebhookCreate",
        ),
    },
    PATH + "/{id}": {
        "parameters": [ID_PARAMETER],
        "get": operation(
            "getWebhook", "Read a webhook.", {"200": ok("The webhook.", "Webhook"), "404": _NOT_FOUND}
        ),
        "patch": operation(
            "updateWebhook",
            "Change a webhook; `enabled: true` also clears `disabled_reason`, and deliveries that waited"
            " while it was disabled are sent. Consumers see the change within about a second.",
            {"200": ok("The changed webhook.", "Webhook"), "404": _NOT_FOUND, "422": error(*_FIELD_ERRORS)},
            body="WebhookPatch",
        ),
        "delete": operation(
            "deleteWebhook",
            "Delete a webhook and its deliveries.",
            {"204": {"description": "Deleted."}, "404": _NOT_FOUND},
        ),
    },
    PATH + "/{id}/deliveries": {
        "parameters": [ID_PARAMETER],
        "get": operation(
            "listWebhookDeliveries",
            "The webhook's deliveries, newest first, with their attempts and responses (kept 30 days).",
            {
                "200": ok("A page of deliveries.", "WebhookDeliveryList"),
                "400": error("invalid_limit", "invalid_cursor"),
                "404": _NOT_FOUND,
            },
            parameters=page_parameters(DEFAULT_LIMIT, MAX_LIMIT),
        ),
    },
}

SCHEMAS: dict[str, Any] = {
    "Webhook": object_schema(_WEBHOOK, tuple(_WEBHOOK)),
    "WebhookList": object_schema({"items": {"type": "array", "items": ref("Webhook")}}, ("items",)),
    "WebhookCreated": object_schema(
        {
            **_WEBHOOK,
            "secret": {
                "type": "string",
                "pattern": "^whsec_",
                "description": "Signs every delivery (`Smartlinks-Signature`); shown this once only.",
            },
        },
        (*_WEBHOOK, "secret"),
    ),
    "WebhookCreate": {
        **object_schema(
            {
                "url": _URL,
                "events": _EVENTS,
                "campaign": _CAMPAIGN,
                "link_id": _LINK_ID,
                "include_bots": _INCLUDE_BOTS,
            },
            ("url",),
        ),
        "description": f"Both filters may be set (a click must pass both). At most {MAX_WEBHOOKS_PER_TENANT}"
        " webhooks per tenant.",
    },
    "WebhookPatch": {
        **object_schema(
            {
                "url": _URL,
                "events": _EVENTS,
                "campaign": _CAMPAIGN,
                "link_id": _LINK_ID,
                "include_bots": _INCLUDE_BOTS,
                "enabled": {"type": "boolean"},
            }
        ),
        "description": "Fields left out stay as they are; null clears campaign or link_id.",
    },
    "WebhookAttempt": object_schema(_ATTEMPT, tuple(_ATTEMPT)),
    "WebhookDelivery": object_schema(_DELIVERY, tuple(_DELIVERY)),
    "WebhookDeliveryList": object_schema(
        {
            "items": {"type": "array", "items": ref("WebhookDelivery")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass as `cursor` for the next page; null on the last page.",
            },
        },
        ("items", "next_cursor"),
    ),
    "WebhookEvent": {
        "oneOf": [ref("LinkClickedEvent"), ref("ConversionRecordedEvent")],
        "description": "The body POSTed to a webhook's url for each matching event; `type` tells which.",
    },
    "LinkClickedEvent": {
        **object_schema(
            {
                "id": _DELIVERY_ID,
                "type": {"const": LINK_CLICKED},
                "created_at": _TIME,
                "data": object_schema(
                    {
                        "link": object_schema(_LINK, tuple(_LINK)),
                        "click": object_schema(_CLICK, tuple(_CLICK)),
                    },
                    ("link", "click"),
                ),
            },
            ("id", "type", "created_at", "data"),
        ),
        "description": "`link.clicked`: a click on a link the webhook hears.",
    },
    "ConversionRecordedEvent": {
        **object_schema(
            {
                "id": _DELIVERY_ID,
                "type": {"const": CONVERSION_RECORDED},
                "created_at": _TIME,
                "occurred_at": {
                    **_TIME,
                    "description": "When the conversion happened (its `at`), RFC 3339 in UTC.",
                },
                "data": object_schema(
                    {"conversion": object_schema(_CONVERSION, tuple(_CONVERSION))}, ("conversion",)
                ),
            },
            ("id", "type", "created_at", "occurred_at", "data"),
        ),
        "description": "`conversion.recorded`: a conversion of the webhook's campaign (and link), once"
        " stored and attributed. A conversion sent again under the same id is delivered once.",
    },
}

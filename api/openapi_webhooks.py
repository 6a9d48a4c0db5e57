"""OpenAPI paths and schemas of the webhooks endpoints (merged by ``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

from api.bodies.components import components
from api.bodies.webhooks import (
    ConversionRecordedEvent,
    LinkClickedEvent,
    WebhookCreate,
    WebhookCreated,
    WebhookDeliveryList,
    WebhookList,
    WebhookPatch,
)
from api.listing import DEFAULT_LIMIT, MAX_LIMIT
from api.openapi_parts import ID_PARAMETER, TEXT_ERRORS, error, ok, operation, page_parameters, ref
from api.webhooks import PATH

_NOT_FOUND = error("webhook_not_found")
_FIELD_ERRORS = (
    "unknown_field", *TEXT_ERRORS, "invalid_webhook_url", "webhook_url_forbidden", "invalid_event",
    "link_not_found",
)  # fmt: skip

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
    **components(
        [
            WebhookList, WebhookCreated, WebhookCreate, WebhookPatch, WebhookDeliveryList, LinkClickedEvent,
            ConversionRecordedEvent,
        ]
    ),
    "WebhookEvent": {
        "oneOf": [ref("LinkClickedEvent"), ref("ConversionRecordedEvent")],
        "description": "The body POSTed to a webhook's url for each matching event; `type` tells which.",
    },
}  # fmt: skip

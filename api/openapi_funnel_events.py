"""OpenAPI path and schemas of ``POST /api/v1/events`` (merged by ``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

from api.bodies.links import MAX_LABEL
from api.funnel_events import MAX_EVENTS, MAX_EVENTS_BODY, MAX_ID, MAX_NAME
from api.openapi_parts import NO_CONTROL, NOT_BLANK, error, object_schema, ok, operation

_TEXT = {
    "type": "string",
    "minLength": 1,
    "pattern": NOT_BLANK,
    "description": "Not blank; no control characters.",
}
_LABEL = {**_TEXT, "maxLength": MAX_LABEL}
_AT = {
    "type": ["string", "null"],
    "anyOf": [{"type": "null"}, {"format": "date-time"}, {"format": "date"}],
    "description": "When it happened (RFC 3339, or a date: midnight UTC at its start); left out or null:"
    " now."
    " At most 1 day ahead and 400 days back.",
}
_ID = {**_TEXT, "maxLength": MAX_ID, "description": "Yours, unique per tenant: an id sent again counts once."}


def _sent(name: str) -> dict[str, Any]:
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


# A conversion's value and currency go together: both, or neither (left out or null).
VALUE_WITH_CURRENCY: dict[str, Any] = {
    "allOf": [
        {"if": _sent("value"), "then": _sent("currency")},
        {"if": _sent("currency"), "then": _sent("value")},
    ]
}

_EVENT_CODES = ", ".join(
    f"`{code}`"
    for code in (
        "invalid_type", "unknown_event_type", "unknown_field", "missing_field", "blank", "too_long",
        "control_characters", "invalid_datetime", "at_out_of_range", "value_required", "invalid_value",
        "currency_required", "invalid_currency", "invalid_click_id",
    )
)  # fmt: skip

PATHS: dict[str, Any] = {
    "/api/v1/events": {
        "post": operation(
            "recordFunnelEvents",
            f"Record up to {MAX_EVENTS} deliveries and conversions (body up to {MAX_EVENTS_BODY >> 20} MiB)."
            " Each event is checked on its own: the answer counts the accepted ones and the"
            " duplicates (an id sent again in the request, or already recorded) and lists every"
            " refused event with its index and reason; the others are recorded all the same."
            " Accepted events are on disk before the answer is sent. A conversion is attributed to"
            " the click its `click_id` names (the `sl_click` parameter of a tracked link), else to"
            " its contact's last human click on a link of its campaign within the tenant's"
            " attribution window, else to the campaign and contact as sent. A refused event's `code`"
            f" is one of {_EVENT_CODES}.",
            {
                "200": ok("What was recorded, and why the rest was not.", "FunnelEventsResult"),
                "400": error("invalid_json", "body_not_object", "client_disconnected"),
                "422": error("missing_field", "unknown_field", "invalid_type", "too_many_events"),
                "503": error("events_unavailable"),
            },
            body="FunnelEvents",
        )
    }
}

SCHEMAS: dict[str, Any] = {
    "FunnelEvents": object_schema(
        {
            "events": {
                "type": "array",
                "maxItems": MAX_EVENTS,
                "items": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/Delivered"},
                        {"$ref": "#/components/schemas/Conversion"},
                    ]
                },
            }
        },
        ("events",),
    ),
    "Delivered": object_schema(
        {
            "type": {"const": "message.delivered"},
            "id": _ID,
            "campaign": _LABEL,
            "contact_id": _LABEL,
            "message_id": {"type": ["string", "null"], "maxLength": MAX_ID, "pattern": NO_CONTROL},
            "at": _AT,
        },
        ("type", "id", "campaign", "contact_id"),
    ),
    "Conversion": object_schema(
        {
            "type": {"const": "conversion"},
            "id": _ID,
            "name": {
                **_TEXT,
                "maxLength": MAX_NAME,
                "description": "What was completed: purchase, signup, ...",
            },
            "click_id": {
                "type": ["string", "null"],
                "pattern": "^[0-9a-fA-F]{32}$",
                "description": "The `sl_click` value the tracked link added to the landing page's URL.",
            },
            "campaign": {**_LABEL, "type": ["string", "null"]},
            "contact_id": {**_LABEL, "type": ["string", "null"]},
            "value": {
                "type": ["string", "number", "null"],
                "description": "A decimal >= 0 (at most 14 digits and 4 decimals), with `currency`.",
                "anyOf": [
                    {"type": "null"},
                    {"type": "string", "pattern": r"^[0-9]{1,14}(\.[0-9]{1,4})?$"},
                    {"type": "number", "minimum": 0, "maximum": 99_999_999_999_999, "multipleOf": 0.0001},
                ],
            },
            "currency": {
                "type": ["string", "null"],
                "pattern": "^[A-Z]{3}$",
                "description": "ISO 4217, with `value`.",
            },
            "at": _AT,
        },
        ("type", "id", "name"),
    )
    | VALUE_WITH_CURRENCY,
    "FunnelEventsResult": object_schema(
        {
            "accepted": {"type": "integer", "minimum": 0},
            "duplicates": {"type": "integer", "minimum": 0},
            "errors": {
                "type": "array",
                "items": object_schema(
                    {
                        "index": {"type": "integer", "minimum": 0},
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": ["string", "null"]},
                    },
                    ("index", "code", "message", "field"),
                ),
            },
        },
        ("accepted", "duplicates", "errors"),
    ),
}

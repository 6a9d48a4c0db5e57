"""OpenAPI path and schemas of ``POST /api/v1/events`` (merged by ``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

from api.bodies.components import components
from api.bodies.funnel_events import (
    MAX_EVENTS,
    VALUE_WITH_CURRENCY,
    Conversion,
    Delivered,
    FunnelEvents,
    FunnelEventsResult,
)
from api.funnel_events import MAX_EVENTS_BODY
from api.openapi_parts import error, ok, operation

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

_SCHEMAS = components([FunnelEvents, Delivered, Conversion, FunnelEventsResult])
SCHEMAS: dict[str, Any] = {**_SCHEMAS, "Conversion": {**_SCHEMAS["Conversion"], **VALUE_WITH_CURRENCY}}

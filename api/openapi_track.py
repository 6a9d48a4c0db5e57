"""OpenAPI path and schema of ``POST /api/v1/track/conversion``, the browser's conversion
beacon (merged by ``api/openapi.py``). Its event is a conversion of ``POST /api/v1/events``."""

from __future__ import annotations

from typing import Any

from api.bodies.components import components
from api.bodies.funnel_events import VALUE_WITH_CURRENCY, ConversionBeacon
from api.openapi_parts import BODY_ERRORS, error, ok, operation, ref
from api.track import MAX_BODY, PATH, PREFLIGHT_HEADERS

_CORS = {"Access-Control-Allow-Origin": {"schema": {"const": "*"}}}
_EVENT_ERRORS = (
    "invalid_type", "unknown_field", "missing_field", "blank", "too_long", "control_characters",
    "invalid_datetime", "at_out_of_range", "value_required", "invalid_value", "currency_required",
    "invalid_currency", "invalid_click_id", "unknown_event_type",
)  # fmt: skip


def _with_cors(response: dict[str, Any]) -> dict[str, Any]:
    return {**response, "headers": _CORS}


PATHS: dict[str, Any] = {
    PATH: {
        "post": operation(
            "trackConversion",
            "Record one conversion from a web page, with a publishable key (`slp_...`) sent as"
            " `Authorization: Bearer` or as the body's `key` (`navigator.sendBeacon` cannot set"
            " headers, and sends a string as `text/plain`: such a body is read as JSON too)."
            f" The body is at most {MAX_BODY} bytes. The visitor's address (behind"
            " SMARTLINKS_TRUSTED_PROXIES, the one they forward) and user agent give the conversion"
            " its country and device when the tenant collects metadata. Any origin may call it;"
            " every answer carries `Access-Control-Allow-Origin: *`. A secret key is refused:"
            " servers send `POST /api/v1/events`.",
            {
                "200": _with_cors(
                    ok("Recorded, or a duplicate of an id already sent.", "FunnelEventsResult")
                ),
                "400": _with_cors(error(*BODY_ERRORS)),
                "403": _with_cors(error("key_not_allowed")),
                "422": _with_cors(error(*_EVENT_ERRORS)),
                "503": _with_cors(error("events_unavailable")),
            },
            body="ConversionBeacon",
            security=[{"publishableKey": []}],
            requestBody={
                "required": True,
                "content": {
                    media_type: {"schema": ref("ConversionBeacon")}
                    for media_type in ("application/json", "text/plain")
                },
            },
        ),
        "options": {
            "operationId": "trackConversionPreflight",
            "summary": "The CORS preflight of trackConversion: needs no key.",
            "security": [],
            "responses": {
                "204": {
                    "description": "What a page may send.",
                    "headers": {
                        name: {"schema": {"const": value}} for name, value in PREFLIGHT_HEADERS.items()
                    },
                }
            },
        },
    }
}

_SCHEMAS = components([ConversionBeacon])
SCHEMAS: dict[str, Any] = {"ConversionBeacon": {**_SCHEMAS["ConversionBeacon"], **VALUE_WITH_CURRENCY}}

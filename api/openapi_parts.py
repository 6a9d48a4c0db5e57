"""Building blocks of the OpenAPI document, shared by the modules that describe a part
of the API (``api/openapi.py`` gathers them)."""

from __future__ import annotations

from typing import Any

from api.analytics.buckets import MAX_BUCKETS
from api.validation import CONTROL

BODY_ERRORS = ("invalid_json", "body_not_object", "client_disconnected")
# What api.validation.text refuses in a free-text field.
TEXT_ERRORS = ("invalid_type", "too_long", "control_characters")
LINK_FIELD_ERRORS = (
    "unknown_field", *TEXT_ERRORS, "invalid_url", "url_too_long", "url_control_characters",
    "unsupported_scheme", "url_has_credentials", "url_unsafe_normalisation", "invalid_datetime",
    "expires_in_past",
)  # fmt: skip


_HEX_ID = {"type": ["string", "null"], "pattern": "^[0-9a-f]{32}$"}
# How a conversion found its click, as the conversion.recorded webhook and the contact view show it.
ATTRIBUTED: dict[str, Any] = {
    "link_id": {**_HEX_ID, "description": "The link of its click; null without one."},
    "click_id": {**_HEX_ID, "description": "The click it was attributed to; null without one."},
    "attribution": {
        "type": "string",
        "enum": ["click_id", "last_click", "sent"],
        "description": "How it found its click: by the click id the site sent back, as the contact's last"
        " human click on the campaign within the tenant's attribution window, or not at all (campaign"
        " and contact as sent).",
    },
}


# Text without the control characters api.validation.text refuses.
_CONTROLS = CONTROL.pattern[1:-1]
NO_CONTROL = f"^[^{_CONTROLS}]*$"
# ... with at least one character that is not white space (str.isspace, less the controls
# above): what a field that must say something (a key's name, an event's id) requires.
_SPACE = r"\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = f"^[^{_CONTROLS}]*[^{_CONTROLS}{_SPACE}][^{_CONTROLS}]*$"


def text_schema(max_length: int, *, nullable: bool = True, min_length: int = 0) -> dict[str, Any]:
    """A free-text field as ``api.validation.text`` checks it."""
    schema: dict[str, Any] = {
        "type": ["string", "null"] if nullable else "string",
        "maxLength": max_length,
        "pattern": NO_CONTROL,
        "description": "No control characters.",
    }
    if min_length:
        schema["minLength"] = min_length
    return schema


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def error(*codes: str) -> dict[str, Any]:
    return {
        "description": "Error: " + ", ".join(f"`{code}`" for code in codes) + ".",
        "content": {"application/json": {"schema": ref("Error")}},
        "x-codes": list(codes),
    }


def request_body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


def operation(
    operation_id: str, summary: str, responses: dict[str, Any], body: str | None = None, **extra: Any
) -> dict[str, Any]:
    all_responses = {**responses, "401": error("unauthorized")}
    if any(parameter.get("in") == "query" for parameter in extra.get("parameters", ())):
        # api.validation.SingleValuedQuery: each query parameter takes one value.
        refused = all_responses.get("400", {}).get("x-codes", [])
        all_responses["400"] = error(*refused, "repeated_parameter")
    if body is not None:
        all_responses.setdefault("400", error(*BODY_ERRORS))
        all_responses["413"] = error("body_too_large")
        all_responses["415"] = error("unsupported_media_type")
    spec = {
        "operationId": operation_id,
        "summary": summary,
        "responses": dict(sorted(all_responses.items())),
    }
    if body is not None:
        spec["requestBody"] = request_body(body)
    return {**spec, **extra}


def query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter. The API reads an empty one as not given (a blank form
    field), except a true/false one: an empty value is neither, and is refused."""
    parameter = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if schema.get("type") != "boolean":
        parameter["allowEmptyValue"] = True
    return parameter


def page_parameters(default_limit: int, max_limit: int) -> list[dict[str, Any]]:
    """The query of a paged list: its page size and where the page starts."""
    return [
        query(
            "limit",
            f"Page size, default {default_limit}.",
            {"type": "integer", "minimum": 1, "maximum": max_limit},
        ),
        query(
            "cursor",
            "`next_cursor` of the previous page, as it was: opaque, in the URL-safe base64 alphabet."
            " Anything else is `invalid_cursor`.",
            {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
        ),
    ]


# A page's own cursor, in the body: where the next page starts.
NEXT_CURSOR = {
    "type": ["string", "null"],
    "description": "Pass as `cursor` for the next page; null on the last page.",
}
# The id of a link, key or webhook in the path.
ID_PARAMETER = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
COUNT = {"type": "integer", "minimum": 0}


def object_schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object: no properties beyond those listed."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def timeseries_schema(description: str, counts: tuple[str, ...]) -> dict[str, Any]:
    """Every bucket of an analytics range in order: its start ``t`` and its counts."""
    return {
        "type": "array",
        "description": description,
        "items": object_schema({"t": {"type": "string"}, **dict.fromkeys(counts, COUNT)}, ("t", *counts)),
    }


# The query of every analytics operation (a link's, a campaign's).
# What the query of an analytics request can get wrong (api/analytics_routes.py).
ANALYTICS_ERRORS = (
    "invalid_preset", "invalid_range", "invalid_datetime", "invalid_interval", "invalid_tz",
    "invalid_boolean",
)  # fmt: skip
_WHEN: dict[str, Any] = {
    "type": "string",
    "anyOf": [{"format": "date"}, {"format": "date-time"}, {"maxLength": 0}],
}


def _given(*names: str) -> dict[str, Any]:
    """Sent with a value: an empty parameter counts as not given."""
    return {"required": list(names), "properties": {name: {"minLength": 1} for name in names}}


# The range of an analytics request: a preset, or from with an optional to, never both. A
# rule across parameters, which one object parameter (sent as separate preset, from and to
# query parameters: form style, exploded) can state and separate parameters cannot.
RANGE_PARAMETER: dict[str, Any] = {
    "name": "range",
    "in": "query",
    "required": False,
    "style": "form",
    "explode": True,
    "description": "Sent as the query parameters `preset`, or `from` with an optional `to`, never both."
    " preset: 7d, 30d or 90d back from now (the default when neither is sent). from: a date"
    " (YYYY-MM-DD, the start of that day in tz) or an RFC 3339 timestamp. to: the same (a date"
    " includes that whole day), after from; default now. The range holds at most"
    f" {MAX_BUCKETS:,} buckets of the interval (else `invalid_range`). Empty values count as not"
    " given.",
    "schema": {
        "type": "object",
        "properties": {
            "preset": {"type": "string", "enum": ["7d", "30d", "90d", ""]},
            "from": _WHEN,
            "to": _WHEN,
        },
        "additionalProperties": False,
        "allOf": [
            {"not": _given("preset", "from")},
            {"not": _given("preset", "to")},
            {"if": _given("to"), "then": _given("from")},
        ],
    },
}
ANALYTICS_PARAMETERS = [
    RANGE_PARAMETER,
    query(
        "interval", "Bucket size, default day.", {"type": "string", "enum": ["hour", "day", "week", "month"]}
    ),
    query(
        "exclude_bots", "Leave bots out of every figure but totals.bots; default false.", {"type": "boolean"}
    ),
    query("tz", "IANA time zone for buckets and dates, default UTC.", ref("TimeZone")),
]

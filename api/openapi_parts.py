"""Building blocks of the OpenAPI document, shared by the modules that describe a part
of the API (``api/openapi.py`` gathers them)."""

from __future__ import annotations

from typing import Any

from api.analytics.buckets import MAX_BUCKETS
from api.bodies import fields

BODY_ERRORS = ("invalid_json", "body_not_object", "client_disconnected")
# What api.validation.text refuses in a free-text field.
TEXT_ERRORS = ("invalid_type", "too_long", "control_characters")
LINK_FIELD_ERRORS = (
    "unknown_field", *TEXT_ERRORS, "invalid_url", "url_too_long", "url_control_characters",
    "unsupported_scheme", "url_has_credentials", "url_unsafe_normalisation", "redirect_loop",
    "invalid_datetime", "expires_in_past", "invalid_max_clicks", "invalid_password", "invalid_target",
    "too_many_targets", "invalid_variants",
)  # fmt: skip


# The text pattern of api.bodies.fields in the document's syntax (ECMA's $ is the very end),
# for the parameters the paths tables describe by hand.
NO_CONTROL = fields.NO_CONTROL.removesuffix(fields.END) + "$"


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


# The id of a link, key or webhook in the path.
ID_PARAMETER = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


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
# The click log takes the analytics' range, bot toggle and zone (so a page of figures and
# its clicks agree), but without them it is the whole log, as it always was.
LOG_PARAMETERS = [
    {
        **RANGE_PARAMETER,
        "description": "Only the clicks in a range, named as analytics name it: `preset` (7d, 30d or"
        " 90d back from now), or `from` with an optional `to` (dates in tz, or RFC 3339 timestamps),"
        " never both. Neither: the whole log. Empty values count as not given.",
    },
    query("exclude_bots", "Leave bots out; default false.", {"type": "boolean"}),
    query("tz", "IANA time zone that from and to dates are read in, default UTC.", ref("TimeZone")),
]
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

"""Building blocks of the OpenAPI document, shared by the modules that describe a part
of the API (``api/openapi.py`` gathers them)."""

from __future__ import annotations

from typing import Any

BODY_ERRORS = ("invalid_json", "body_not_object", "client_disconnected")
LINK_FIELD_ERRORS = (
    "unknown_field", "invalid_type", "too_long", "control_characters", "invalid_url", "url_too_long",
    "url_control_characters", "unsupported_scheme", "url_has_credentials", "url_unsafe_normalisation",
    "invalid_datetime", "expires_in_past",
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


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def error(*codes: str) -> dict[str, Any]:
    return {
        "description": "Error: " + ", ".join(f"`{code}`" for code in codes) + ".",
        "content": {"application/json": {"schema": ref("Error")}},
    }


def request_body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


def operation(
    operation_id: str, summary: str, responses: dict[str, Any], body: str | None = None, **extra: Any
) -> dict[str, Any]:
    all_responses = {**responses, "401": error("unauthorized")}
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
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def object_schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object: no properties beyond those listed."""
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


# The query of every analytics operation (a link's, a campaign's).
# What the query of an analytics request can get wrong (api/analytics_routes.py).
ANALYTICS_ERRORS = (
    "invalid_preset", "invalid_range", "invalid_datetime", "invalid_interval", "invalid_tz",
    "invalid_boolean",
)  # fmt: skip
ANALYTICS_PARAMETERS = [
    query(
        "preset",
        "7d, 30d or 90d back from now (default 7d when no from/to).",
        {"type": "string", "enum": ["7d", "30d", "90d"]},
    ),
    query("from", "Start: a date (YYYY-MM-DD, in tz) or an RFC 3339 timestamp.", {"type": "string"}),
    query(
        "to",
        "End: a date (that whole day included) or an RFC 3339 timestamp; default now.",
        {"type": "string"},
    ),
    query(
        "interval", "Bucket size, default day.", {"type": "string", "enum": ["hour", "day", "week", "month"]}
    ),
    query(
        "exclude_bots", "Leave bots out of every figure but totals.bots; default false.", {"type": "boolean"}
    ),
    query("tz", "IANA time zone for buckets and dates, default UTC.", {"type": "string"}),
]

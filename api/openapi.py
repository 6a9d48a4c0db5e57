"""The OpenAPI 3.1 document of ``/api/v1``, written by hand and served at
``/api/v1/openapi.json``. A test holds it to the routes the app really serves."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import CSRF_HEADER, SESSION_COOKIE
from api.listing import DEFAULT_LIMIT, MAX_LIMIT
from api.openapi_schemas import SCHEMAS
from api.responses import json_response
from api.routing import resource
from api.validation import MAX_BODY_BYTES
from smartlinks.settings import Settings

PATH = "/api/v1/openapi.json"
BODY_ERRORS = ("invalid_json", "body_not_object", "client_disconnected")
LINK_FIELD_ERRORS = (
    "unknown_field", "invalid_type", "too_long", "control_characters", "invalid_url", "url_too_long",
    "url_control_characters", "unsupported_scheme", "url_has_credentials", "invalid_datetime",
    "expires_in_past",
)  # fmt: skip


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _error(*codes: str) -> dict[str, Any]:
    return {
        "description": "Error: " + ", ".join(f"`{code}`" for code in codes) + ".",
        "content": {"application/json": {"schema": _ref("Error")}},
    }


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _operation(
    operation_id: str, summary: str, responses: dict[str, Any], body: str | None = None, **extra: Any
) -> dict[str, Any]:
    all_responses = {**responses, "401": _error("unauthorized")}
    if body is not None:
        all_responses.setdefault("400", _error(*BODY_ERRORS))
        all_responses["413"] = _error("body_too_large")
        all_responses["415"] = _error("unsupported_media_type")
    operation = {
        "operationId": operation_id,
        "summary": summary,
        "responses": dict(sorted(all_responses.items())),
    }
    if body is not None:
        operation["requestBody"] = _body(body)
    return {**operation, **extra}


_ID_PARAMETER = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_LINK_NOT_FOUND = _error("link_not_found")


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_LIST_PARAMETERS = [
    _query(
        "search",
        "Case-insensitive substring of the title or destination URL.",
        {"type": "string", "maxLength": 200},
    ),
    _query("status", "Only active or only expired links.", {"type": "string", "enum": ["active", "expired"]}),
    _query("campaign", "Only links of this campaign (exact match).", {"type": "string", "maxLength": 200}),
    _query(
        "limit",
        f"Page size, default {DEFAULT_LIMIT}.",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
    ),
    _query("cursor", "`next_cursor` of the previous page.", {"type": "string"}),
]

_ANALYTICS_PARAMETERS = [
    _query(
        "preset",
        "7d, 30d or 90d back from now (default 7d when no from/to).",
        {"type": "string", "enum": ["7d", "30d", "90d"]},
    ),
    _query("from", "Start: a date (YYYY-MM-DD, in tz) or an RFC 3339 timestamp.", {"type": "string"}),
    _query(
        "to",
        "End: a date (that whole day included) or an RFC 3339 timestamp; default now.",
        {"type": "string"},
    ),
    _query(
        "interval", "Bucket size, default day.", {"type": "string", "enum": ["hour", "day", "week", "month"]}
    ),
    _query(
        "exclude_bots", "Leave bots out of every figure but totals.bots; default false.", {"type": "boolean"}
    ),
    _query("tz", "IANA time zone for buckets and dates, default UTC.", {"type": "string"}),
]

_PATHS: dict[str, Any] = {
    "/api/v1/links": {
        "get": _operation(
            "listLinks",
            "List links, newest first. Empty parameters count as not given.",
            {
                "200": _ok("A page of links.", "LinkList"),
                "400": _error(
                    "invalid_limit", "invalid_status", "invalid_cursor", "invalid_search", "invalid_campaign"
                ),
            },
            parameters=_LIST_PARAMETERS,
        ),
        "post": _operation(
            "createLink",
            "Create a link.",
            {
                "201": _ok("The new link; `Location` names it.", "Link"),
                "409": _error("code_taken"),
                "422": _error("missing_field", "invalid_code", "code_reserved", *LINK_FIELD_ERRORS),
            },
            body="LinkCreate",
        ),
    },
    "/api/v1/links/{id}": {
        "parameters": [_ID_PARAMETER],
        "get": _operation(
            "getLink", "Read a link.", {"200": _ok("The link.", "Link"), "404": _LINK_NOT_FOUND}
        ),
        "patch": _operation(
            "updateLink",
            "Change a link's destination, title or expiry; every redirector sees it within a second.",
            {
                "200": _ok("The changed link.", "Link"),
                "404": _LINK_NOT_FOUND,
                "422": _error("code_immutable", *LINK_FIELD_ERRORS),
            },
            body="LinkPatch",
        ),
        "delete": _operation(
            "deleteLink",
            "Delete a link: it stops redirecting at once; its code is never reused.",
            {"204": {"description": "Deleted."}, "404": _LINK_NOT_FOUND},
        ),
    },
    "/api/v1/links/{id}/analytics": {
        "parameters": [_ID_PARAMETER],
        "get": _operation(
            "getLinkAnalytics",
            "Totals, time series and breakdowns of a link's clicks in a range.",
            {
                "200": _ok("The link's analytics.", "Analytics"),
                "400": _error(
                    "invalid_preset",
                    "invalid_range",
                    "invalid_datetime",
                    "invalid_interval",
                    "invalid_tz",
                    "invalid_boolean",
                ),
                "404": _LINK_NOT_FOUND,
            },
            parameters=_ANALYTICS_PARAMETERS,
        ),
    },
    "/api/v1/links/{id}/clicks": {
        "parameters": [_ID_PARAMETER],
        "get": _operation(
            "listLinkClicks",
            "The click log, newest first; `kind` is unique (the visitor's first click), repeat or bot.",
            {
                "200": _ok("A page of clicks.", "ClickList"),
                "400": _error("invalid_limit", "invalid_cursor"),
                "404": _LINK_NOT_FOUND,
            },
            parameters=[
                _query("limit", "Page size, default 50.", {"type": "integer", "minimum": 1, "maximum": 200}),
                _query("cursor", "`next_cursor` of the previous page.", {"type": "string"}),
            ],
        ),
    },
    "/api/v1/settings": {
        "get": _operation(
            "getSettings", "Read the tenant's settings.", {"200": _ok("Settings.", "Settings")}
        ),
        "patch": _operation(
            "updateSettings",
            "Change the tenant's settings. With collect_metadata false, clicks are counted but no"
            " location, device, browser or OS is kept.",
            {"200": _ok("The settings now.", "Settings"), "422": _error("unknown_field", "invalid_type")},
            body="SettingsPatch",
        ),
    },
    "/api/v1/keys": {
        "get": _operation(
            "listKeys",
            "List the tenant's API keys, revoked ones included.",
            {"200": _ok("All keys.", "ApiKeyList")},
        ),
        "post": _operation(
            "createKey",
            "Create an API key. The response is the only time the key itself is shown.",
            {
                "201": _ok("The new key, with `key`.", "ApiKeyCreated"),
                "422": _error(
                    "unknown_field",
                    "missing_field",
                    "invalid_type",
                    "too_long",
                    "blank",
                    "control_characters",
                ),
            },
            body="ApiKeyCreate",
        ),
    },
    "/api/v1/keys/{id}": {
        "parameters": [_ID_PARAMETER],
        "delete": _operation(
            "revokeKey",
            "Revoke an API key (the request's own key included, when another active key exists)."
            " Revoking a revoked key does nothing.",
            {
                "204": {"description": "Revoked."},
                "404": _error("key_not_found"),
                "409": _error("last_active_key"),
            },
        ),
    },
    PATH: {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document. Needs no key.",
            "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {}}}},
        }
    },
}


def openapi_document(settings: Settings) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Smart Links API",
            "version": "1",
            "description": "Short links for a tenant, authenticated by an API key."
            f" Request bodies are JSON objects of at most {MAX_BODY_BYTES} bytes."
            " Every error is `{error: {code, message, field?}}`; unknown paths answer 404"
            " `not_found` and wrong methods 405 `method_not_allowed`.",
        },
        "servers": [{"url": settings.base_url}],
        "security": [{"bearerAuth": []}],
        "paths": _PATHS,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "dashboardSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": SESSION_COOKIE,
                    "description": "The dashboard's session, from `POST /dashboard/session` with an API key."
                    f" A cookie alone authorises reads: a change must also send `{CSRF_HEADER}` with the"
                    " session's token and come from this origin, or it is answered 401. A request that"
                    " sends `Authorization` is judged by that key alone.",
                },
            },
            "schemas": SCHEMAS,
        },
    }


def openapi_route(settings: Settings) -> Route:
    document = openapi_document(settings)

    async def openapi(request: Request) -> Response:
        return json_response(document)

    return resource(PATH, get=openapi)

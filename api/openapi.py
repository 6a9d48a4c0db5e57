"""The OpenAPI 3.1 document of ``/api/v1``, written by hand and served at
``/api/v1/openapi.json``. A test holds it to the routes the app really serves."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api import (
    openapi_campaigns,
    openapi_export,
    openapi_funnel,
    openapi_funnel_events,
    openapi_messaging,
    openapi_qr,
    openapi_tags_domains,
    openapi_track,
    openapi_webhooks,
)
from api.analytics_routes import DEFAULT_CLICKS_LIMIT, MAX_CLICKS_LIMIT
from api.auth import CSRF_HEADER, SESSION_COOKIE
from api.listing import DEFAULT_LIMIT, MAX_FILTER, MAX_LIMIT
from api.openapi_parts import (
    ANALYTICS_ERRORS,
    ANALYTICS_PARAMETERS,
    ID_PARAMETER,
    LINK_FIELD_ERRORS,
    LOG_PARAMETERS,
    NO_CONTROL,
    TEXT_ERRORS,
    error,
    ok,
    operation,
    page_parameters,
    query,
)
from api.openapi_schemas import SCHEMAS
from api.responses import json_response
from api.routing import resource
from api.validation import MAX_BODY_BYTES
from smartlinks.settings import Settings

PATH = "/api/v1/openapi.json"
_LINK_NOT_FOUND = error("link_not_found")


_LIST_PARAMETERS = [
    query(
        "search",
        "Case-insensitive substring of the title, destination URL or code.",
        {"type": "string", "maxLength": MAX_FILTER, "pattern": NO_CONTROL},
    ),
    query("status", "Only active or only expired links.", {"type": "string", "enum": ["active", "expired"]}),
    query(
        "campaign",
        "Only links of this campaign (exact match).",
        {"type": "string", "maxLength": MAX_FILTER, "pattern": NO_CONTROL},
    ),
    openapi_tags_domains.TAG_PARAMETER,
    *page_parameters(DEFAULT_LIMIT, MAX_LIMIT),
]


_KEY_ERRORS = ("invalid_key_kind", "invalid_scope")

_PATHS: dict[str, Any] = {
    "/api/v1/links": {
        "get": operation(
            "listLinks",
            "List links, newest first. Empty parameters count as not given.",
            {
                "200": ok("A page of links.", "LinkList"),
                "400": error(
                    "invalid_limit",
                    "invalid_status",
                    "invalid_cursor",
                    "invalid_search",
                    "invalid_campaign",
                    *openapi_tags_domains.LINK_LIST_ERRORS,
                ),
            },
            parameters=_LIST_PARAMETERS,
        ),
        "post": operation(
            "createLink",
            "Create a link.",
            {
                "201": ok("The new link; `Location` names it.", "Link"),
                "409": error("code_taken"),
                "422": error(
                    "missing_field",
                    "invalid_code",
                    "code_reserved",
                    *LINK_FIELD_ERRORS,
                    *openapi_tags_domains.LINK_CREATE_ERRORS,
                ),
            },
            body="LinkCreate",
        ),
    },
    "/api/v1/links/{id}": {
        "parameters": [ID_PARAMETER],
        "get": operation("getLink", "Read a link.", {"200": ok("The link.", "Link"), "404": _LINK_NOT_FOUND}),
        "patch": operation(
            "updateLink",
            "Change a link's destination, title or expiry; every redirector sees it within a second.",
            {
                "200": ok("The changed link.", "Link"),
                "404": _LINK_NOT_FOUND,
                "422": error("code_immutable", *LINK_FIELD_ERRORS, *openapi_tags_domains.LINK_PATCH_ERRORS),
            },
            body="LinkPatch",
        ),
        "delete": operation(
            "deleteLink",
            "Delete a link: it stops redirecting at once; its code is never reused.",
            {"204": {"description": "Deleted."}, "404": _LINK_NOT_FOUND},
        ),
    },
    "/api/v1/links/{id}/analytics": {
        "parameters": [ID_PARAMETER],
        "get": operation(
            "getLinkAnalytics",
            "Totals, time series and breakdowns of a link's clicks in a range.",
            {
                "200": ok("The link's analytics.", "Analytics"),
                "400": error(*ANALYTICS_ERRORS),
                "404": _LINK_NOT_FOUND,
            },
            parameters=ANALYTICS_PARAMETERS,
        ),
    },
    "/api/v1/links/{id}/clicks": {
        "parameters": [ID_PARAMETER],
        "get": operation(
            "listLinkClicks",
            "The click log, newest first; `kind` is unique (the visitor's first click), repeat or bot.",
            {
                "200": ok("A page of clicks.", "ClickList"),
                "400": error(
                    "invalid_limit",
                    "invalid_cursor",
                    "invalid_preset",
                    "invalid_range",
                    "invalid_datetime",
                    "invalid_tz",
                    "invalid_boolean",
                ),
                "404": _LINK_NOT_FOUND,
            },
            parameters=[*page_parameters(DEFAULT_CLICKS_LIMIT, MAX_CLICKS_LIMIT), *LOG_PARAMETERS],
        ),
    },
    "/api/v1/settings": {
        "get": operation("getSettings", "Read the tenant's settings.", {"200": ok("Settings.", "Settings")}),
        "patch": operation(
            "updateSettings",
            "Change the tenant's settings. With collect_metadata false, clicks are counted but no"
            " location, device, browser or OS is kept. Clicks matching bot_user_agents or"
            " bot_ip_ranges count as bots from the next click the consumer enriches.",
            {
                "200": ok("The settings now.", "Settings"),
                "422": error(
                    "unknown_field",
                    "invalid_type",
                    "invalid_click_id_param",
                    "invalid_attribution_window",
                    "too_many_bot_rules",
                    "too_long",
                    "blank",
                    "control_characters",
                    "invalid_bot_ip_range",
                ),
            },
            body="SettingsPatch",
        ),
    },
    "/api/v1/keys": {
        "get": operation(
            "listKeys",
            "List the tenant's API keys, revoked ones included.",
            {"200": ok("All keys.", "ApiKeyList")},
        ),
        "post": operation(
            "createKey",
            "Create an API key, secret (the default) or publishable; a secret key's scope is full"
            " (the default) or read_only. The response is the only time the key itself is shown.",
            {
                "201": ok("The new key, with `key`.", "ApiKeyCreated"),
                "422": error("unknown_field", "missing_field", *TEXT_ERRORS, "blank", *_KEY_ERRORS),
            },
            body="ApiKeyCreate",
        ),
    },
    "/api/v1/keys/{id}": {
        "parameters": [ID_PARAMETER],
        "delete": operation(
            "revokeKey",
            "Revoke an API key (the request's own key included, when another active secret key"
            " exists; a publishable key any time). Revoking a revoked key does nothing.",
            {
                "204": {"description": "Revoked."},
                "404": error("key_not_found"),
                "409": error("last_active_key"),
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


# The parts of the API described in modules of their own.
_PARTS = (
    openapi_messaging, openapi_campaigns, openapi_webhooks, openapi_qr, openapi_funnel_events, openapi_track,
    openapi_funnel, openapi_tags_domains, openapi_export,
)  # fmt: skip


_CHANGES = frozenset({"post", "put", "patch", "delete"})
_READ_REFUSALS = ("key_not_allowed",)
_CHANGE_REFUSALS = (*_READ_REFUSALS, "csrf_failed", "insufficient_scope")


def _with_refusals(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation behind the API's authentication may be refused 403: with
    ``key_not_allowed`` when a publishable key asks, and a change with ``csrf_failed`` too,
    since the dashboard's cookie authenticates any operation but changes only with the
    session's CSRF token, and with ``insufficient_scope`` when a read-only key (or session)
    asks for it. An operation with security of its own (this document, the conversion
    beacon) is not behind it."""

    def refused(method: str, spec: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(spec, dict) or "security" in spec:
            return spec
        codes = _CHANGE_REFUSALS if method in _CHANGES else _READ_REFUSALS
        return {**spec, "responses": dict(sorted({**spec["responses"], "403": error(*codes)}.items()))}

    return {
        path: {method: refused(method, spec) for method, spec in item.items()} for path, item in paths.items()
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
            " `not_found` and wrong methods 405 `method_not_allowed`. Each query parameter takes one"
            " value: one given twice is 400 `repeated_parameter`.",
        },
        "servers": [{"url": settings.base_url}],
        "security": [{"bearerAuth": []}],
        "paths": _with_refusals(
            {**_PATHS, **{path: spec for part in _PARTS for path, spec in part.PATHS.items()}}
        ),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A secret key (`sl_...`). Its scope (`POST /api/v1/keys`) is full, or"
                    " read_only: GET and HEAD only, anything else 403 `insufficient_scope`.",
                },
                "publishableKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A publishable key (`slp_...`, made with `POST /api/v1/keys` and"
                    ' `"kind": "publishable"`): safe in a web page, it only reports conversions; it may'
                    " also be sent as the body's `key`. Anywhere else it is 403 `key_not_allowed`.",
                },
                "dashboardSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": SESSION_COOKIE,
                    "description": "The dashboard's session, from `POST /dashboard/session` with an API key."
                    f" A cookie alone authorises reads: a change must also send `{CSRF_HEADER}` with the"
                    " session's token and come from this origin, or it is answered 403 `csrf_failed`."
                    " Signing out (`DELETE /dashboard/session`) ends the session on the server: its"
                    " cookie then gets 401. A request that sends `Authorization` is judged by that key"
                    " alone.",
                },
            },
            "schemas": {**SCHEMAS, **{name: spec for part in _PARTS for name, spec in part.SCHEMAS.items()}},
        },
    }


def openapi_route(settings: Settings) -> Route:
    document = openapi_document(settings)

    async def openapi(request: Request) -> Response:
        return json_response(document)

    return resource(PATH, get=openapi)

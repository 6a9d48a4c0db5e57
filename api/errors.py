"""API errors: one exception type, the JSON error body, and the handlers that turn every
failure into that body, so a client never sees a stack trace and no input reaches a 5xx."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any, Literal, cast, get_args

from msgspec import UNSET, Meta, UnsetType
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from api.bodies.fields import Body
from api.responses import json_response

log = logging.getLogger(__name__)

# Every machine code the API answers with, declared here and nowhere else. ApiError takes
# only these: mypy holds every raise in api/ to this list, so no test
# needs to read the source. ERROR_CODES gives each its meaning (a check at import keeps the
# two the same set); the OpenAPI document lists them from it, and names each code in the
# responses of the operations that answer it (tests/api/test_openapi.py checks the served
# document against this table).
ErrorCode = Literal[
    "invalid_json",
    "body_not_object",
    "body_too_large",
    "unsupported_media_type",
    "client_disconnected",
    "unknown_field",
    "missing_field",
    "invalid_type",
    "too_long",
    "blank",
    "control_characters",
    "invalid_url",
    "url_too_long",
    "url_control_characters",
    "unsupported_scheme",
    "url_has_credentials",
    "url_unsafe_normalisation",
    "redirect_loop",
    "invalid_code",
    "code_reserved",
    "code_taken",
    "code_immutable",
    "invalid_max_clicks",
    "invalid_password",
    "invalid_target",
    "too_many_targets",
    "invalid_variants",
    "no_items",
    "too_many_items",
    "invalid_idempotency_key",
    "idempotency_key_reused",
    "too_many_urls",
    "too_many_events",
    "unknown_event_type",
    "at_out_of_range",
    "invalid_value",
    "value_required",
    "currency_required",
    "invalid_currency",
    "invalid_click_id",
    "events_unavailable",
    "invalid_datetime",
    "expires_in_past",
    "invalid_limit",
    "invalid_status",
    "invalid_cursor",
    "invalid_search",
    "invalid_campaign",
    "invalid_tz",
    "invalid_interval",
    "invalid_preset",
    "invalid_range",
    "invalid_boolean",
    "repeated_parameter",
    "invalid_contact_id",
    "invalid_click_id_param",
    "invalid_attribution_window",
    "too_many_bot_rules",
    "invalid_bot_ip_range",
    "invalid_format",
    "invalid_size",
    "unauthorized",
    "csrf_failed",
    "link_not_found",
    "campaign_not_found",
    "key_not_found",
    "webhook_not_found",
    "invalid_webhook_url",
    "webhook_url_forbidden",
    "invalid_event",
    "too_many_webhooks",
    "last_active_key",
    "invalid_key_kind",
    "key_not_allowed",
    "invalid_scope",
    "insufficient_scope",
    # Tags and own domains (issue 15).
    "too_many_tags",
    "invalid_tag",
    "tag_not_found",
    "invalid_domain",
    "domain_taken",
    "domain_in_use",
    "domain_not_found",
    "unknown_domain",
    "domain_immutable",
    "not_found",
    "method_not_allowed",
    "bad_request",
    "internal_error",
]

# What each code means, as the OpenAPI document says it.
ERROR_CODES: dict[ErrorCode, str] = {
    "invalid_json": "The body is not valid UTF-8 JSON.",
    "body_not_object": "The body is JSON but not an object.",
    "body_too_large": "The body is larger than 1 MiB (16 MiB for a bulk create).",
    "unsupported_media_type": "The body is not sent as application/json.",
    "client_disconnected": "The client went away before sending the whole body.",
    "unknown_field": "The body has a field this operation does not accept.",
    "missing_field": "A required field is missing.",
    "invalid_type": "A field has the wrong JSON type (or is null where null is not allowed).",
    "too_long": "A text field is longer than allowed.",
    "blank": "A text field that must say something is empty.",
    "control_characters": "A text field contains control characters.",
    # The URL codes hold for every URL field (destination_url, expired_url, a target's or a
    # variant's destination_url, a domain's not_found_url): the error's `field` names it.
    "invalid_url": "The URL (in the field the error names) is not absolute http(s) with a valid host.",
    "url_too_long": "The URL (in the field the error names) is longer than 4096 characters.",
    "url_control_characters": "The URL (in the field the error names) contains spaces or control characters.",
    "unsupported_scheme": "The URL (in the field the error names) uses a scheme other than http or https.",
    "url_has_credentials": "The URL (in the field the error names) contains a user name or password.",
    "url_unsafe_normalisation": (
        "The URL's host (in the field the error names), written in ASCII for the Location header"
        " (IDNA, NFKC), would hold a space, a backslash or another character no host name has, or"
        " name another host."
    ),
    "redirect_loop": (
        "A destination leads back to this service (its public host or a tenant's own domain),"
        " so visitors would loop or pass through two short links."
    ),
    "invalid_code": "code is not 4-12 ASCII letters and digits.",
    "code_reserved": "code is a path the service uses itself.",
    "code_taken": "code already belongs to a link (possibly a deleted one).",
    "code_immutable": "A link's code cannot be changed.",
    "invalid_max_clicks": "max_clicks is not a whole number from 1 to 2,000,000,000.",
    "invalid_password": "password is empty, longer than 128 characters or holds control characters.",
    "invalid_target": "A target names no condition, or an os, device or country that is not one of the"
    " allowed values.",
    "too_many_targets": "targets holds more than 20 entries.",
    "invalid_variants": "variants holds 1 or more than 10 entries (2 to 10, or none), or a weight"
    " outside 1 to 1,000,000.",
    "no_items": "A bulk create sent an empty items array.",
    "too_many_items": "A bulk create sent more than 10,000 items.",
    "invalid_idempotency_key": "Idempotency-Key is not 1-255 visible ASCII characters.",
    "idempotency_key_reused": "Idempotency-Key was used before with a different body.",
    "too_many_urls": "A message to rewrite holds more than 100 distinct URLs.",
    "too_many_events": "POST /events sent more than 10,000 events.",
    "unknown_event_type": "An event's type is neither message.delivered nor conversion.",
    "at_out_of_range": "An event's at is more than 1 day in the future or 400 days in the past.",
    "invalid_value": "A conversion's value is not a decimal >= 0 with at most 14 digits and 4 decimals.",
    "value_required": "A conversion sent a currency without a value.",
    "currency_required": "A conversion sent a value without its currency.",
    "invalid_currency": "A conversion's currency is not an ISO 4217 code such as EUR.",
    "invalid_click_id": "A conversion's click_id is not the 32 hex characters of a click id.",
    "events_unavailable": "The funnel events could not be recorded here (no event log, or its disk is full).",
    "invalid_datetime": "expires_at is not an RFC 3339 timestamp with a time zone, or a date.",
    "expires_in_past": "expires_at is not in the future.",
    "invalid_limit": "limit is not a whole number from 1 to 200.",
    "invalid_status": "status is neither active nor expired.",
    "invalid_cursor": "cursor is not one this API handed out.",
    "invalid_search": "search is longer than 200 characters or contains control characters.",
    "invalid_campaign": "campaign is longer than 200 characters or contains control characters.",
    "invalid_tz": "tz is not an IANA time zone.",
    "invalid_interval": "interval is not hour, day, week or month.",
    "invalid_preset": "preset is not 7d, 30d or 90d.",
    "invalid_range": "The range is empty, reversed, mixes preset with from/to, or has too many buckets.",
    "invalid_boolean": "A true/false query parameter has another value (or none).",
    "repeated_parameter": "A query parameter is given more than once; each takes one value.",
    "invalid_contact_id": "The contact_id in the path is empty, longer than 200 characters or holds"
    " control characters.",
    "invalid_click_id_param": "click_id_param is not 1-64 ASCII letters, digits, '_', '.' or '-'.",
    "invalid_attribution_window": "attribution_window_days is not a whole number from 1 to 365.",
    "too_many_bot_rules": "bot_user_agents or bot_ip_ranges holds more than 100 entries.",
    "invalid_bot_ip_range": "An entry of bot_ip_ranges is not an IP address or a network in CIDR notation.",
    "invalid_format": "format is not svg or png.",
    "invalid_size": "size is not a whole number from 64 to 2048, or is too small for the link's QR code.",
    "unauthorized": "The API key is missing, unknown or revoked (or the dashboard session is over).",
    "csrf_failed": "A change made with the dashboard's session cookie lacks its CSRF token or comes"
    " from another origin.",
    "link_not_found": "No link with this id belongs to the key's tenant.",
    "campaign_not_found": "No live link of the key's tenant has this campaign (nor, for a funnel, any"
    " delivery or conversion).",
    "key_not_found": "No API key with this id belongs to the key's tenant.",
    "webhook_not_found": "No webhook with this id belongs to the key's tenant.",
    "invalid_webhook_url": "url is not an http(s) URL without credentials whose host resolves.",
    "webhook_url_forbidden": "url resolves to a loopback, private, link-local or other non-public address.",
    "invalid_event": "events is empty or names an event type other than link.clicked.",
    "too_many_webhooks": "The tenant has 100 webhooks already.",
    "last_active_key": "Revoking this key would leave the tenant without an active full secret key.",
    "invalid_key_kind": "kind is neither secret nor publishable.",
    "key_not_allowed": "A publishable key was used for anything but reporting a conversion from a web"
    " page, or a secret key (which belongs on a server) for that.",
    "invalid_scope": "scope is neither full nor read_only, or read_only was asked for a publishable key.",
    "insufficient_scope": "A read-only key (or a dashboard session signed in with one) asked for anything"
    " but GET or HEAD.",
    "too_many_tags": "A link's tags hold more than 20 entries.",
    "invalid_tag": "tag is empty, longer than 50 characters or holds control characters.",
    "tag_not_found": "No live link of the key's tenant has this tag.",
    "invalid_domain": "domain is not a DNS name (no scheme, port or path; ASCII, xn-- for"
    " international names), or it is the service's own host.",
    "domain_taken": "The domain is added already (by this tenant or another).",
    "domain_in_use": "The domain still has live links: delete them first.",
    "domain_not_found": "No domain with this id belongs to the key's tenant.",
    "unknown_domain": "domain is not one of the tenant's domains (POST /api/v1/domains adds one).",
    "domain_immutable": "A link's domain cannot be changed.",
    "not_found": "No such path.",
    "method_not_allowed": "The path does not support this method.",
    "bad_request": "The request cannot be served as sent.",
    "internal_error": "The server failed (a dependency is down, not something the client sent).",
}


_UNDESCRIBED = set(get_args(ErrorCode)) ^ set(ERROR_CODES)
if _UNDESCRIBED:  # fail at import, not when the code is first answered
    raise RuntimeError(f"error codes without a description, or described but not declared: {_UNDESCRIBED}")


class ErrorDetail(Body):
    code: Annotated[
        ErrorCode,
        Meta(
            description="What went wrong, for a program to act on:\n"
            + "\n".join(f"- `{code}`: {meaning}" for code, meaning in sorted(ERROR_CODES.items()))
        ),
    ]
    message: str
    field: Annotated[str, Meta(description="The field or parameter at fault.")] | UnsetType = UNSET


class Error(Body):
    """Every error the API answers: ``{error: {code, message, field?}}``."""

    error: ErrorDetail


def error_code(code: str) -> ErrorCode:
    """A code that comes as text from outside api/ (smartlinks.urls), checked against the list."""
    for known in get_args(ErrorCode):
        if code == known:
            return cast(ErrorCode, known)
    raise ValueError(f"{code!r} is not a declared error code")


class ApiError(Exception):
    """A request the API refuses: raised anywhere in a handler, rendered as a JSON error."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers

    def response(self, extra_headers: Mapping[str, str] | None = None) -> Response:
        """The error as the API answers it; ``extra_headers`` go beside the error's own
        (which win a clash)."""
        field = UNSET if self.field is None else self.field
        headers = self.headers if extra_headers is None else {**extra_headers, **(self.headers or {})}
        return json_response(Error(ErrorDetail(self.code, self.message, field)), self.status, headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


HTTP_CODES: dict[int, tuple[ErrorCode, str]] = {
    404: ("not_found", "No such path."),
    405: ("method_not_allowed", "This path does not support this method."),
}


async def _http_error(request: Request, exc: Exception) -> Response:
    # The router raises these for unknown paths (404) and wrong methods (405, with Allow).
    assert isinstance(exc, HTTPException)
    code, message = HTTP_CODES.get(exc.status_code, ("bad_request", str(exc.detail)))
    return ApiError(exc.status_code, code, message, headers=exc.headers).response()


async def _server_error(request: Request, exc: Exception) -> Response:
    # Reached only when a dependency (store, analytics) fails; Starlette re-raises after
    # this response is sent, so the traceback is still logged by the server.
    return ApiError(500, "internal_error", "The server could not complete the request.").response()


EXCEPTION_HANDLERS: dict[Any, ExceptionHandler] = {
    ApiError: _api_error,
    HTTPException: _http_error,
    Exception: _server_error,
}

"""Reading request bodies and checking fields: each bad input becomes an ``ApiError`` with
its own machine code, so nothing a client sends escapes as an unexpected exception."""

from __future__ import annotations

import re
from collections.abc import Collection
from contextlib import aclosing
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ApiError

MAX_BODY_BYTES = 1 << 20
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?", re.ASCII
)


def _is_json_type(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def read_object(
    request: Request, max_bytes: int = MAX_BODY_BYTES, also_as: Collection[str] = ()
) -> dict[str, Any]:
    """The body as a JSON object, read up to ``max_bytes`` (never further); ``also_as``
    names other media types whose bodies are read as JSON all the same."""
    content_type = request.headers.get("content-type")
    media_type = None if content_type is None else content_type.split(";", 1)[0].strip().lower()
    if media_type is not None and not _is_json_type(media_type) and media_type not in also_as:
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        async with aclosing(request.stream()) as stream:
            async for chunk in stream:
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(max_bytes)
                chunks.append(chunk)
    except ClientDisconnect:
        raise ApiError(400, "client_disconnected", "The request body was cut off.") from None
    try:
        body = orjson.loads(b"".join(chunks))
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body_not_object", f"The body must be a JSON object, not {json_type(body)}.")
    return body


class SingleValuedQuery:
    """Refuses a request that gives a query parameter more than once: every parameter of the
    API takes one value, and keeping one of several (Starlette keeps the last) would hide
    the client's mistake."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            params = QueryParams(scope["query_string"])
            names = [name for name, _ in params.multi_items()]
            if len(names) != len(params):
                name = next(name for name in names if names.count(name) > 1)
                response = ApiError(
                    400, "repeated_parameter", f"{name} is given more than once; it takes one value.", name
                ).response()
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(413, "body_too_large", f"The body may be at most {max_bytes} bytes.")


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def reject_unknown(body: dict[str, Any], allowed: Collection[str], hint: str) -> None:
    for name in body:
        if name not in allowed:
            raise ApiError(422, "unknown_field", f"Unknown field {name!r}; {hint}", field=name)


def wrong_type(field: str, expected: str, value: Any) -> ApiError:
    return ApiError(422, "invalid_type", f"{field} must be {expected}, not {json_type(value)}.", field=field)


def text(field: str, value: Any, max_length: int, *, nullable: bool = True) -> str | None:
    """A free-text field: a string of at most ``max_length`` characters without control
    characters (they break CSV exports and terminal output), or null where allowed."""
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise wrong_type(field, "a string" + (" or null" if nullable else ""), value)
    if len(value) > max_length:
        raise ApiError(422, "too_long", f"{field} may be at most {max_length} characters.", field=field)
    if CONTROL.search(value):
        raise ApiError(422, "control_characters", f"{field} must not contain control characters.", field)
    return value


def boolean(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise wrong_type(field, "true or false", value)
    return value


def query_boolean(params: QueryParams, name: str) -> bool:
    """A true/false query parameter, false when left out. An empty value is neither true nor
    false (the other parameters read an empty value as not given): it is refused."""
    if name not in params:
        return False
    raw = params[name].lower()
    if raw not in ("true", "false", "1", "0"):
        raise ApiError(400, "invalid_boolean", f"{name} must be true or false.", field=name)
    return raw in ("true", "1")


def timestamp(field: str, value: Any) -> datetime:
    """An RFC 3339 timestamp with a time zone, or a date (midnight UTC at its start), in UTC
    and cut to the millisecond, the precision the store keeps."""
    if not isinstance(value, str):
        raise wrong_type(field, "an RFC 3339 timestamp string", value)
    if _DATE.fullmatch(value):
        text_value = value + "T00:00:00+00:00"
    elif match := _DATETIME.fullmatch(value):
        if match.group(2) is None:
            raise ApiError(422, "invalid_datetime", f"{field} needs a time zone, e.g. 'Z'.", field=field)
        text_value = value[:10] + "T" + value[11:].upper().replace("Z", "+00:00")
    else:
        raise ApiError(
            422, "invalid_datetime", f"{field} must be RFC 3339, e.g. 2030-01-31T12:00:00Z.", field=field
        )
    try:
        parsed = datetime.fromisoformat(text_value).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ApiError(422, "invalid_datetime", f"{field} is not a real point in time.", field) from None
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)

"""Idempotency-Key: a client that retries a write (after a timeout, say) with the same key
gets the first response again instead of a second set of links.

The store keeps the response in the write's own transaction (``IdempotentRequest``), so a
crash leaves either the links and their response or neither. A retry must send the same
body: the same key with another body is a client bug, answered 422."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from api.errors import ApiError
from smartlinks.store.base import StoredResponse

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def idempotency_key(request: Request) -> str | None:
    """The request's key, if it sent one: 1-255 visible ASCII characters."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all("!" <= ch <= "~" for ch in key):
        raise ApiError(
            400,
            "invalid_idempotency_key",
            f"{HEADER} must be 1-{MAX_KEY_LENGTH} visible ASCII characters.",
            field=HEADER,
        )
    return key


def request_hash(body: Any) -> str:
    """The same JSON (key order aside) hashes the same."""
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def replay(stored: StoredResponse, body_hash: str) -> Response:
    if stored.request_hash != body_hash:
        raise ApiError(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was used with a different body; use a new key for a new request.",
            field=HEADER,
        )
    return Response(
        stored.body,
        status_code=stored.status,
        media_type="application/json",
        headers={REPLAYED_HEADER: "true"},
    )

"""The query string of ``GET /api/v1/links`` and its opaque pagination cursor."""

from __future__ import annotations

import re

from starlette.datastructures import QueryParams

from api import cursors
from api.bodies.links import MAX_TAG
from api.errors import ApiError, ErrorCode
from api.validation import CONTROL
from smartlinks.ids import HEX_ID
from smartlinks.store.base import LinkQuery

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_FILTER = 200
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LIMIT = re.compile(r"[0-9]{1,4}")


def is_id(text: str) -> bool:
    """Whether ``text`` can be one of our ids; anything else is known absent without a lookup."""
    return HEX_ID.fullmatch(text) is not None


def encode_cursor(last_id: str) -> str:
    return cursors.encode(last_id.encode())


def decode_cursor(cursor: str) -> str:
    last_id = cursors.decode_text(cursor) if _CURSOR.fullmatch(cursor) else ""
    if not is_id(last_id):
        raise cursors.invalid_cursor()
    return last_id


def _filter(params: QueryParams, name: str, error_code: ErrorCode) -> str | None:
    value = params.get(name) or None  # an empty parameter (a blank form field) means "any"
    if value is not None and (len(value) > MAX_FILTER or CONTROL.search(value)):
        raise ApiError(
            400,
            error_code,
            f"{name} may be at most {MAX_FILTER} characters, without control characters.",
            field=name,
        )
    return value


def tag_filter(value: str | None) -> str | None:
    """A tag as a filter or path names it: trimmed, as links keep theirs; None for no filter."""
    tag = (value or "").strip() or None
    if tag is not None and (len(tag) > MAX_TAG or CONTROL.search(tag)):
        raise ApiError(
            400, "invalid_tag", f"tag may be at most {MAX_TAG} characters, without control characters.", "tag"
        )
    return tag


def link_query(params: QueryParams, tenant_id: str) -> LinkQuery:
    limit = DEFAULT_LIMIT
    if raw_limit := params.get("limit"):
        if not _LIMIT.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise ApiError(
                400, "invalid_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.", field="limit"
            )
        limit = int(raw_limit)
    status = params.get("status") or None
    if status not in (None, "active", "expired"):
        raise ApiError(400, "invalid_status", "status must be active or expired.", field="status")
    cursor = params.get("cursor") or None
    return LinkQuery(
        tenant_id=tenant_id,
        search=_filter(params, "search", "invalid_search"),
        status=status,
        campaign=_filter(params, "campaign", "invalid_campaign"),
        limit=limit,
        after_id=None if cursor is None else decode_cursor(cursor),
        tag=tag_filter(params.get("tag")),
    )

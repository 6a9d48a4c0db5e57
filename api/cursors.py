"""The opaque cursors of paged lists: where the next page starts, as text in the URL-safe
base64 alphabet without padding. A cursor the API did not hand out is 400 ``invalid_cursor``."""

from __future__ import annotations

import base64
import binascii
import re

from starlette.datastructures import QueryParams

from api.errors import ApiError

# (time in Unix ms, id) of the last item of a page, for lists newest first (ties by id).
Keyset = tuple[int, str]


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode(raw: str) -> bytes | None:
    """What ``encode`` made ``raw`` from; None when no ``encode`` makes it."""
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):  # ValueError: a character that is not ASCII
        return None


def decode_text(raw: str) -> str:
    """The text ``raw`` encodes; empty when it encodes no UTF-8 text."""
    data = decode(raw)
    try:
        return "" if data is None else data.decode()
    except UnicodeDecodeError:
        return ""


def invalid_cursor() -> ApiError:
    return ApiError(400, "invalid_cursor", "cursor is not one this API handed out.", field="cursor")


def encode_keyset(cursor: Keyset) -> str:
    return encode(f"{cursor[0]}:{cursor[1]}".encode())


def keyset_of(params: QueryParams, pattern: re.Pattern[str], max_length: int) -> Keyset | None:
    """The ``cursor`` of a page of a keyset-paged list, if one was sent: what ``encode_keyset``
    made it from. ``pattern`` matches the text of every cursor the list hands out (its groups
    the time and the id), and none is longer than ``max_length`` characters."""
    raw = params.get("cursor") or None
    if raw is None:
        return None
    match = pattern.fullmatch(decode_text(raw) if len(raw) <= max_length else "")
    if match is None:
        raise invalid_cursor()
    return int(match.group(1)), match.group(2)

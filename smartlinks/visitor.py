"""Visitor ids for unique counting.

A visitor is the first-party cookie the redirector sets. A browser without our cookie gets
one whose value is a keyed hash of its IP and user agent; the consumer computes the same
hash for a click that came without a cookie. So the first click (no cookie yet) and the
later ones (with the cookie) count as one visitor, and a client that never keeps cookies
is still one visitor per IP and user agent. The key never leaves the deployment, so the
hash cannot be reversed to an IP by trying all addresses.
"""

from __future__ import annotations

import base64
import hashlib
import re

from schemas.events import VISITOR_ID

COOKIE_NAME = "slv"
COOKIE_MAX_AGE = 2 * 365 * 24 * 3600
_COOKIE_VALUE = re.compile(VISITOR_ID)  # the visitor id a click event carries is this value


def visitor_hash(key: bytes, ip: str, user_agent: str) -> str:
    digest = hashlib.blake2b(f"{ip}\n{user_agent}".encode(), key=key[:64], digest_size=16).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def valid_cookie(value: str) -> bool:
    """Whether a cookie value is one we could have set (anything else is ignored)."""
    return _COOKIE_VALUE.fullmatch(value) is not None


def visitor_id(key: bytes, cookie: str | None, ip: str, user_agent: str) -> str:
    if cookie is not None and valid_cookie(cookie):
        return cookie
    return visitor_hash(key, ip, user_agent)

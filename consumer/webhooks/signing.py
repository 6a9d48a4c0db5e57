"""Signing webhook deliveries, and checking a signature as a receiver would.

``Smartlinks-Signature: t=<unix seconds>,v1=<hex>`` where the hex is HMAC-SHA256, keyed
with the webhook's whole secret (``whsec_…``), over ``"<t>." + body``. The timestamp is
signed with the body so a captured request cannot be replayed later: receivers refuse a
``t`` older than a few minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Smartlinks-Signature"
TOLERANCE = 300  # seconds a receiver should accept between t and its own clock


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header_value(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, t, body)}"


def verify(
    secret: str, header: str, body: bytes, now: float | None = None, tolerance: int = TOLERANCE
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` at a time within ``tolerance``."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)

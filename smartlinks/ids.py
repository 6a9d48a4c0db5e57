"""Time-ordered identifiers (UUIDv7, RFC 9562) for links, events and keys.

Time-ordered ids sort newest-last, so "newest first" is an index scan on the id, and
ClickHouse inserts of event ids arrive nearly in order.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid

_lock = threading.Lock()
_last = 0
_getrandbits = random.getrandbits
_LOW62 = (1 << 62) - 1


def uuid7_int(now_ms: int | None = None) -> int:
    """A UUIDv7 as an int: 48 bits of Unix milliseconds, version, 74 random bits, variant.

    Within one process values strictly increase, even within the same millisecond, so
    ids created in a burst (bulk link creation) still sort in creation order. The random
    bits come from ``random`` (seeded from the OS, reseeded in forked children): ids must
    be unique, not secret, and this runs on every redirect where a syscall would show.
    """
    global _last
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    rand = _getrandbits(74)
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62 | (rand & _LOW62)
    with _lock:
        if value <= _last:
            value = _last + 1
        _last = value
    return value


def uuid7() -> uuid.UUID:
    return uuid.UUID(int=uuid7_int())


# An id as the API shows it and events carry it (new_id): anything else names no record.
HEX_ID = re.compile(r"[0-9a-f]{32}")


def new_id() -> str:
    """A new id as the API shows it: 32 lowercase hex characters."""
    return f"{uuid7_int():032x}"


def uuid7_time_ms(value: uuid.UUID | str) -> int:
    as_int = value.int if isinstance(value, uuid.UUID) else int(value.replace("-", ""), 16)
    return as_int >> 80

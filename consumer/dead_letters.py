"""Dead letters: messages that could not be processed, kept in ClickHouse with the reason.

A dead letter is (reason, detail, payload); the reason is a stable code (``schemas.events.
Invalid`` for messages that are not valid events). The click and funnel consumers both
write here, and never stop for such a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import orjson

from schemas.clickhouse import DEAD_LETTER_COLUMNS
from smartlinks.clickhouse import Client

DeadLetter = tuple[str, str, bytes | str]  # (reason, detail, payload)

WRITES: dict[str, tuple[str, ...]] = {"dead_letters": DEAD_LETTER_COLUMNS}
_MAX_PAYLOAD = 65_536  # characters of a dead letter's payload kept


class DeadLetterTable:
    def __init__(self, client: Client) -> None:
        self.client = client

    def store(self, letters: Sequence[DeadLetter]) -> None:
        """Store the letters, with their reasons, in one insert."""
        if not letters:
            return
        now = datetime.now(UTC)
        rows = [[now, reason, detail, _scrub(payload)] for reason, detail, payload in letters]
        self.client.insert("dead_letters", rows, column_names=DEAD_LETTER_COLUMNS)


def _scrub(payload: bytes | str) -> str:
    """The payload as text, with a click event's client IP blanked (raw IPs are never
    stored), cut to 64 KiB: a dead letter is for diagnosis, not a second copy of a flood."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    text = text[:_MAX_PAYLOAD]
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if isinstance(data, dict) and "ip" in data:
        data["ip"] = ""
        return orjson.dumps(data).decode()
    return text

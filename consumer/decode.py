"""The consumer's entry, and its one validation: a message from the edge log or Kafka
becomes a ``ClickEvent`` whose every field is within its declared bounds, or an
``InvalidEvent`` with a stable reason that the consumer dead-letters. Nothing after this
checks an event again.

The bounds are the click event's own (schemas/events.py). The one bound that depends on
when the event is read is added here: a click from more than a day ahead of this clock is
a broken clock (the redirector's clock, not the consumer's, stamps clicks, so a day of
skew is allowed).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from schemas.events import ClickEvent, Invalid, InvalidEvent, decode_click

MAX_FUTURE_MS = 24 * 3600 * 1000


class ClickDecoder:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.refused: Counter[str] = Counter()  # per reason

    def decode(self, message: bytes) -> ClickEvent:
        try:
            event = decode_click(message)
        except InvalidEvent as exc:
            self.refused[exc.reason] += 1
            raise
        if event.ts > self._clock() * 1000 + MAX_FUTURE_MS:
            self.refused[Invalid.TS_OUT_OF_RANGE] += 1
            raise InvalidEvent(Invalid.TS_OUT_OF_RANGE, f"ts {event.ts} is more than a day ahead")
        return event

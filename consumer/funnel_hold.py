"""Conversions waiting for their click: the funnel consumer's bounded hold.

Clicks and funnel events reach ClickHouse by separate loops (separate topics in
distributed mode, separate logs embedded), so a conversion may be read before the click
its ``click_id`` names is stored: the click consumer lags in a campaign burst, or is
restarting. Attributed at once it would fall to ``last_click`` or ``sent`` for good. So a
conversion whose click id names no stored click, and whose click could still come, waits
here until that click is recorded or its deadline passes, whichever is first; then it is
attributed as usual (consumer/funnel.py).

Who may wait: a click id that is a UUIDv7 (the redirect mints one per click, from its
clock) whose time plus ``click_wait`` is still ahead. Its deadline is that time plus
``click_wait`` (the id's time may run a little ahead of the click's, being bumped to stay
monotonic: the wait is then a little longer, never shorter); an id from the future counts
from now. A click id that is malformed, older than the bound, or recorded for another
tenant (or for a deleted link) does not wait.

Nothing is lost, nothing counted twice, by never acknowledging a held conversion: the
consumer acknowledges its source (commits the Kafka offsets, or the edge log's position)
only when nothing is held, since an acknowledgement covers everything taken so far
(consumer/funnel_loop.py). The held state itself lives in memory only; a process killed
while holding is offered the same events again at its next start, where the stored ones
are duplicates (and their triggers de-duplicated per conversion id) and the held ones are
held again or attributed.

That acknowledgement must not be put off for ever by conversions that keep arriving to
wait: a stretch of holding lasts at most ``2 * click_wait``. A conversion held later in
the stretch waits only until the stretch's end, so the hold empties, the source is
acknowledged and a new stretch begins. Conversions that are not held (deliveries, and
conversions whose click is stored or cannot come) are never held up: they are inserted at
once, only their acknowledgement waits with the others'.

The hold keeps at most ``max_held`` conversions (a batch may go past it once); beyond it,
conversions are attributed at once and counted as ``refused_full``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from schemas.events import FunnelEvent
from smartlinks.ids import uuid7_time_ms

# Held conversions are looked for again this often (seconds): the click consumer inserts
# a batch every SMARTLINKS_CONSUMER_MAX_WAIT_MS (0.5 s) when busy, and each look is one
# primary-key lookup of the held click ids (consumer/funnel.py, ``recorded_clicks``).
LOOK_EVERY = 1.0
MAX_HELD = 20_000
_UUID7 = re.compile(r"[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}")

Key = tuple[str, str]  # (tenant_id, conversion id)


def click_time_ms(click_id: str | None) -> int | None:
    """The Unix ms a click id was minted at, or None if it is not a UUIDv7 as the
    redirect writes it (32 lowercase hex digits)."""
    if not click_id or not _UUID7.fullmatch(click_id):
        return None
    return uuid7_time_ms(click_id)


@dataclass(slots=True)
class HoldStats:
    held: int = 0  # conversions that waited
    released_by_click: int = 0  # ... until their click was recorded
    released_by_timeout: int = 0  # ... until their deadline
    refused_full: int = 0  # would have waited, but the hold was full


class ClickHold:
    def __init__(
        self,
        click_wait: float,
        clock: Callable[[], float] = time.time,
        max_held: int = MAX_HELD,
        look_every: float = LOOK_EVERY,
    ) -> None:
        self.wait_ms = int(click_wait * 1000)
        self.clock = clock
        self.max_held = max_held
        self.look_every = look_every
        self.stats = HoldStats()
        self._held: dict[Key, tuple[FunnelEvent, int]] = {}  # → (event, deadline in ms)
        self._stretch_end = 0  # ms; while anything is held, no deadline goes past it
        self._next_look = 0.0

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, key: object) -> bool:
        return key in self._held

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _own_deadline(self, event: FunnelEvent, now: int) -> int | None:
        minted = click_time_ms(event.click_id)
        if minted is None or self.wait_ms <= 0:
            return None
        deadline = min(minted, now) + self.wait_ms
        return deadline if deadline > now else None

    def may_wait(self, event: FunnelEvent) -> bool:
        """Whether ``event``, a conversion whose click id names no stored click, may wait
        for that click (the sink asks, then leaves it out of its insert)."""
        if self._own_deadline(event, self._now_ms()) is None:
            return False
        if len(self._held) >= self.max_held:
            self.stats.refused_full += 1
            return False
        return True

    def add(self, events: Iterable[FunnelEvent]) -> None:
        batch = list(events)
        if not batch:
            return
        now = self._now_ms()
        if not self._held:
            self._stretch_end = now + 2 * self.wait_ms
            self._next_look = self.clock() + self.look_every
        for event in batch:
            own = self._own_deadline(event, now) or now
            self._held[(event.tenant_id, event.id)] = (event, min(own, self._stretch_end))
            self.stats.held += 1

    def look_due(self) -> bool:
        """Whether it is time to look for the held conversions' clicks again."""
        return bool(self._held) and self.clock() >= self._next_look

    def seconds_to_look(self, longest: float) -> float:
        """How long the consumer may wait for new events before it should look again."""
        if not self._held:
            return longest
        return max(0.0, min(longest, self._next_look - self.clock()))

    def click_ids(self) -> list[str]:
        self._next_look = self.clock() + self.look_every
        return sorted({event.click_id or "" for event, _ in self._held.values()})

    def ready(self, recorded: Collection[str]) -> tuple[list[FunnelEvent], list[FunnelEvent]]:
        """The held conversions to attribute now: those whose click id is in ``recorded``
        (a finished click insert holds it), and the others whose deadline has passed."""
        now = self._now_ms()
        by_click: list[FunnelEvent] = []
        timed_out: list[FunnelEvent] = []
        for event, deadline in self._held.values():
            if event.click_id in recorded:
                by_click.append(event)
            elif deadline <= now:
                timed_out.append(event)
        return by_click, timed_out

    def release(self, by_click: list[FunnelEvent], timed_out: list[FunnelEvent]) -> None:
        """Forget conversions now stored (call once they are)."""
        for event in (*by_click, *timed_out):
            self._held.pop((event.tenant_id, event.id), None)
        self.stats.released_by_click += len(by_click)
        self.stats.released_by_timeout += len(timed_out)

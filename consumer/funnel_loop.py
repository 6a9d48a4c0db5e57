"""The funnel consumer: take deliveries and conversions → insert (attributed) → fire
``conversion.recorded`` triggers → acknowledge, in the loop the click consumer runs too
(consumer/batch_loop.py).

A message that is not a funnel event goes to the dead-letter table with its reason and
never stops the loop; a failed insert is retried with the same batch until it succeeds.

A conversion whose click id names a click not stored yet waits for it, up to
``click_wait`` seconds after the click (consumer/funnel_hold.py), and is inserted, with
its one ``conversion.recorded`` trigger, once it is attributed. Everything else of its
batch is inserted at once. The source is acknowledged only while nothing is held: an
acknowledgement covers everything taken so far (a Kafka commit, the edge log's position),
and a held conversion's event must be offered again if the process dies before it is
stored. Batches stored meanwhile are offered again too then, and found stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from consumer.batch_loop import BatchLoop, Source
from consumer.dead_letters import DeadLetter
from consumer.funnel import FunnelInserted, FunnelSink, MayWait, StoredConversion
from consumer.funnel_hold import ClickHold, HoldStats
from schemas.events import FunnelEvent, InvalidEvent
from smartlinks.settings import Settings

log = logging.getLogger(__name__)

# Seconds a conversion may wait for its click, when the caller does not say.
DEFAULT_CLICK_WAIT = Settings().consumer_click_wait


class ConversionTriggers(Protocol):
    async def fire_conversions(self, conversions: Sequence[StoredConversion]) -> None:
        """Act on conversions now in ClickHouse; raise to have them offered again."""


@dataclass(slots=True)
class FunnelStats:
    batches: int = 0
    events: int = 0
    deliveries: int = 0
    conversions: int = 0
    duplicates: int = 0  # ids already recorded (resent, or a redelivery)
    dead_letters: Counter[str] = field(default_factory=Counter)
    insert_failures: int = 0
    trigger_failures: int = 0
    hold: HoldStats = field(default_factory=HoldStats)  # conversions that waited for their click


class StoredFunnelBatch(NamedTuple):
    events: list[FunnelEvent]
    letters: list[DeadLetter]
    inserted: FunnelInserted


class FunnelConsumer(BatchLoop[FunnelStats, StoredFunnelBatch]):
    def __init__(
        self,
        source: Source,
        sink: FunnelSink,
        dead_letter: Callable[[Sequence[DeadLetter]], None],
        batch_size: int = 10_000,
        max_wait: float = 0.5,
        triggers: ConversionTriggers | None = None,
        click_wait: float = DEFAULT_CLICK_WAIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(source, FunnelStats(), batch_size, max_wait)
        self.sink = sink
        self.dead_letter = dead_letter
        self.triggers = triggers
        self.hold = ClickHold(click_wait, clock)
        self.stats.hold = self.hold.stats
        self._unacknowledged = False

    async def run_once(self) -> int:
        """A look for the held conversions' clicks when one is due, then one batch; the
        source is acknowledged once nothing taken is held. Returns the messages taken."""
        if self.hold.look_due():
            await self.release()
            # Before the next batch, which may hold conversions again: else holds that
            # keep coming would put the acknowledgement off for ever.
            await self._acknowledge_if_nothing_held()
        messages = await self.source.take(self.batch_size, self.hold.seconds_to_look(self.max_wait))
        stored = await self.store(messages) if messages else None
        self._unacknowledged |= bool(messages)
        await self._acknowledge_if_nothing_held()
        if stored is not None:
            self.count(messages, stored)
        return len(messages)

    async def _acknowledge_if_nothing_held(self) -> None:
        if self._unacknowledged and not self.hold:
            await self.source.ack()
            self._unacknowledged = False

    async def drain(self) -> None:
        await super().drain()
        if self.hold:  # a last look: the click consumer's own drain may have stored them
            await self.release()
        await self._acknowledge_if_nothing_held()
        if self.hold:
            log.info(
                "%d conversions still wait for their clicks; their events are read again at the next start",
                len(self.hold),
            )

    async def store(self, messages: list[bytes]) -> StoredFunnelBatch:
        events, letters = decode(messages)
        # The same id again while its first copy waits: a duplicate, like one stored.
        new = [event for event in events if (event.tenant_id, event.id) not in self.hold]
        inserted = await self._record(new, letters, self.hold.may_wait)
        self.hold.add(inserted.waiting or ())
        return StoredFunnelBatch(events, letters, inserted)

    async def release(self) -> None:
        """Store the held conversions whose click is now recorded, or whose wait is over."""
        click_ids = self.hold.click_ids()
        recorded = await self.until_done(
            lambda: asyncio.to_thread(self.sink.recorded_clicks, click_ids),
            "looking for the clicks of held conversions",
            "insert_failures",
        )
        by_click, timed_out = self.hold.ready(recorded)
        if not by_click and not timed_out:
            return
        inserted = await self._record([*by_click, *timed_out], [], None)
        self.hold.release(by_click, timed_out)
        self.stats.conversions += len(inserted.conversions or ())
        self.stats.duplicates += len(inserted.known_conversions or ())

    async def _record(
        self, events: list[FunnelEvent], letters: list[DeadLetter], may_wait: MayWait | None
    ) -> FunnelInserted:
        inserted = await self.until_done(
            lambda: asyncio.to_thread(self._insert, events, letters, may_wait),
            "inserting funnel events into ClickHouse",
            "insert_failures",
        )
        # Also those stored before: a crash between the insert and the triggers must not
        # cost them their webhooks (each webhook gets one delivery per conversion id).
        triggered = inserted.all_conversions()
        if triggered and (triggers := self.triggers) is not None:
            await self.until_done(
                lambda: triggers.fire_conversions(triggered), "conversion triggers", "trigger_failures"
            )
        return inserted

    def count(self, messages: list[bytes], stored: StoredFunnelBatch) -> None:
        inserted, stats = stored.inserted, self.stats
        stats.batches += 1
        stats.events += len(messages)
        stats.deliveries += inserted.deliveries
        stats.conversions += len(inserted.conversions or [])
        stats.duplicates += len(stored.events) - inserted.count - len(inserted.waiting or ())
        for reason, _, _ in stored.letters:
            stats.dead_letters[reason] += 1

    def _insert(
        self, events: list[FunnelEvent], letters: list[DeadLetter], may_wait: MayWait | None
    ) -> FunnelInserted:
        inserted = self.sink.insert(events, may_wait) if events else FunnelInserted()
        if letters:
            self.dead_letter(letters)
        return inserted


def decode(messages: Sequence[bytes]) -> tuple[list[FunnelEvent], list[DeadLetter]]:
    events: list[FunnelEvent] = []
    letters: list[DeadLetter] = []
    for message in messages:
        try:
            events.append(FunnelEvent.from_json(message))
        except InvalidEvent as exc:
            letters.append((exc.reason, exc.detail, message))
        except TypeError as exc:  # fields of the right names and types but an extra one
            letters.append(("bad_field", str(exc)[:1000], message))
    return events, letters

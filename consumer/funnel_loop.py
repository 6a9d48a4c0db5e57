"""The funnel consumer: take deliveries and conversions → insert (attributed) → fire
``conversion.recorded`` triggers → acknowledge, in the loop the click consumer runs too
(consumer/batch_loop.py).

A message that is not a funnel event goes to the dead-letter table with its reason and
never stops the loop; a failed insert is retried with the same batch until it succeeds.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from consumer.batch_loop import BatchLoop, Source
from consumer.dead_letters import DeadLetter
from consumer.funnel import FunnelInserted, FunnelSink, StoredConversion
from schemas.events import FunnelEvent, InvalidEvent


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
    ) -> None:
        super().__init__(source, FunnelStats(), batch_size, max_wait)
        self.sink = sink
        self.dead_letter = dead_letter
        self.triggers = triggers

    async def store(self, messages: list[bytes]) -> StoredFunnelBatch:
        events, letters = decode(messages)
        inserted = await self.until_done(
            lambda: asyncio.to_thread(self._insert, events, letters),
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
        return StoredFunnelBatch(events, letters, inserted)

    def count(self, messages: list[bytes], stored: StoredFunnelBatch) -> None:
        inserted, stats = stored.inserted, self.stats
        stats.batches += 1
        stats.events += len(messages)
        stats.deliveries += inserted.deliveries
        stats.conversions += len(inserted.conversions or [])
        stats.duplicates += len(stored.events) - inserted.count
        for reason, _, _ in stored.letters:
            stats.dead_letters[reason] += 1

    def _insert(self, events: list[FunnelEvent], letters: list[DeadLetter]) -> FunnelInserted:
        inserted = self.sink.insert(events) if events else FunnelInserted()
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

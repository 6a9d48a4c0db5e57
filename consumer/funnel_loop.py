"""The funnel consumer: take deliveries and conversions → insert (attributed) → fire
``conversion.recorded`` triggers → acknowledge, as the click consumer does for clicks.

A message that is not a funnel event goes to the dead-letter table with its reason and
never stops the loop; a failed insert is retried with the same batch until it succeeds.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from consumer.dead_letters import DeadLetter
from consumer.funnel import FunnelInserted, FunnelSink, StoredConversion
from consumer.loop import Source
from consumer.retry import until_done
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


class FunnelConsumer:
    def __init__(
        self,
        source: Source,
        sink: FunnelSink,
        dead_letter: Callable[[Sequence[DeadLetter]], None],
        batch_size: int = 10_000,
        max_wait: float = 0.5,
        triggers: ConversionTriggers | None = None,
    ) -> None:
        self.source = source
        self.sink = sink
        self.dead_letter = dead_letter
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.triggers = triggers
        self.stats = FunnelStats()
        self._stopping = False

    async def run_once(self) -> int:
        messages = await self.source.take(self.batch_size, self.max_wait)
        if not messages:
            return 0
        events, letters = decode(messages)
        inserted = await until_done(
            lambda: asyncio.to_thread(self._store, events, letters),
            "inserting funnel events into ClickHouse",
            lambda: self._count("insert_failures"),
            lambda: self._stopping,
        )
        conversions = inserted.conversions or []
        # Also those stored before: a crash between the insert and the triggers must not
        # cost them their webhooks (each webhook gets one delivery per conversion id).
        triggered = inserted.all_conversions()
        if triggered and (triggers := self.triggers) is not None:
            await until_done(
                lambda: triggers.fire_conversions(triggered),
                "conversion triggers",
                lambda: self._count("trigger_failures"),
                lambda: self._stopping,
            )
        await self.source.ack()
        stats = self.stats
        stats.batches += 1
        stats.events += len(messages)
        stats.deliveries += inserted.deliveries
        stats.conversions += len(conversions)
        stats.duplicates += len(events) - inserted.count
        for reason, _, _ in letters:
            stats.dead_letters[reason] += 1
        return len(messages)

    def _store(self, events: list[FunnelEvent], letters: list[DeadLetter]) -> FunnelInserted:
        inserted = self.sink.insert(events) if events else FunnelInserted()
        if letters:
            self.dead_letter(letters)
        return inserted

    def _count(self, failures: str) -> None:
        setattr(self.stats, failures, getattr(self.stats, failures) + 1)

    async def run(self) -> None:
        while not self._stopping:
            await self.run_once()

    async def drain(self) -> None:
        """Store what is already queued, then return (at shutdown)."""
        self._stopping = True
        while await self.run_once():
            pass


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

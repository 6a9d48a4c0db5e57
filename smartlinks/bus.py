"""The click-event bus as the redirector and the consumer see it.

The redirector calls ``publish`` on every redirect: it must return at once and never fail.
The in-process bus (embedded mode) hands events to the consumer in the same process
through a bounded in-memory queue; past its bound, events spill to the on-disk spool and
are read back, in order, once the queue has room. The Kafka bus has the same interface.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from schemas.events import ClickEvent
from smartlinks.spool import Spool
from smartlinks.waiting import wait_set


@dataclass(slots=True)
class BusStats:
    published: int = 0
    spilled: int = 0
    delivered: int = 0
    publish_errors: int = 0  # failed attempts to hand events on (Kafka unreachable); retried
    oldest_unsent_ms: int = 0  # ts of the oldest event not yet handed on (0: none waiting)


class ClickPublisher(Protocol):
    @property
    def stats(self) -> BusStats: ...

    @property
    def spool(self) -> Spool: ...

    def publish(self, event: ClickEvent) -> None:
        """Take an event without blocking; never raises for a full or slow bus."""

    def queued(self) -> int: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class SpillingBuffer:
    """The producer side every publisher shares: a bounded queue in memory with the spool
    behind it. ``publish`` is the redirect hot path: it encodes, appends and returns."""

    def __init__(self, capacity: int, spool_dir: Path) -> None:
        self.capacity = capacity
        self.stats = BusStats()
        self.spool = Spool(spool_dir)
        # (key, encoded event, ts): tuples of bytes and ints, which the garbage collector
        # stops tracking; 100k queued event objects made each full collection a
        # redirect-stalling ~17 ms pause.
        self._queue: collections.deque[tuple[bytes, bytes, int]] = collections.deque()
        self._wakeup = asyncio.Event()
        # Once anything is spooled, new events go to the spool too until it is drained, so
        # that a link's clicks keep their order.
        self._spilling = self.spool.pending()

    def publish(self, event: ClickEvent) -> None:
        self.stats.published += 1
        encoded = event.to_json()
        if self._spilling or len(self._queue) >= self.capacity:
            self._spilling = True
            self.stats.spilled += 1
            self.spool.append(encoded)
        else:
            self._queue.append((event.key, encoded, event.ts))
        if not self._wakeup.is_set():
            self._wakeup.set()

    def queued(self) -> int:
        return len(self._queue)

    def spool_the_queue(self) -> None:
        """At shutdown: what is still in memory goes to the spool, so a restart delivers it."""
        self.spool.append_many([encoded for _, encoded, _ in self._queue])
        self._queue.clear()
        self.spool.close()


class InProcessBus(SpillingBuffer):
    """The embedded bus: one consumer in the same process reads the buffer and the spool."""

    def __init__(self, capacity: int, spool_dir: Path) -> None:
        super().__init__(capacity, spool_dir)
        self._unacked: list[Path] = []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        self.spool_the_queue()

    # -- consumer side ---------------------------------------------------------------

    async def take(self, max_items: int, max_wait: float) -> list[bytes]:
        """Up to ``max_items`` encoded events; waits at most ``max_wait`` seconds for the first.

        Decoding is the consumer's job, as for Kafka messages, so a damaged line read back
        from the spool becomes a dead letter there like any other bad message."""
        if not self._queue and not self._spilling:
            self._wakeup.clear()
            if not await wait_set(self._wakeup, max_wait):
                return []
        batch: list[bytes] = []
        queue = self._queue
        while queue and len(batch) < max_items:
            batch.append(queue.popleft()[1])
        if not queue and self._spilling and len(batch) < max_items:
            batch.extend(self._read_spool())
        self.stats.delivered += len(batch)
        return batch

    def _read_spool(self) -> list[bytes]:
        taken = self.spool.take_segment(skip=self._unacked)
        if taken is None:
            self._spilling = False
            return []
        segment, lines = taken
        # The segment is deleted only on ``ack``, after the consumer's insert: a crash in
        # between re-reads it, and the consumer's de-duplication by event id counts nothing twice.
        self._unacked.append(segment)
        return lines

    async def ack(self) -> None:
        """The consumer has stored everything ``take`` returned so far."""
        for segment in self._unacked:
            self.spool.done(segment)
        self._unacked.clear()

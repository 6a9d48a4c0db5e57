"""The loop every consumer runs: take a batch → store it → acknowledge → count it.

What "store" means is the consumer's own (clicks: validate, enrich, insert, fire
triggers; funnel events: decode, insert, fire triggers); the order around it is not:
the source is acknowledged only after the whole batch is stored, so a crash anywhere
re-delivers it, and a step that fails is retried with the same batch (consumer/retry.py)
until it succeeds or the consumer stops. ``drain`` at shutdown stores what is already
queued, without waiting for more.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

from consumer.retry import until_done

S = TypeVar("S")  # the consumer's stats
B = TypeVar("B")  # what storing a batch tells the counting of it
T = TypeVar("T")


class Source(Protocol):
    async def take(self, max_items: int, max_wait: float) -> list[bytes]: ...

    async def ack(self) -> None: ...


class BatchLoop(ABC, Generic[S, B]):
    def __init__(self, source: Source, stats: S, batch_size: int, max_wait: float) -> None:
        self.source = source
        self.stats = stats
        self.batch_size = batch_size
        self.max_wait = max_wait
        self._stopping = False

    @abstractmethod
    async def store(self, messages: list[bytes]) -> B:
        """All a batch needs before it is acknowledged; raises only when stopping."""

    @abstractmethod
    def count(self, messages: list[bytes], stored: B) -> None:
        """Add an acknowledged batch to ``stats``."""

    async def run_once(self) -> int:
        """One batch through the consumer; returns the number of messages taken."""
        messages = await self.source.take(self.batch_size, self.max_wait)
        if not messages:
            return 0
        stored = await self.store(messages)
        await self.source.ack()
        self.count(messages, stored)
        return len(messages)

    async def until_done(self, step: Callable[[], Awaitable[T]], what: str, failures: str) -> T:
        """``until_done`` counting each failure in ``stats.<failures>``."""

        def failed() -> None:
            setattr(self.stats, failures, getattr(self.stats, failures) + 1)

        return await until_done(step, what, failed, lambda: self._stopping)

    async def run(self) -> None:
        while not self._stopping:
            await self.run_once()

    async def drain(self) -> None:
        """Store what is already queued, then return (at shutdown)."""
        self._stopping = True
        while await self.run_once():
            pass

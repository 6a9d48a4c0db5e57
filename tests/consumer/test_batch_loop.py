"""The loop both consumers run (consumer/batch_loop.py): a batch is acknowledged only once
stored, counted only once acknowledged, a failed step is retried with the same batch, and
``drain`` stores what is queued without waiting for more."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from consumer import retry
from consumer.batch_loop import BatchLoop


class Queue:
    """A source over a list: ``take`` hands out up to ``max_items``, ``ack`` forgets them."""

    def __init__(self, messages: list[bytes]) -> None:
        self.messages = messages
        self.taken = 0
        self.acked: list[list[bytes]] = []

    async def take(self, max_items: int, max_wait: float) -> list[bytes]:
        self.taken = min(max_items, len(self.messages))
        return self.messages[: self.taken]

    async def ack(self) -> None:
        self.acked.append(self.messages[: self.taken])
        del self.messages[: self.taken]


@dataclass
class Stats:
    batches: int = 0
    messages: int = 0
    insert_failures: int = 0


class Flaky(BatchLoop[Stats, int]):
    """Stores a batch after ``failures`` failed tries; records what was acked when it stored."""

    def __init__(self, source: Queue, failures: int) -> None:
        super().__init__(source, Stats(), batch_size=2, max_wait=0.0)
        self.queue = source
        self.failures = failures
        self.stored: list[list[bytes]] = []

    async def store(self, messages: list[bytes]) -> int:
        async def insert() -> int:
            if self.failures:
                self.failures -= 1
                raise RuntimeError("ClickHouse away")
            assert self.queue.acked == self.stored  # nothing of this batch acknowledged yet
            self.stored.append(list(messages))
            return len(messages)

        return await self.until_done(insert, "test insert", "insert_failures")

    def count(self, messages: list[bytes], stored: int) -> None:
        assert self.queue.acked[-1] == messages
        self.stats.batches += 1
        self.stats.messages += stored


def test_a_failed_step_is_retried_with_the_same_batch_then_acked_and_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retry, "MAX_BACKOFF", 0.0)
    queue = Queue([b"a", b"b", b"c"])
    loop = Flaky(queue, failures=2)
    assert asyncio.run(loop.run_once()) == 2
    assert loop.stored == [[b"a", b"b"]] == queue.acked
    assert loop.stats == Stats(batches=1, messages=2, insert_failures=2)


def test_drain_stores_what_is_queued_then_returns() -> None:
    queue = Queue([b"a", b"b", b"c"])
    loop = Flaky(queue, failures=0)
    asyncio.run(loop.drain())
    assert loop.stored == [[b"a", b"b"], [b"c"]] == queue.acked
    assert queue.messages == []
    assert loop.stats == Stats(batches=2, messages=3)


def test_a_stopping_loop_gives_up_and_leaves_the_batch_unacknowledged() -> None:
    queue = Queue([b"a"])
    loop = Flaky(queue, failures=1)
    with pytest.raises(RuntimeError):
        asyncio.run(loop.drain())
    assert queue.acked == [] and queue.messages == [b"a"]
    assert loop.stats == Stats(insert_failures=1)

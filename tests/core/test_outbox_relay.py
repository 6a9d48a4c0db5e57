"""The outbox relay's loop while its feed (Kafka) is away: it backs off, says so once, and
delivers the waiting changes once the feed is back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import pytest

from smartlinks import outbox
from smartlinks.changes import InProcessChangeFeed
from smartlinks.outbox import ChangeRelay

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Outbox:
    """The store methods the relay uses, over a list."""

    def __init__(self, changes: list[Any], first_seq: int = 1, in_commit_order: bool = False) -> None:
        self.pending = list(enumerate(changes, start=first_seq))
        self.changes_in_commit_order = in_commit_order
        self.read: list[int] = []  # how many changes each pending_changes returned

    async def pending_changes(self, limit: int = 1000, after: int = 0) -> list[tuple[int, Any]]:
        page = [(seq, change) for seq, change in self.pending if seq > after][:limit]
        self.read.append(len(page))
        return page

    async def forget_changes(self, seqs: list[int]) -> None:
        self.pending = [(seq, change) for seq, change in self.pending if seq not in seqs]


class DownFeed:
    """Refuses ``failures`` times (Kafka away), then takes every change."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: list[float] = []
        self.published: list[Any] = []

    async def publish(self, changes: Sequence[Any]) -> None:
        self.attempts.append(time.monotonic())
        if len(self.attempts) <= self.failures:
            raise ConnectionError("Kafka at broker:9092 is unreachable")
        self.published.extend(changes)

    async def settle(self, changes: Sequence[Any]) -> None:
        pass


async def test_the_relay_backs_off_says_so_once_and_delivers_when_the_feed_is_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "smartlinks.outbox")
    monkeypatch.setattr(outbox, "RETRY_CAP", 0.08)
    store, feed = Outbox(["change-1", "change-2"]), DownFeed(failures=5)
    relay = ChangeRelay(store, feed, poll_interval=0.01)  # type: ignore[arg-type]
    await relay.start()
    try:
        async with asyncio.timeout(5):
            while relay.delivered < 2:
                await asyncio.sleep(0.01)
    finally:
        await relay.stop()

    assert feed.published == ["change-1", "change-2"]
    assert store.pending == []
    assert len(feed.attempts) == 6  # five refusals, then one publish of both
    # Growing pauses (0.01, 0.02, 0.04, then the cap, ±25 %), not one every poll interval.
    assert feed.attempts[5] - feed.attempts[4] >= 0.08 * 0.75
    lines = [(record.levelno, record.getMessage()) for record in caplog.records]
    assert lines == [
        (logging.WARNING, "relaying link changes failed; they wait in the outbox"),
        (logging.INFO, "relaying link changes works again"),
    ]


class Heard:
    """What a feed's immediate and later subscribers were handed."""

    def __init__(self) -> None:
        self.feed = InProcessChangeFeed()
        self.now: list[Any] = []
        self.later: list[Any] = []
        self.feed.subscribe(self.now.extend)
        self.feed.subscribe(self.later.extend, later=True)


async def test_a_change_is_forgotten_only_once_the_later_subscribers_had_it() -> None:
    store, heard = Outbox(["created-1", "deleted-1"]), Heard()
    relay = ChangeRelay(store, heard.feed)  # type: ignore[arg-type]

    assert await relay.deliver() == 2
    assert (heard.now, heard.later) == (["created-1", "deleted-1"], [])
    assert len(store.pending) == 2  # published, not settled: still in the outbox
    assert await relay.deliver() == 0  # and not published twice

    assert await relay.settle() == 2
    assert heard.later == ["created-1", "deleted-1"]
    assert store.pending == []


async def test_a_relay_that_died_before_settling_leaves_its_changes_to_the_next() -> None:
    store, before, after = Outbox(["created-1"]), Heard(), Heard()
    await ChangeRelay(store, before.feed).deliver()  # type: ignore[arg-type]
    # The process is killed here: its immediate subscribers had the change, the mirror not.
    await ChangeRelay(store, after.feed).flush()  # type: ignore[arg-type]
    assert (before.now, before.later) == (["created-1"], [])
    assert (after.now, after.later) == (["created-1"], ["created-1"])
    assert store.pending == []


async def test_a_backlog_beyond_a_page_is_published_once_and_a_late_commit_is_not_skipped() -> None:
    changes = [f"created-{n}" for n in range(1, 2501)]
    store, heard = Outbox(changes, first_seq=2), Heard()
    relay = ChangeRelay(store, heard.feed)  # type: ignore[arg-type]
    assert await relay.deliver() == 2500
    assert heard.now == changes
    # On PostgreSQL a transaction that drew a lower seq can commit after higher ones were
    # published: the next pass publishes it, though it sorts before them.
    store.pending.insert(0, (1, "created-late"))
    assert await relay.deliver() == 1
    await relay.settle()
    assert heard.now == [*changes, "created-late"]
    assert heard.later == [*changes, "created-late"]
    assert store.pending == []


async def test_the_relay_s_loop_settles_what_the_api_delivered_within_moments() -> None:
    store, heard = Outbox(["created-1"]), Heard()
    relay = ChangeRelay(store, heard.feed, poll_interval=30)  # type: ignore[arg-type]
    await relay.start()
    try:
        await asyncio.sleep(0.05)  # the loop's first pass settled the first change
        store.pending.append((2, "created-2"))
        await relay.deliver()  # as the API does after a write
        async with asyncio.timeout(2):  # far below the 30 s poll: woken by the deliver
            while heard.later != ["created-1", "created-2"]:
                await asyncio.sleep(0.01)
    finally:
        await relay.stop()
    assert store.pending == []


async def test_where_commits_come_in_seq_order_a_deliver_reads_only_what_is_new() -> None:
    store, heard = Outbox(["created-1", "created-2"], in_commit_order=True), Heard()
    relay = ChangeRelay(store, heard.feed)  # type: ignore[arg-type]
    assert await relay.deliver() == 2
    store.pending.append((3, "created-3"))  # committed after: a higher seq (SQLite)
    assert await relay.deliver() == 1
    assert await relay.deliver() == 0
    # One page a deliver, short, so no second trip; the unsettled ones are not read again.
    assert store.read == [2, 1, 0]
    await relay.settle()
    assert heard.later == ["created-1", "created-2", "created-3"]
    assert store.pending == []

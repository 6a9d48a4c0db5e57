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
from smartlinks.outbox import ChangeRelay

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Outbox:
    """The two store methods the relay uses, over a list."""

    def __init__(self, changes: list[Any]) -> None:
        self.pending = list(enumerate(changes))

    async def pending_changes(self) -> list[tuple[int, Any]]:
        return list(self.pending)

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

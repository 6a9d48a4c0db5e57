"""``BackgroundTask``: the one start/stop of the outbox relay, the webhook matcher's reloads
and the delivery worker."""

from __future__ import annotations

import asyncio

import pytest

from smartlinks.background import BackgroundTask

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_stop_cancels_the_loop_and_waits_for_its_end() -> None:
    rounds, ended = 0, asyncio.Event()

    async def loop() -> None:
        nonlocal rounds
        try:
            while True:
                rounds += 1
                await asyncio.sleep(0.001)
        finally:
            ended.set()

    task = BackgroundTask("test-loop", loop)
    task.start()
    await asyncio.sleep(0.02)
    await task.stop()
    assert ended.is_set()
    seen = rounds
    await asyncio.sleep(0.01)
    assert rounds == seen > 0
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "test-loop"]


async def test_stop_without_start_and_twice_is_harmless() -> None:
    async def loop() -> None:
        await asyncio.sleep(3600)

    task = BackgroundTask("test-idle", loop)
    await task.stop()
    task.start()
    await task.stop()
    await task.stop()

"""``wait_set``: a background loop stopped in the very iteration it was woken must stop.

``asyncio.wait_for`` on Python 3.11 swallows that cancellation (the webhook delivery
worker once kept running after ``stop`` that way, and the stop waited forever)."""

from __future__ import annotations

import asyncio

import pytest

from smartlinks.waiting import wait_set

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_set_and_timeout() -> None:
    event = asyncio.Event()
    assert await wait_set(event, 0.01) is False
    event.set()
    assert await wait_set(event, 0.01) is True


async def test_a_cancellation_in_the_iteration_of_the_wake_up_stops_the_loop() -> None:
    event = asyncio.Event()
    rounds = 0

    async def background() -> None:
        nonlocal rounds
        while True:
            event.clear()
            await wait_set(event, 5)
            rounds += 1

    task = asyncio.create_task(background())
    await asyncio.sleep(0.01)
    event.set()
    task.cancel()  # in the same iteration as the wake-up
    done, _ = await asyncio.wait([task], timeout=1)
    assert done == {task} and task.cancelled()
    assert rounds == 0

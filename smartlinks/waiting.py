"""Waiting for an ``asyncio.Event`` with a time limit, in a loop that is cancelled to stop.

Not ``asyncio.wait_for(event.wait(), timeout)``: on Python 3.11 it swallows a cancellation
that arrives in the same loop iteration as the event (it returns the finished result
instead of raising), so a background loop stopped right after it was woken keeps running
and whoever awaits its end waits forever. ``asyncio.timeout`` tells the two apart.
"""

from __future__ import annotations

import asyncio


async def wait_set(event: asyncio.Event, seconds: float) -> bool:
    """Whether ``event`` was set within ``seconds``; a cancellation always raises."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True

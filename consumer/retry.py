"""One retry loop for the steps of a consumer's batch (an insert, its triggers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
T = TypeVar("T")


async def until_done(
    step: Callable[[], Awaitable[T]],
    what: str,
    failed: Callable[[], None],
    stopping: Callable[[], bool],
) -> T:
    """Run ``step`` until it succeeds, backing off between tries and calling ``failed`` after
    each failure. A stopping consumer gives up (raises): its batch stays unacknowledged, so
    the next start offers it again."""
    backoff = 0.5
    while True:
        try:
            return await step()
        except Exception:
            failed()
            log.exception("%s failed; retrying the same batch in %.1fs", what, backoff)
            if stopping():
                raise
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

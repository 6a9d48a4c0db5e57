"""Starting and stopping aiokafka clients, the same way for every producer and consumer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from aiokafka import AIOKafkaProducer

log = logging.getLogger(__name__)


async def started_producer(bootstrap_servers: str, **options: Any) -> AIOKafkaProducer:
    """A started producer; one that fails to start is closed before the error goes on."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, **options)
    try:
        await producer.start()
    except BaseException:
        await producer.stop()
        raise
    return producer


async def stop_within(stop: Awaitable[None], seconds: float, what: str, level: int = logging.WARNING) -> None:
    """Await ``stop`` for at most ``seconds``, then log that ``what`` did not stop and go on.

    Stopping needs the broker (a producer flushes, a group member leaves its group): a
    shutdown must not hang on a broker that is away."""
    try:
        await asyncio.wait_for(stop, seconds)
    except TimeoutError:
        log.log(level, "%s did not stop within %g s", what, seconds)

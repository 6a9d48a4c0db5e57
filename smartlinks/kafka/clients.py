"""Starting and stopping aiokafka clients, the same way for every producer and consumer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from aiokafka import AIOKafkaProducer

from smartlinks.backoff import jittered

log = logging.getLogger(__name__)

# aiokafka waits ``retry_backoff_ms`` before each retry in every one of its loops (metadata,
# group coordinator, fetcher, sender): 100 ms by default, so with the brokers away one
# analytics process made ~75 connection attempts a second. aiokafka 0.14 has no
# reconnect_backoff_ms/reconnect_backoff_max_ms (the Java client's growing reconnect delay,
# which tops out at 1 s); a flat second, jittered per client so that the clients of a
# process do not retry in step, caps the rate instead. A healthy cluster pays it only after
# an error (a rebalance, a moved partition leader), once.
RETRY_BACKOFF_MS = 1000


def retry_options() -> dict[str, Any]:
    """aiokafka options every client of ours is created with (see RETRY_BACKOFF_MS)."""
    return {"retry_backoff_ms": round(jittered(RETRY_BACKOFF_MS))}


async def started_producer(bootstrap_servers: str, **options: Any) -> AIOKafkaProducer:
    """A started producer; one that fails to start is closed before the error goes on."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, **{**retry_options(), **options})
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

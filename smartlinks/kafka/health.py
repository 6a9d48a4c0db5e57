"""Whether this process reaches Kafka, said once per outage.

aiokafka retries a broker that went away by itself, and silently (its logger is muted:
it logs an ERROR per attempt, see ``roles.cli``). So each Kafka client of ours owns
one ``KafkaHealth`` for its whole life and tells it what it saw: ``failed(exc)`` when
talking to the brokers failed, ``ok()`` when it worked. ``watch(probe)`` does that every
few seconds for a client that may sit idle and so would never find out.

The process logs one WARNING when the first of its clients loses the brokers and one INFO
line when the last of them has them back, however many clients and retries there are.
``check()`` raises while the client is cut off: a readiness check with no I/O, so /readyz
answers at once during an outage and costs no connection attempt. Every process's
/metrics shows ``smartlinks_kafka_up{client=...}`` (``smartlinks.service``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from smartlinks.backoff import Backoff, jittered
from smartlinks.metrics import Sample, StatsCollector, new_registry

log = logging.getLogger(__name__)

PROBE_EVERY = 5.0  # while up: an outage shows in /readyz within about this long
PROBE_TIMEOUT = 5.0  # brokers that do not answer at all (dropped packets) count as down
PROBE_FIRST_RETRY = 1.0  # while down: 1 s, 2 s, 4 s, then every PROBE_EVERY (all ±25 %)

# Several apps (and event loops, in tests) may share a process: guarded by a lock.
_lock = threading.Lock()
_clients: weakref.WeakSet[KafkaHealth] = weakref.WeakSet()
_down_since: dict[str, float] = {}  # bootstrap servers -> when the process lost them


class KafkaHealth:
    """One Kafka client's view of its brokers; ``up`` until it sees otherwise.

    Make one per client object and keep it across the aiokafka producers or consumers the
    client may recreate: a new one would start out ``up`` in the middle of an outage."""

    def __init__(self, name: str, servers: str = "") -> None:
        self.name = name  # the ``client`` label: "click-consumer", "link-listener", ...
        self.servers = servers
        self.up = True
        self.error = ""
        self.outages = 0
        self._task: asyncio.Task[None] | None = None
        with _lock:
            _clients.add(self)

    def failed(self, exc: BaseException) -> None:
        self.error = _describe(exc)
        if not self.up:
            return
        with _lock:
            self.up = False
            self.outages += 1
            first = self.servers not in _down_since
            if first:
                _down_since[self.servers] = time.monotonic()
        if first:
            log.warning(
                "Kafka at %s is unreachable (%s: %s); retrying with backoff",
                self.servers,
                self.name,
                self.error,
            )
        else:
            log.debug("%s also lost Kafka at %s: %s", self.name, self.servers, self.error)

    def ok(self) -> None:
        if self.up:
            return
        with _lock:
            self.up = True
            self.error = ""
            since = self._last_one_back()
        if since is not None:
            log.info("Kafka at %s is reachable again, after %.0f s", self.servers, time.monotonic() - since)

    def check(self) -> None:
        """Raise while this client cannot reach its brokers (for /readyz)."""
        if not self.up:
            raise ConnectionError(f"Kafka at {self.servers} is unreachable ({self.name}: {self.error})")

    def watch(self, probe: Callable[[], Awaitable[object]]) -> None:
        """Run ``probe`` (a cheap request to the brokers) every few seconds until ``close``."""
        self._task = asyncio.create_task(self._watch(probe), name=f"kafka-health-{self.name}")

    async def close(self) -> None:
        """Stop watching and leave the process's count: a stopped client is neither up nor down."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with _lock:
            _clients.discard(self)
            if not self.up:
                self.up = True
                self._last_one_back()  # the outage ends unannounced: nobody is left to see it

    def _last_one_back(self) -> float | None:
        """With the lock held: forget the outage if no client of these servers is still
        down, and return when it began (None while one is still down)."""
        if any(not other.up and other.servers == self.servers for other in _clients):
            return None
        return _down_since.pop(self.servers, None)

    async def _watch(self, probe: Callable[[], Awaitable[object]]) -> None:
        backoff = Backoff(PROBE_FIRST_RETRY, PROBE_EVERY)
        delay = jittered(PROBE_EVERY)
        while True:
            await asyncio.sleep(delay)
            try:
                async with asyncio.timeout(PROBE_TIMEOUT):
                    await probe()
            except Exception as exc:  # whatever the probe raised, the brokers did not answer it
                self.failed(exc)
                delay = backoff.next()
            else:
                self.ok()
                backoff.reset()
                delay = jittered(PROBE_EVERY)


def _describe(exc: BaseException) -> str:
    name, text = type(exc).__name__, str(exc)
    if not text:
        return name
    # aiokafka's errors name themselves already ("KafkaError: Unable to get cluster ...").
    return (text if text.startswith(name) else f"{name}: {text}")[:300]


def _by_client(
    value: Callable[[KafkaHealth], float], combine: Callable[[list[float]], float]
) -> dict[str, float]:
    """One sample per client name (apps sharing a test process may repeat a name)."""
    values: dict[str, list[float]] = {}
    with _lock:
        for health in _clients:
            values.setdefault(health.name, []).append(value(health))
    return {name: combine(numbers) for name, numbers in values.items()}


class _ProcessKafkaHealth(Collector):
    """The Kafka clients of this process, whichever app created them; none: no samples."""

    def __init__(self) -> None:
        self._samples = StatsCollector(
            [
                Sample(
                    "kafka_up",
                    "1 while the Kafka client reaches its brokers, 0 while it cannot.",
                    "gauge",
                    lambda: _by_client(lambda health: float(health.up), min),
                    label="client",
                ),
                Sample(
                    "kafka_outages_total",
                    "Times the Kafka client lost its brokers.",
                    "counter",
                    lambda: _by_client(lambda health: float(health.outages), sum),
                    label="client",
                ),
            ]
        )

    def collect(self) -> Iterator[Metric]:
        with _lock:
            if not _clients:
                return
        yield from self._samples.collect()


KAFKA_HEALTH_METRICS = new_registry(_ProcessKafkaHealth())

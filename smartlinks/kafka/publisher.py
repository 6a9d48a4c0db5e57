"""Shipping the edge log to Kafka, off the redirect's path.

The redirect only appends its click to the edge log (``smartlinks.eventlog``); this task
reads the log from its committed position, sends the events to Kafka in batches through an
idempotent ``acks=all`` producer, and commits the position once Kafka acknowledged them.
When Kafka is slow or down the log grows on disk and is shipped, oldest first, when Kafka
answers again, also after a restart of the process. A crash between the send and the
commit sends some events twice, which the consumer's de-duplication by event id absorbs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from schemas.events import CLICKS_TOPIC
from smartlinks.backoff import Backoff
from smartlinks.eventlog.reader import EventLogReader
from smartlinks.kafka.clients import started_producer, stop_within
from smartlinks.kafka.health import KafkaHealth
from smartlinks.kafka.topics import ensure_topics
from smartlinks.metrics import Sample, StatsCollector

log = logging.getLogger(__name__)

SHIP_BATCH = 5_000
PARTITION_CACHE_SIZE = 100_000
# Reconnect attempts back off from 0.2 s to 2 s (with jitter): a returning broker is used
# within ~2 s, and an absent one costs a redirector one connection attempt per 2 s.
RETRY_BACKOFF_MIN = 0.2
RETRY_BACKOFF_MAX = 2.0


@dataclass(slots=True)
class ShipStats:
    delivered: int = 0  # events Kafka acknowledged
    publish_errors: int = 0  # failed attempts to send (Kafka unreachable); retried


class KafkaClickPublisher:
    def __init__(
        self,
        bootstrap_servers: str,
        reader: EventLogReader,
        topic: str = CLICKS_TOPIC,
        click_partitions: int = 6,
        key_of: Callable[[bytes], bytes] | None = None,
        name: str = "click-publisher",
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        # The partition key of a logged line: a click's link id by default.
        self.key_of = key_of or _link_key
        self.click_partitions = click_partitions
        self._topics_ensured = False
        self.reader = reader
        self.topic = topic
        self.stats = ShipStats()
        # Says once that Kafka is away and once that it is back, and shows it in /metrics
        # (smartlinks_kafka_up{client="click-publisher"}). Not a readiness check: a
        # redirector answers and logs clicks without Kafka, so a load balancer keeps it.
        self.health = KafkaHealth(name, bootstrap_servers)
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._partition_cache: dict[bytes, int] = {}
        self._partition_count = 0

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"kafka-{self.health.name}")

    async def stop(self, flush_timeout: float = 3.0) -> None:
        """Ship what the log holds for at most ``flush_timeout`` s, then close. What is not
        shipped by then stays in the log and goes out after the next start."""
        self._stopping = True
        self.reader.log.written_event.set()  # wake a waiting take
        if self._task is not None:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, flush_timeout)
        await self._drop_producer(logging.WARNING)
        await self.health.close()
        self.reader.close()

    def metrics(self) -> StatsCollector:
        return StatsCollector(
            [
                Sample(
                    "click_events_kafka_acked_total",
                    "Click events from the edge log that Kafka acknowledged.",
                    "counter",
                    lambda: self.stats.delivered,
                ),
                Sample(
                    "click_events_publish_errors_total",
                    "Failed attempts to send click events to Kafka (retried from the edge log).",
                    "counter",
                    lambda: self.stats.publish_errors,
                ),
            ]
        )

    # -- shipping ----------------------------------------------------------------------

    async def _connect(self) -> AIOKafkaProducer:
        if not self._topics_ensured:
            await ensure_topics(self.bootstrap_servers, self.click_partitions)
            self._topics_ensured = True
        return await started_producer(
            self.bootstrap_servers,
            enable_idempotence=True,
            acks="all",
            compression_type="lz4",
            linger_ms=5,
            max_batch_size=256 * 1024,
            request_timeout_ms=10_000,
        )

    async def _run(self) -> None:
        backoff = Backoff(RETRY_BACKOFF_MIN, RETRY_BACKOFF_MAX)
        batch: list[bytes] = []
        while True:
            try:
                if self._producer is None:
                    self._producer = await self._connect()
                    self.health.ok()
                if not batch:
                    batch = await self.reader.take(SHIP_BATCH, 0.0 if self._stopping else 1.0)
                    if not batch:
                        if self._stopping:
                            return
                        continue
                # Kept until Kafka acknowledged it all; a failure sends the same batch again.
                key_of = self.key_of
                await self._send_all([(key_of(line), line) for line in batch])
                await self.reader.ack()
                self.stats.delivered += len(batch)
                batch = []
                self.health.ok()
                backoff.reset()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.publish_errors += 1
                self.health.failed(exc)  # clicks wait in the edge log meanwhile
                if self._stopping:
                    return
                await self._drop_producer()
                await asyncio.sleep(backoff.next())

    async def _drop_producer(self, level: int = logging.DEBUG) -> None:
        """Close the producer: at shutdown (``level`` WARNING), or quietly once it failed."""
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await stop_within(producer.stop(), 2, "the Kafka producer", level)
            except Exception:
                log.log(level, "the Kafka producer did not close cleanly", exc_info=True)

    async def _send_all(self, messages: list[tuple[bytes, bytes]]) -> None:
        """Send and wait until Kafka acknowledged every message.

        Messages are appended to one record batch per partition and each batch is sent
        whole: aiokafka's per-message ``send`` (a future, an accumulator lookup and a
        partitioner call per click) was the largest cost of a busy redirector after HTTP."""
        producer = self._producer
        assert producer is not None
        partition_of = self._partitioner(producer)
        by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
        futures = []
        for key, value in messages:
            partition = partition_of(key)
            if partition is None:  # no metadata yet: let aiokafka place it
                futures.append(await producer.send(self.topic, value=value, key=key))
            else:
                by_partition.setdefault(partition, []).append((key, value))
        for partition, entries in by_partition.items():
            batch, in_batch = producer.create_batch(), 0
            for key, value in entries:
                while batch.append(key=key, value=value, timestamp=None) is None:  # full
                    if in_batch == 0:
                        # Larger than a whole batch: cannot happen with the edge's field caps;
                        # refusing it beats blocking every later click behind it forever.
                        log.error("dropping a %d-byte click event larger than a Kafka batch", len(value))
                        self.stats.publish_errors += 1
                        break
                    batch.close()
                    futures.append(await producer.send_batch(batch, self.topic, partition=partition))
                    batch, in_batch = producer.create_batch(), 0
                else:
                    in_batch += 1
            batch.close()
            futures.append(await producer.send_batch(batch, self.topic, partition=partition))
        await asyncio.gather(*futures)

    def _partitioner(self, producer: AIOKafkaProducer) -> Callable[[bytes], int | None]:
        """Kafka's default key partitioning, remembered per link: the pure-Python murmur2
        behind aiokafka's own partitioner was 8% of a busy redirector's CPU."""
        partitions = sorted(producer.client.cluster.partitions_for_topic(self.topic) or ())
        if not partitions:
            return lambda key: None  # no metadata yet: aiokafka fetches it and partitions itself
        if len(partitions) != self._partition_count:
            self._partition_cache.clear()
            self._partition_count = len(partitions)
        cache = self._partition_cache

        def partition_of(key: bytes) -> int | None:
            partition = cache.get(key)
            if partition is None:
                if len(cache) > PARTITION_CACHE_SIZE:
                    cache.clear()
                partition = cache[key] = partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]
            return partition

        return partition_of


def _link_key(line: bytes) -> bytes:
    # No full decode per logged line: the key is only for partitioning.
    start = line.find(b'"link_id":"')
    if start < 0:
        return b""
    start += len(b'"link_id":"')
    return line[start : line.find(b'"', start)]

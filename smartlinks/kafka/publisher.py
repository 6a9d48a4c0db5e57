"""Publishing click events to Kafka without ever making a redirect wait.

``publish`` appends to a bounded in-memory queue and returns. A background task ships the
queue to Kafka in batches through an idempotent ``acks=all`` producer. When Kafka is slow
or down, the queue fills and further events spill to the on-disk spool; the spool is
shipped, oldest first, once Kafka answers again, and survives a restart of the process.
An event leaves memory or the spool only after Kafka has acknowledged it: a crash in
between may send it twice, which the consumer's de-duplication by event id absorbs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2

from schemas.events import CLICKS_TOPIC
from smartlinks.bus import SpillingBuffer
from smartlinks.kafka.clients import started_producer, stop_within
from smartlinks.waiting import wait_set

log = logging.getLogger(__name__)

SHIP_BATCH = 5_000
PARTITION_CACHE_SIZE = 100_000
RETRY_BACKOFF_MAX = 10.0


class KafkaClickPublisher(SpillingBuffer):
    def __init__(
        self, bootstrap_servers: str, capacity: int, spool_dir: Path, topic: str = CLICKS_TOPIC
    ) -> None:
        super().__init__(capacity, spool_dir)
        self.bootstrap_servers = bootstrap_servers
        self.topic = topic
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._partition_cache: dict[bytes, int] = {}
        self._partition_count = 0

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="kafka-click-publisher")

    async def stop(self, flush_timeout: float = 10.0) -> None:
        """Ship what is queued (for at most ``flush_timeout``), spool the rest, close."""
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            # On timeout wait_for cancels the task; what is left is spooled below.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._task, flush_timeout)
        self.spool_the_queue()
        await self._drop_producer(logging.WARNING)

    async def ping(self) -> None:
        """Readiness: raise unless the producer is connected."""
        if self._producer is None:
            raise ConnectionError(f"not connected to Kafka at {self.bootstrap_servers}")
        await self._producer.client.fetch_all_metadata()

    # -- shipping ----------------------------------------------------------------------

    async def _connect(self) -> AIOKafkaProducer:
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
        backoff = 0.2
        while True:
            try:
                if self._producer is None:
                    self._producer = await self._connect()
                    log.info("connected to Kafka at %s", self.bootstrap_servers)
                # The queue holds what came before the spill began, so it goes first.
                shipped = await self._ship_queue() + await self._ship_spool()
                backoff = 0.2
                if self._stopping and not self._queue and not self._spilling:
                    return
                if not shipped:
                    self._wakeup.clear()
                    if not self._queue and not self._spilling:
                        await wait_set(self._wakeup, 1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.publish_errors += 1
                log.warning("publishing to Kafka failed (%s); events are kept and retried", exc)
                if self._stopping:
                    return
                await self._drop_producer()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RETRY_BACKOFF_MAX)

    async def _drop_producer(self, level: int = logging.DEBUG) -> None:
        """Close the producer: at shutdown (``level`` WARNING), or quietly once it failed."""
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await stop_within(producer.stop(), 5, "the Kafka producer", level)
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

    async def _ship_queue(self) -> int:
        queue = self._queue
        if not queue:
            self.stats.oldest_unsent_ms = 0
            return 0
        batch = [queue[i] for i in range(min(SHIP_BATCH, len(queue)))]
        self.stats.oldest_unsent_ms = batch[0][2]
        # Only removed from the queue once Kafka acknowledged them all.
        await self._send_all([(key, value) for key, value, _ in batch])
        for _ in batch:
            queue.popleft()
        self.stats.delivered += len(batch)
        return len(batch)

    async def _ship_spool(self) -> int:
        if not self._spilling:
            return 0
        taken = self.spool.take_segment()
        if taken is None:
            self._spilling = False
            return 0
        segment, lines = taken
        messages = []
        for line in lines:
            key = _link_key(line)
            messages.append((key, line))
        if messages:
            self.stats.oldest_unsent_ms = _ts_of(lines[0])
        await self._send_all(messages)
        self.spool.done(segment)
        self.stats.delivered += len(messages)
        if not self.spool.pending():
            self._spilling = False
        return len(messages)


def _link_key(line: bytes) -> bytes:
    # Avoid a full decode per spooled line: the key is only for partitioning.
    start = line.find(b'"link_id":"')
    if start < 0:
        return b""
    start += len(b'"link_id":"')
    return line[start : line.find(b'"', start)]


def _ts_of(line: bytes) -> int:
    start = line.find(b'"ts":')
    if start < 0:
        return int(time.time() * 1000)
    end = line.find(b",", start)
    try:
        return int(line[start + 5 : end])
    except ValueError:
        return int(time.time() * 1000)

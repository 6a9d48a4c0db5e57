"""The consumer's side of ``smartlinks.clicks``: a consumer group, batches, commits.

``take`` returns raw message values; ``ack`` commits the offsets of everything taken so
far, and the consumer calls it only after ClickHouse has the rows. A rebalance between
the two makes the commit fail: the batch is then delivered again to the partition's new
owner, and the sink's de-duplication by event id counts nothing twice.

While the brokers are away aiokafka retries in the background and ``take`` just comes back
empty; the client's ``KafkaHealth`` notices (it probes every few seconds), says so once in
the log and makes ``ping`` (/readyz) fail until they are back.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from schemas.events import CLICKS_TOPIC
from smartlinks.backoff import Backoff
from smartlinks.kafka.clients import retry_options, stop_within
from smartlinks.kafka.health import KafkaHealth

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0


class KafkaClickSource:
    def __init__(
        self, bootstrap_servers: str, group_id: str, topic: str = CLICKS_TOPIC, name: str = "click-consumer"
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id
        self.topic = topic
        self.commit_failures = 0
        self.take_failures = 0
        self.health = KafkaHealth(name, bootstrap_servers)
        self._consumer: AIOKafkaConsumer | None = None
        self._taken: dict[TopicPartition, int] = {}
        self._backoff = Backoff(0.5, 30)

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
            **retry_options(),
        )
        await consumer.start()
        self._consumer = consumer
        self.health.watch(consumer._client.fetch_all_metadata)

    async def stop(self) -> None:
        await self.health.close()
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await stop_within(consumer.stop(), STOP_TIMEOUT, "the Kafka consumer")

    async def ping(self) -> None:
        if self._consumer is None:
            raise ConnectionError("the click consumer is not started")
        self.health.check()

    async def take(self, max_items: int, max_wait: float) -> list[bytes]:
        assert self._consumer is not None, "source not started"
        try:
            batches = await self._consumer.getmany(timeout_ms=int(max_wait * 1000), max_records=max_items)
        except KafkaError as exc:
            # Not an absent broker (aiokafka rides that out by itself) but a fetch that
            # failed: the consumer loop asks again, after a growing pause, not at once.
            self.take_failures += 1
            delay = self._backoff.next()
            log.warning("reading clicks from Kafka failed (%s); trying again in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            return []
        self._backoff.reset()
        values: list[bytes] = []
        for partition, records in batches.items():
            for record in records:
                if record.value is not None:
                    values.append(record.value)
            if records:
                self._taken[partition] = records[-1].offset + 1
        return values

    async def ack(self) -> None:
        """Commit what ``take`` returned (call after it is stored)."""
        if not self._taken or self._consumer is None:
            return
        offsets, self._taken = self._taken, {}
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # The partitions moved to another consumer (or the broker is away): the new
            # owner re-reads from the last commit, and de-duplication absorbs the repeat.
            self.commit_failures += 1
            log.warning("committing offsets failed (%s); the batch will be delivered again", exc)

"""The consumer's side of ``smartlinks.clicks``: a consumer group, batches, commits.

``take`` returns raw message values; ``ack`` commits the offsets of everything taken so
far, and the consumer calls it only after ClickHouse has the rows. A rebalance between
the two makes the commit fail: the batch is then delivered again to the partition's new
owner, and the sink's de-duplication by event id counts nothing twice.
"""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from schemas.events import CLICKS_TOPIC
from smartlinks.kafka.clients import stop_within

log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0


class KafkaClickSource:
    def __init__(self, bootstrap_servers: str, group_id: str, topic: str = CLICKS_TOPIC) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.group_id = group_id
        self.topic = topic
        self.commit_failures = 0
        self._consumer: AIOKafkaConsumer | None = None
        self._taken: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap_servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
        )
        await self._consumer.start()

    async def stop(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await stop_within(consumer.stop(), STOP_TIMEOUT, "the Kafka consumer")

    async def ping(self) -> None:
        if self._consumer is None:
            raise ConnectionError("the click consumer is not started")
        await self._consumer._client.fetch_all_metadata()

    async def take(self, max_items: int, max_wait: float) -> list[bytes]:
        assert self._consumer is not None, "source not started"
        batches = await self._consumer.getmany(timeout_ms=int(max_wait * 1000), max_records=max_items)
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

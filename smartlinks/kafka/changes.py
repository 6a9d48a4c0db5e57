"""Link changes over Kafka: published by the API's relay, read by redirectors and consumers.

``smartlinks.links`` is compacted and keyed by link id. A redirector reads it without a
consumer group, from the end: it only needs to hear of changes made while it runs (its
cache fills from the store), and every redirector must see every change. The analytics
consumer reads it in a group, from the beginning, committing after each change is
applied, so a deletion is never skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from schemas.events import LINKS_TOPIC, InvalidEvent, LinkChange
from smartlinks.backoff import Backoff
from smartlinks.changes import Subscriber
from smartlinks.kafka.clients import retry_options, started_producer, stop_within
from smartlinks.kafka.health import KafkaHealth

log = logging.getLogger(__name__)


class KafkaChangeFeed:
    """The publishing side: ``publish`` returns once Kafka has the change (acks=all)."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.health = KafkaHealth("link-feed", bootstrap_servers)
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = await started_producer(
            self.bootstrap_servers, enable_idempotence=True, acks="all", request_timeout_ms=10_000
        )
        self.health.watch(self._producer.client.fetch_all_metadata)

    async def stop(self) -> None:
        await self.health.close()
        producer, self._producer = self._producer, None
        if producer is not None:
            await stop_within(producer.stop(), 10, "the link-change producer")

    async def settle(self, changes: Sequence[LinkChange]) -> None:
        """Nothing to do: Kafka carried every change at once, and each subscriber across
        the processes takes it from there in its own time."""

    async def publish(self, changes: Sequence[LinkChange]) -> None:
        if self._producer is None:
            raise ConnectionError("the link-change producer is not started")
        # Known to be cut off: fail now rather than after the producer's 10 s timeout (an
        # API write waits for this); the changes stay in the outbox for the relay.
        self.health.check()
        # Queue them all, then wait for every acknowledgement: one round trip per batch, and
        # per-key order holds (the producer is idempotent with one partition per key).
        sent = [
            await self._producer.send(
                LINKS_TOPIC, value=change.to_json(), key=(change.link_id or change.tenant_id).encode()
            )
            for change in changes
        ]
        await asyncio.gather(*sent)


class KafkaChangeListener:
    """Reads ``smartlinks.links`` and applies each change, in order.

    ``start`` returns at once and the listener connects in the background, retrying while
    the brokers are away: a redirector starts and serves (and logs clicks) without Kafka.
    A listener that reads from the end (no group) calls ``on_connected`` once it reads,
    since changes made before that moment were not heard: a redirector clears its cache."""

    def __init__(
        self,
        bootstrap_servers: str,
        apply: Subscriber,
        group_id: str | None = None,
        on_connected: Callable[[], None] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.apply = apply
        self.group_id = group_id
        self.on_connected = on_connected
        self.applied = 0
        self.read_failures = 0
        self.health = KafkaHealth("link-listener", bootstrap_servers)
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="link-change-listener")

    async def _connect(self) -> AIOKafkaConsumer:
        backoff = Backoff(0.5, 10)
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap_servers,
                group_id=self.group_id,
                enable_auto_commit=False,
                auto_offset_reset="earliest" if self.group_id else "latest",
                **retry_options(),
            )
            try:
                await consumer.start()
                if self.group_id:
                    consumer.subscribe([LINKS_TOPIC])
                else:
                    partitions = consumer.partitions_for_topic(LINKS_TOPIC) or {0}
                    assigned = [TopicPartition(LINKS_TOPIC, p) for p in sorted(partitions)]
                    consumer.assign(assigned)
                    await consumer.seek_to_end(*assigned)
            except KafkaError as exc:
                self.health.failed(exc)
                await stop_within(consumer.stop(), 5, "a link-change listener that failed to start")
                await asyncio.sleep(backoff.next())
                continue
            except asyncio.CancelledError:  # stopped before the brokers came back
                await stop_within(consumer.stop(), 5, "a link-change listener that was starting")
                raise
            self.health.ok()
            if self.on_connected is not None and not self.group_id:
                self.on_connected()
            self.health.watch(consumer._client.fetch_all_metadata)
            return consumer

    async def stop(self) -> None:
        await self.health.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await stop_within(self._consumer.stop(), 10, "the link-change listener")
        self._task = self._consumer = None

    async def _run(self) -> None:
        consumer = self._consumer = await self._connect()
        backoff = Backoff(0.5, 30)
        while True:
            try:
                await self._read(consumer)
            except KafkaError as exc:
                # A failed fetch or commit (the brokers away, a rebalance): read again from
                # the last commit after a growing pause; a change applied twice is harmless.
                self.read_failures += 1
                delay = backoff.next()
                log.warning("reading link changes failed (%s); trying again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
            else:
                backoff.reset()

    async def _read(self, consumer: AIOKafkaConsumer) -> None:
        batches = await consumer.getmany(timeout_ms=200)
        for records in batches.values():
            await self._apply([record.value for record in records])
        if batches and self.group_id:
            await consumer.commit()

    async def _apply(self, values: Sequence[bytes | None]) -> None:
        changes = []
        for value in values:
            if value is None:  # a compaction tombstone
                continue
            try:
                changes.append(LinkChange.from_json(value))
            except InvalidEvent as exc:
                log.warning("skipping an unreadable link change: %s", exc)
        if not changes:
            return
        while True:
            try:
                result = self.apply(changes)
                if result is not None:
                    await result
                self.applied += len(changes)
                return
            except Exception:
                # Not skipped: a deletion that failed (ClickHouse down) is tried until it is done.
                log.exception("applying a link change failed; retrying in 1 s")
                await asyncio.sleep(1)

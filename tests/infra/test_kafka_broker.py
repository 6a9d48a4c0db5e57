"""The broker deploy/kafka/kafka.sh runs works with aiokafka and keeps acked data across a crash.

These pin down what the redirector's publisher and the consumer rely on: topics created by
the application, an idempotent acks=all producer, consumer groups committing offsets, and
acknowledged messages and committed offsets surviving a SIGKILL of the broker.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import UnknownTopicOrPartitionError

from tests.support.kafka import KafkaBroker

pytestmark = pytest.mark.kafka

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout=60))


def new_topic_name() -> str:
    return f"infra-{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def admin_client(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def create_topic(bootstrap: str, name: str, partitions: int = 3) -> None:
    async with admin_client(bootstrap) as admin:
        response = await admin.create_topics([NewTopic(name, partitions, replication_factor=1)])
    assert [(topic, code) for topic, code, *_ in response.topic_errors] == [(name, 0)]


async def produce(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    """Send ``messages`` one by one, each acknowledged, with the settings the redirector's
    publisher uses: no duplicates on retry, no loss on ack."""
    async with AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all") as producer:
        for key, value in messages:
            await producer.send_and_wait(topic, value, key=key)


async def consume(
    bootstrap: str, topic: str, count: int, group_id: str | None = None, commit: bool = False
) -> list[tuple[bytes, bytes]]:
    """Read ``count`` messages from ``topic`` (from the group's offset, else the start)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    got: list[tuple[bytes, bytes]] = []
    try:
        while len(got) < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=count - len(got))
            for records in batches.values():
                got += [(r.key, r.value) for r in records]
        if commit:
            await consumer.commit()
    finally:
        await consumer.stop()
    return got


def messages(prefix: str, n: int) -> list[tuple[bytes, bytes]]:
    # Two keys: Kafka keeps order per key (one partition each), not across a topic.
    return [(f"link-{i % 2}".encode(), f"{prefix}-{i}".encode()) for i in range(n)]


def per_key(records: list[tuple[bytes, bytes]]) -> dict[bytes, list[bytes]]:
    out: dict[bytes, list[bytes]] = {}
    for key, value in records:
        out.setdefault(key, []).append(value)
    return out


def test_application_creates_topics(kafka: KafkaBroker) -> None:
    topic = new_topic_name()

    async def scenario() -> list[Any]:
        await create_topic(kafka.bootstrap_servers, topic, partitions=3)
        async with admin_client(kafka.bootstrap_servers) as admin:
            described: list[Any] = await admin.describe_topics([topic])
        return described

    (described,) = run(scenario())
    assert described["topic"] == topic
    assert described["error_code"] == 0
    assert len(described["partitions"]) == 3


def test_unknown_topics_are_not_auto_created(kafka: KafkaBroker) -> None:
    # kafka.sh turns auto-creation off: a misspelt topic must fail, not appear silently.
    async def scenario() -> list[str]:
        # Short timeout: the producer waits this long for the topic to appear before it fails.
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, request_timeout_ms=2000)
        async with producer:
            with pytest.raises(UnknownTopicOrPartitionError):
                await producer.send_and_wait("no-such-topic", b"x")
        async with admin_client(kafka.bootstrap_servers) as admin:
            topics: list[str] = await admin.list_topics()
        return topics

    assert "no-such-topic" not in run(scenario())


def test_produce_and_consume_in_key_order(kafka: KafkaBroker) -> None:
    topic = new_topic_name()
    sent = messages("m", 20)

    async def scenario() -> list[tuple[bytes, bytes]]:
        await create_topic(kafka.bootstrap_servers, topic)
        await produce(kafka.bootstrap_servers, topic, sent)
        return await consume(kafka.bootstrap_servers, topic, len(sent), group_id="infra-order")

    assert per_key(run(scenario())) == per_key(sent)


def test_acked_messages_and_offsets_survive_sigkill(kafka: KafkaBroker) -> None:
    topic = new_topic_name()
    group = f"group-{topic}"
    before, after = messages("before", 10), messages("after", 4)

    async def before_crash() -> list[tuple[bytes, bytes]]:
        await create_topic(kafka.bootstrap_servers, topic)
        await produce(kafka.bootstrap_servers, topic, before)
        # The group reads everything so far and commits: after the crash it must resume
        # past these, not replay them.
        return await consume(kafka.bootstrap_servers, topic, len(before), group_id=group, commit=True)

    assert per_key(run(before_crash())) == per_key(before)

    kafka.kill()
    try:
        assert not kafka.is_running()
    finally:
        kafka.restart()  # whatever happens: the broker is the session's, later tests need it

    async def after_crash() -> tuple[list[tuple[bytes, bytes]], list[tuple[bytes, bytes]], int]:
        await produce(kafka.bootstrap_servers, topic, after)
        everything = await consume(kafka.bootstrap_servers, topic, len(before) + len(after))
        resumed = await consume(kafka.bootstrap_servers, topic, len(after), group_id=group)
        async with admin_client(kafka.bootstrap_servers) as admin:
            offsets = await admin.list_consumer_group_offsets(group)
        committed = sum(o.offset for tp, o in offsets.items() if tp.topic == topic)
        return everything, resumed, committed

    everything, resumed, committed = run(after_crash())
    assert per_key(everything) == per_key(before + after)
    assert per_key(resumed) == per_key(after)
    assert committed == len(before)

"""Whether the consumer group has stored the clicks the clicks topic holds, asked of Kafka.

A conversion finds its click in ClickHouse when it is stored (consumer/funnel.py): one
that arrives first is kept without it, for good. The clicks and the funnel events are two
topics read by two loops, so the broker's acknowledgement of the clicks is not enough: the
demo publishes its deliveries and conversions only once the group's committed offsets
(committed after ClickHouse has the rows, consumer/loop.py) reach the clicks topic's end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import CoordinatorNotAvailableError

from schemas.events import CLICKS_TOPIC

POLL_SECONDS = 0.5
# A broker no group has used yet creates its offsets topic on the first question about a
# group, and answers "no coordinator" until it is there (a second or two).
COORDINATOR_SECONDS = 15.0


async def _end_offsets(bootstrap_servers: str, admin: AIOKafkaAdminClient) -> dict[TopicPartition, int]:
    [topic] = await admin.describe_topics([CLICKS_TOPIC])
    partitions = [TopicPartition(CLICKS_TOPIC, part["partition"]) for part in topic["partitions"]]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return ends
    finally:
        await consumer.stop()


async def _coordinator(admin: AIOKafkaAdminClient, group: str) -> int | None:
    """The broker that keeps the group's offsets; None if none answers for it in time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + COORDINATOR_SECONDS
    while True:
        try:
            node: int = await admin.find_coordinator(group)
            return node
        except CoordinatorNotAvailableError:
            if loop.time() > deadline:
                return None
            await asyncio.sleep(POLL_SECONDS)


async def _members(admin: AIOKafkaAdminClient, group: str, node: int) -> int:
    [response] = await admin.describe_consumer_groups([group], group_coordinator_id=node)
    return sum(len(described[5]) for described in response.groups)  # (…, state, …, members)


async def _behind(admin: AIOKafkaAdminClient, group: str, node: int, ends: dict[TopicPartition, int]) -> int:
    committed = await admin.list_consumer_group_offsets(group, node, partitions=list(ends))
    behind = 0
    for partition, end in ends.items():
        offset = committed.get(partition)
        behind += end - max(offset.offset if offset is not None else 0, 0)
    return max(behind, 0)


async def clicks_stored(
    bootstrap_servers: str, group: str, stall_seconds: float, advance: Callable[[int, int], None]
) -> bool:
    """Whether ``group`` has stored every click the clicks topic holds now, waiting while
    it has members and they make progress. False at once when no consumer of the group
    runs, or after ``stall_seconds`` without progress. ``advance(done, total)`` hears of
    the messages stored since the wait began."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        ends = await _end_offsets(bootstrap_servers, admin)
        node = await _coordinator(admin, group)
        if node is None or not ends:  # no answer: better held than stored without clicks
            return False
        loop = asyncio.get_running_loop()
        total = left = await _behind(admin, group, node, ends)
        last_change = loop.time()
        while left:
            if not await _members(admin, group, node):
                return False
            await asyncio.sleep(POLL_SECONDS)
            now_left = await _behind(admin, group, node, ends)
            if now_left != left:
                left, last_change = now_left, loop.time()
            elif loop.time() - last_change > stall_seconds:
                return False
            advance(total - left, total)
        return True
    finally:
        await admin.close()

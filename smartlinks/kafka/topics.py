"""The topics of the pipeline, created by the services themselves on start.

The broker does not auto-create topics (a typo would silently make a new one), so every
process that uses Kafka ensures the topics it needs exist, with the right settings.
"""

from __future__ import annotations

import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from schemas.events import CLICKS_TOPIC, DEAD_LETTER_TOPIC, FUNNEL_TOPIC, LINKS_TOPIC

log = logging.getLogger(__name__)


def topic_specs(click_partitions: int, replication: int) -> list[NewTopic]:
    return [
        # Keyed by link id: one link's clicks stay in order on one partition, and one
        # consumer at a time classifies its visitors.
        NewTopic(
            CLICKS_TOPIC, click_partitions, replication, topic_configs={"retention.ms": str(7 * 86_400_000)}
        ),
        # The latest change per link is all a late reader needs: compacted, kept forever.
        NewTopic(LINKS_TOPIC, 1, replication, topic_configs={"cleanup.policy": "compact"}),
        NewTopic(DEAD_LETTER_TOPIC, 1, replication, topic_configs={"retention.ms": str(30 * 86_400_000)}),
        # Deliveries and conversions, keyed by tenant and contact: one contact's in order.
        NewTopic(
            FUNNEL_TOPIC, click_partitions, replication, topic_configs={"retention.ms": str(7 * 86_400_000)}
        ),
    ]


async def ensure_topics(bootstrap_servers: str, click_partitions: int = 6, replication: int = 1) -> list[str]:
    """Create the missing topics; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in topic_specs(click_partitions, replication) if spec.name not in existing]
        if missing:
            # Another process may have created them in the meantime.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
            log.info("created Kafka topics %s", [spec.name for spec in missing])
        return [spec.name for spec in missing]
    finally:
        await admin.close()

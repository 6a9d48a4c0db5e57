"""Forwarding undecodable or unenrichable click messages to ``smartlinks.clicks.dead-letters``.

The consumer stores every dead letter in ClickHouse's ``dead_letters`` table (for SQL), and
with Kafka also here, byte for byte with the reason in headers, so a fixed consumer can
replay them from the topic.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from schemas.events import DEAD_LETTER_TOPIC
from smartlinks.kafka.clients import started_producer, stop_within
from smartlinks.kafka.health import KafkaHealth

DeadLetter = tuple[str, str, bytes | str]  # (reason, detail, payload), as the sink takes them


class KafkaDeadLetters:
    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.forwarded = 0
        self.health = KafkaHealth("dead-letters", bootstrap_servers)
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = await started_producer(self.bootstrap_servers, acks="all", request_timeout_ms=10_000)
        self.health.watch(self._producer.client.fetch_all_metadata)

    async def stop(self) -> None:
        await self.health.close()
        producer, self._producer = self._producer, None
        if producer is not None:
            await stop_within(producer.stop(), 10, "the dead-letter producer")

    async def forward(self, letters: Sequence[DeadLetter]) -> None:
        if self._producer is None:
            raise ConnectionError("the dead-letter producer is not started")
        futures = []
        for reason, detail, payload in letters:
            value = payload if isinstance(payload, bytes) else payload.encode("utf-8", "replace")
            headers = [("reason", reason.encode()), ("detail", detail.encode("utf-8", "replace")[:1000])]
            futures.append(await self._producer.send(DEAD_LETTER_TOPIC, value=value, headers=headers))
        await asyncio.gather(*futures)
        self.forwarded += len(letters)

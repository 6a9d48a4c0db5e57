"""The API part, and ``smartlinks api``: the API and the dashboard.

Deliveries and conversions the API accepts are on disk, in the funnel log, before it
answers; the funnel consumer reads that log in an embedded process, and in a distributed
one it is shipped to Kafka. Link changes leave through the outbox relay: to the in-process
feed, or to Kafka.
"""

from __future__ import annotations

import asyncio

from api.analytics.funnel import FunnelQueries, side_threads
from api.analytics.query import AnalyticsQueries
from api.analytics_routes import AnalyticsClickCounter
from api.app import ApiContext, create_api
from roles.process import Process
from schemas.events import FUNNEL_TOPIC, funnel_key
from smartlinks.changes import ChangePublisher
from smartlinks.eventlog.metrics import funnel_log_metrics
from smartlinks.eventlog.writer import EventLog
from smartlinks.outbox import ChangeRelay
from smartlinks.settings import Settings


class ApiPart:
    needs_topics = True

    def __init__(self, process: Process) -> None:
        self.process = process
        settings = process.settings
        self.funnel_log = EventLog(settings.data_dir / "funnel-events", settings.event_fsync_ms)

    async def open(self) -> None:
        self.process.funnel_reader = self.process.open_log(self.funnel_log, funnel_log_metrics)

    async def start(self) -> None:
        process = self.process
        query_client = await process.clickhouse()
        queries = AnalyticsQueries(query_client)
        # Half of each funnel runs on a connection of its own, beside the other half.
        funnel = FunnelQueries(
            query_client, await process.clickhouse(), side_threads(process.settings.clickhouse_dsn)
        )
        process.exit.callback(funnel.close)
        process.checks["clickhouse"] = lambda: asyncio.to_thread(query_client.command, "SELECT 1")
        relay = ChangeRelay(process.store, await self._change_publisher())
        process.api = create_api(
            ApiContext(
                process.settings,
                process.store,
                relay,
                AnalyticsClickCounter(queries),
                queries,
                funnel_log=self.funnel_log,
                funnel=funnel,
            )
        )
        if process.kafka:
            await self._ship_funnel_log(process.kafka)
        await process.enter(relay.start, relay.stop)

    async def _change_publisher(self) -> ChangePublisher:
        process = self.process
        if not process.kafka:
            return process.feed
        from smartlinks.kafka.changes import KafkaChangeFeed

        feed = KafkaChangeFeed(process.kafka)
        await process.enter(feed.start, feed.stop)
        return feed

    async def _ship_funnel_log(self, kafka: str) -> None:
        """The funnel log goes to Kafka; embedded, the funnel consumer reads it itself."""
        from smartlinks.kafka.publisher import KafkaClickPublisher

        process = self.process
        assert process.funnel_reader is not None
        shipper = KafkaClickPublisher(
            kafka,
            process.funnel_reader,
            FUNNEL_TOPIC,
            process.settings.kafka_click_partitions,
            key_of=funnel_key,
            name="funnel-publisher",
        )
        await process.enter(shipper.start, shipper.stop)


def build(settings: Settings) -> Process:
    """``smartlinks api``: the API alone; its clicks come from the consumers through ClickHouse."""
    process = Process(settings, embedded=False)
    process.add(ApiPart(process))
    return process

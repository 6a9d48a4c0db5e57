"""The redirector part, and ``smartlinks redirector``: short links answered at the edge.

Clicks go to the edge log before their redirects are answered. Its one reader is the
consumer in an embedded process and the Kafka publisher in a distributed one. The link
cache hears of changes from the feed and is cleared whenever it (re)connects to Kafka, as
it may have missed some.
"""

from __future__ import annotations

from redirector.app import create_redirector, redirector_metrics
from redirector.cache import LinkCache
from redirector.domains import KnownDomains
from roles.process import Process
from smartlinks.changes import in_order
from smartlinks.eventlog.metrics import event_log_metrics
from smartlinks.eventlog.writer import EventLog
from smartlinks.settings import Settings


async def _nothing() -> None:
    pass


class RedirectorPart:
    needs_topics = False  # a redirector alone starts without Kafka: its clicks wait in the edge log

    def __init__(self, process: Process) -> None:
        self.process = process
        settings = process.settings
        self.click_log = EventLog(
            settings.event_log_path, settings.event_fsync_ms, legacy_spool=settings.data_dir / "spool"
        )
        self.cache = LinkCache(
            process.store.resolve_many,
            settings.link_cache_size,
            settings.link_cache_ttl,
            settings.negative_cache_ttl,
        )
        self.domains = KnownDomains(process.store.domains.every)
        edge = create_redirector(
            settings,
            self.cache,
            self.click_log,
            process.visitor_key,
            list(process.service.routes),
            process.store.click_counts,
            self.domains,
            dashboard=process.embedded,
        )
        self.edge = process.edge = edge
        process.registry.register(redirector_metrics(edge))

    async def open(self) -> None:
        self.process.click_reader = self.process.open_log(self.click_log, event_log_metrics)

    async def start(self) -> None:
        process = self.process
        if process.kafka:
            from smartlinks.kafka.publisher import KafkaClickPublisher

            assert process.click_reader is not None
            partitions = process.settings.kafka_click_partitions
            publisher = KafkaClickPublisher(process.kafka, process.click_reader, click_partitions=partitions)
            process.registry.register(publisher.metrics())
            await process.enter(publisher.start, publisher.stop)
        # Unspent leases of limited links go back to the store when the redirector stops.
        await process.enter(_nothing, self.edge.rules.close)
        await self.domains.refresh()
        await process.listen(
            in_order(self.domains.apply, self.cache.apply), group=None, on_connected=self._reconnected
        )

    def _reconnected(self) -> None:
        # Changes made while the feed was away were not heard: of links, nor of domains.
        self.cache.clear()
        self.domains.refresh_soon()


def build(settings: Settings) -> Process:
    """``smartlinks redirector``: the redirector alone, its clicks shipped to Kafka."""
    process = Process(settings, embedded=False)
    process.add(RedirectorPart(process))
    return process

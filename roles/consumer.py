"""The consumer part, and ``smartlinks consumer``: clicks and funnel events into ClickHouse.

The click consumer reads the edge log when the redirector runs in the same process, and
Kafka otherwise; the funnel consumer likewise reads the API's funnel log or Kafka. Both
fire webhook triggers, so the webhooks start before them and stop after their last drain.
"""

from __future__ import annotations

import asyncio

from consumer.batch_loop import Source
from consumer.decode import ClickDecoder
from consumer.enrich.geo import GeoLocator
from consumer.enrich.pipeline import Enricher
from consumer.enrich_worker import EnrichWorker, TenantRulesFeed, WorkerSetup, workers_for
from consumer.funnel import Describe, FunnelSink, describer
from consumer.funnel_loop import FunnelConsumer
from consumer.ingest import ClickIngest
from consumer.link_changes import AnalyticsLinkChanges
from consumer.loop import ClickConsumer, DeadLetterTopic
from consumer.metrics import consumer_metrics, funnel_metrics
from consumer.webhooks import WebhookService
from roles.process import Process
from schemas.events import FUNNEL_TOPIC
from smartlinks.bots.tenant_bots import TenantBots
from smartlinks.settings import Settings


class ConsumerPart:
    needs_topics = True

    def __init__(self, process: Process) -> None:
        self.process = process

    async def open(self) -> None:
        """The consumer writes no log of its own."""

    async def start(self) -> None:
        process, settings = self.process, self.process.settings
        # One client per user: the sink keeps a session-scoped staging table.
        sink = ClickIngest(await process.clickhouse())
        geo = GeoLocator(settings.geoip_db or None)
        process.exit.callback(geo.close)
        # Each tenant's own bot rules; every consumer process hears every settings change.
        # Listening first, then reading them all: no change falls between the two.
        tenant_bots = TenantBots(process.store)
        enricher = Enricher(geo, process.visitor_key, tenant_bots=tenant_bots)
        worker: EnrichWorker | None = None
        if workers_for(settings.enrich_workers):
            # Decoding and enrichment in a process of their own (consumer/enrich_worker.py),
            # which is sent the tenants' rules as they change.
            rules = TenantRulesFeed(process.store, tenant_bots)
            await process.listen(rules.apply, group=None, on_connected=rules.reload_soon)
            await rules.reload()
            setup = WorkerSetup(settings.geoip_db or None, process.visitor_key)
            worker = EnrichWorker(setup, enricher, decoder := ClickDecoder(), rules)
            await asyncio.to_thread(worker.start)
            # Stopped after the consumer's last drain, which is pushed later (runs earlier).
            process.exit.push_async_callback(asyncio.to_thread, worker.stop)
        else:
            await process.listen(tenant_bots.apply, group=None, on_connected=tenant_bots.reload_soon)
            await tenant_bots.reload()
            decoder = ClickDecoder()
        source, dead_letters = await self._click_source()
        # Click triggers start before the consumer and stop after it (its drain fires them).
        webhooks = WebhookService(settings, process.store)
        await process.enter(webhooks.start, webhooks.stop)
        process.registry.register(webhooks.metrics())
        consumer = ClickConsumer(
            source,
            enricher,
            sink,
            settings.consumer_batch_size,
            settings.consumer_max_wait,
            dead_letters,
            triggers=webhooks.matcher,
            decoder=decoder,
            worker=worker,
        )
        process.registry.register(consumer_metrics(consumer, enricher))
        link_changes = AnalyticsLinkChanges(process.store, sink.client)
        await process.listen(
            link_changes.delete, group=settings.consumer_group + "-links", later=link_changes.mirror_links
        )
        task = asyncio.create_task(consumer.run(), name="click-consumer")
        process.exit.push_async_callback(process.stop_loop, task, consumer.drain, "clicks")
        if worker is not None:
            process.exit.callback(worker.closing)  # runs first: before the drain
        await self._start_funnel_consumer(sink, describer(geo, enricher.agents), webhooks)

    async def _click_source(self) -> tuple[Source, DeadLetterTopic | None]:
        process = self.process
        if not process.kafka:
            assert process.click_reader is not None  # embedded: this process runs the redirector too
            return process.click_reader, None
        from smartlinks.kafka.dead_letters import KafkaDeadLetters
        from smartlinks.kafka.source import KafkaClickSource

        kafka_source = KafkaClickSource(process.kafka, process.settings.consumer_group)
        await process.enter(kafka_source.start, kafka_source.stop)
        process.checks["kafka_consumer"] = kafka_source.ping
        dead_letters = KafkaDeadLetters(process.kafka)
        await process.enter(dead_letters.start, dead_letters.stop)
        return kafka_source, dead_letters

    async def _start_funnel_consumer(
        self, sink: ClickIngest, describe: Describe, webhooks: WebhookService
    ) -> None:
        process, settings = self.process, self.process.settings
        source: Source
        if not process.kafka:
            assert process.funnel_reader is not None  # embedded: this process runs the API too
            source = process.funnel_reader
        else:
            from smartlinks.kafka.source import KafkaClickSource

            kafka_source = KafkaClickSource(
                process.kafka, settings.consumer_group + "-events", FUNNEL_TOPIC, name="funnel-consumer"
            )
            await process.enter(kafka_source.start, kafka_source.stop)
            process.checks["kafka_funnel_consumer"] = kafka_source.ping
            source = kafka_source
        funnel = FunnelConsumer(
            source,
            FunnelSink(await process.clickhouse(), describe),
            sink.dead_letter,
            settings.consumer_batch_size,
            settings.consumer_max_wait,
            # Conversion triggers: the same webhooks, started before and stopped after this.
            triggers=webhooks.matcher,
            click_wait=settings.consumer_click_wait,
        )
        process.registry.register(funnel_metrics(funnel))
        task = asyncio.create_task(funnel.run(), name="funnel-consumer")
        process.exit.push_async_callback(process.stop_loop, task, funnel.drain, "funnel events")


def build(settings: Settings) -> Process:
    """``smartlinks consumer``: one member of the consumer group, reading Kafka."""
    process = Process(settings, embedded=False)
    process.add(ConsumerPart(process))
    return process

"""Assembling a process from the parts it runs: redirector, API, consumer.

``smartlinks up`` runs all three in one process on embedded parts (the edge log read by
the consumer in-process, the in-process change feed, SQLite, chDB).
``smartlinks redirector|api|consumer|analytics`` run one or two of them as separate
services that talk through Kafka. Only the transport differs: the parts, the SQL and the
event formats are the same code.

HTTP: with the API, ``/api/`` and ``/dashboard`` go to it; with the redirector, every
other path goes to the redirect edge; ``/healthz``, ``/readyz`` and ``/metrics`` are
served in every process. One lifespan opens everything in order and closes it in reverse:
the edge log opens first and closes last, after the consumer (or the Kafka publisher) has
taken from it what it could.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from starlette.routing import Router

from api.analytics.query import AnalyticsQueries
from api.analytics_routes import AnalyticsClickCounter
from api.app import ApiContext, create_api
from consumer.enrich.geo import GeoLocator
from consumer.enrich.pipeline import Enricher
from consumer.funnel import Describe, FunnelSink, describer
from consumer.funnel_loop import FunnelConsumer
from consumer.ingest import ClickIngest
from consumer.link_changes import AnalyticsLinkChanges
from consumer.loop import ClickConsumer, DeadLetterTopic, Source
from consumer.metrics import consumer_metrics, funnel_metrics
from consumer.webhooks import WebhookService
from redirector.app import create_redirector, not_found, redirector_metrics
from redirector.cache import LinkCache
from redirector.edge import RedirectEdge
from schemas.events import FUNNEL_TOPIC, funnel_key
from smartlinks import clickhouse
from smartlinks.changes import ChangePublisher, InProcessChangeFeed, Subscriber
from smartlinks.eventlog.metrics import event_log_metrics, funnel_log_metrics
from smartlinks.eventlog.reader import EventLogReader
from smartlinks.eventlog.writer import EventLog
from smartlinks.metrics import new_registry
from smartlinks.outbox import ChangeRelay
from smartlinks.service import Check, service_routes
from smartlinks.settings import Settings, SettingsError
from smartlinks.store import open_store
from smartlinks.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

ROLES = frozenset({"redirector", "api", "consumer"})


class SmartLinksApp:
    def __init__(self, settings: Settings, roles: frozenset[str] = ROLES) -> None:
        if not roles or not roles <= ROLES:
            raise ValueError(f"roles must be a non-empty subset of {sorted(ROLES)}")
        self.kafka = settings.kafka_bootstrap_servers
        if roles != ROLES and not self.kafka:
            raise SettingsError(
                "SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS is required when the parts run as separate processes"
            )
        self.settings = settings
        self.roles = roles
        self.store = open_store(settings)
        self.registry = new_registry()
        self.checks: dict[str, Check] = {"link_store": self.store.ping}
        self.visitor_key = settings.load_secret_key()
        self.feed = InProcessChangeFeed()  # in-process subscribers; Kafka adds its own below
        # Clicks go to the edge log before their redirects are answered. Its one reader is
        # the consumer in embedded mode and the Kafka publisher in distributed mode.
        self.click_log: EventLog | None = None
        self.log_reader: EventLogReader | None = None
        if "redirector" in roles:
            self.click_log = EventLog(
                settings.event_log_path, settings.event_fsync_ms, legacy_spool=settings.data_dir / "spool"
            )
        # Deliveries and conversions the API accepted, on disk before it answers; read by
        # the funnel consumer (embedded) or shipped to Kafka (smartlinks.events).
        self.funnel_log: EventLog | None = None
        self.funnel_reader: EventLogReader | None = None
        if "api" in roles:
            self.funnel_log = EventLog(settings.data_dir / "funnel-events", settings.event_fsync_ms)
        self.edge: RedirectEdge | None = None
        self.cache: LinkCache | None = None
        self.api: ASGIApp | None = None  # built at startup, once ClickHouse is connected
        self.consumer: ClickConsumer | None = None
        service = Router(routes=service_routes(self.checks, self.registry), default=not_found)
        self.service: ASGIApp = service
        if "redirector" in roles:
            self._build_redirector(service)
        self._exit = AsyncExitStack()

    # -- construction -------------------------------------------------------------------

    def _build_redirector(self, service: Router) -> None:
        settings = self.settings
        self.cache = LinkCache(
            self.store.resolve, settings.link_cache_size, settings.link_cache_ttl, settings.negative_cache_ttl
        )
        assert self.click_log is not None
        self.edge = create_redirector(
            settings, self.cache, self.click_log, self.visitor_key, list(service.routes)
        )
        self.registry.register(redirector_metrics(self.edge))

    # -- lifespan -------------------------------------------------------------------------

    async def _enter(
        self, start: Callable[[], Awaitable[object]], stop: Callable[[], Awaitable[object]]
    ) -> None:
        await start()
        self._exit.push_async_callback(stop)

    async def startup(self) -> None:
        settings = self.settings
        await self._enter(self.store.open, self.store.close)
        if self.kafka and self.roles & {"api", "consumer"}:
            # A redirector alone starts without Kafka (its clicks wait in the edge log); its
            # publisher makes the topics when it first reaches the brokers.
            from smartlinks.kafka.topics import ensure_topics

            await ensure_topics(self.kafka, settings.kafka_click_partitions)
        if self.click_log is not None:
            await self._open_click_log(self.click_log)
        if self.funnel_log is not None:
            self.funnel_log.open()
            self._exit.push_async_callback(self.funnel_log.close)
            self.funnel_reader = EventLogReader(self.funnel_log)
            self.registry.register(funnel_log_metrics(self.funnel_log, self.funnel_reader))

        sink: ClickIngest | None = None
        if self.roles & {"api", "consumer"}:
            sink = await self._open_clickhouse()
        if "consumer" in self.roles:
            assert sink is not None
            await self._start_consumer(sink)
        if self.cache is not None:
            await self._start_redirector(self.cache)
        if "api" in self.roles:
            await self._start_relay()

    async def _open_click_log(self, click_log: EventLog) -> None:
        click_log.open()
        self._exit.push_async_callback(click_log.close)
        self.log_reader = EventLogReader(click_log)
        self.registry.register(event_log_metrics(click_log, self.log_reader))

    async def _open_clickhouse(self) -> ClickIngest:
        dsn, database = self.settings.clickhouse_dsn, self.settings.clickhouse_database
        # One client per user: the sink keeps a session-scoped staging table.
        sink_client = await asyncio.to_thread(clickhouse.connect, dsn, database)
        self._exit.callback(sink_client.close)
        applied = await asyncio.to_thread(
            clickhouse.migrate, sink_client, cluster=self.settings.clickhouse_cluster
        )
        if applied:
            log.info("ClickHouse migrations applied: %s", ", ".join(applied))
        if "api" in self.roles:
            query_client = await asyncio.to_thread(clickhouse.connect, dsn, database)
            self._exit.callback(query_client.close)
            queries = AnalyticsQueries(query_client)
            self.checks["clickhouse"] = lambda: asyncio.to_thread(query_client.command, "SELECT 1")
            relay = self.relay = ChangeRelay(self.store, self._change_publisher())
            self.api = create_api(
                ApiContext(
                    self.settings,
                    self.store,
                    relay,
                    AnalyticsClickCounter(queries),
                    queries,
                    funnel_log=self.funnel_log,
                )
            )
        return ClickIngest(sink_client)

    def _change_publisher(self) -> ChangePublisher:
        if not self.kafka:
            return self.feed
        from smartlinks.kafka.changes import KafkaChangeFeed

        self._kafka_feed = KafkaChangeFeed(self.kafka)
        return self._kafka_feed

    async def _start_consumer(self, sink: ClickIngest) -> None:
        settings = self.settings
        geo = GeoLocator(settings.geoip_db or None)
        self._exit.callback(geo.close)
        enricher = Enricher(geo, self.visitor_key)
        source: Source
        dead_letters: DeadLetterTopic | None = None
        if not self.kafka:
            assert self.log_reader is not None  # embedded: this process runs the redirector too
            source = self.log_reader
        else:
            from smartlinks.kafka.dead_letters import KafkaDeadLetters
            from smartlinks.kafka.source import KafkaClickSource

            kafka_source = KafkaClickSource(self.kafka, settings.consumer_group)
            await self._enter(kafka_source.start, kafka_source.stop)
            self.checks["kafka_consumer"] = kafka_source.ping
            source = kafka_source
            kafka_dead_letters = KafkaDeadLetters(self.kafka)
            await self._enter(kafka_dead_letters.start, kafka_dead_letters.stop)
            dead_letters = kafka_dead_letters
        # Click triggers start before the consumer and stop after it (its drain fires them).
        webhooks = WebhookService(settings, self.store)
        await self._enter(webhooks.start, webhooks.stop)
        self.registry.register(webhooks.metrics())
        self.consumer = ClickConsumer(
            source,
            enricher,
            sink,
            settings.consumer_batch_size,
            settings.consumer_max_wait,
            dead_letters,
            triggers=webhooks.matcher,
        )
        self.registry.register(consumer_metrics(self.consumer, enricher))
        await self._listen(
            AnalyticsLinkChanges(self.store, sink.client).apply, group=settings.consumer_group + "-links"
        )
        task = asyncio.create_task(self.consumer.run(), name="click-consumer")
        self._exit.push_async_callback(self._stop_consumer, task)
        await self._start_funnel_consumer(sink, describer(geo, enricher.agents), webhooks)

    async def _start_funnel_consumer(
        self, sink: ClickIngest, describe: Describe, webhooks: WebhookService
    ) -> None:
        settings = self.settings
        source: Source
        if not self.kafka:
            assert self.funnel_reader is not None  # embedded: this process runs the API too
            source = self.funnel_reader
        else:
            from smartlinks.kafka.source import KafkaClickSource

            kafka_source = KafkaClickSource(
                self.kafka, settings.consumer_group + "-events", FUNNEL_TOPIC, name="funnel-consumer"
            )
            await self._enter(kafka_source.start, kafka_source.stop)
            self.checks["kafka_funnel_consumer"] = kafka_source.ping
            source = kafka_source
        client = await asyncio.to_thread(
            clickhouse.connect, settings.clickhouse_dsn, settings.clickhouse_database
        )
        self._exit.callback(client.close)
        funnel = FunnelConsumer(
            source,
            FunnelSink(client, describe),
            sink.dead_letter,
            settings.consumer_batch_size,
            settings.consumer_max_wait,
            # Conversion triggers: the same webhooks, started before and stopped after this.
            triggers=webhooks.matcher,
        )
        self.funnel_consumer = funnel
        self.registry.register(funnel_metrics(funnel))
        task = asyncio.create_task(funnel.run(), name="funnel-consumer")
        self._exit.push_async_callback(self._stop_loop, task, funnel.drain, "funnel events")

    async def _start_redirector(self, cache: LinkCache) -> None:
        if self.kafka:
            from smartlinks.kafka.publisher import KafkaClickPublisher

            assert self.log_reader is not None
            partitions = self.settings.kafka_click_partitions
            publisher = KafkaClickPublisher(self.kafka, self.log_reader, click_partitions=partitions)
            self.registry.register(publisher.metrics())
            await self._enter(publisher.start, publisher.stop)
        await self._listen(cache.apply, group=None, on_connected=cache.clear)

    async def _listen(
        self, apply: Subscriber, group: str | None, on_connected: Callable[[], None] | None = None
    ) -> None:
        """Hear of link changes: directly in one process, from Kafka across processes."""
        if not self.kafka:
            self.feed.subscribe(apply)
            return
        from smartlinks.kafka.changes import KafkaChangeListener

        listener = KafkaChangeListener(self.kafka, apply, group_id=group, on_connected=on_connected)
        await self._enter(listener.start, listener.stop)

    async def _start_relay(self) -> None:
        if self.kafka:
            await self._enter(self._kafka_feed.start, self._kafka_feed.stop)
            # The funnel log goes to Kafka; embedded, the funnel consumer reads it itself.
            from smartlinks.kafka.publisher import KafkaClickPublisher

            assert self.funnel_reader is not None
            shipper = KafkaClickPublisher(
                self.kafka,
                self.funnel_reader,
                FUNNEL_TOPIC,
                self.settings.kafka_click_partitions,
                key_of=funnel_key,
                name="funnel-publisher",
            )
            await self._enter(shipper.start, shipper.stop)
        await self._enter(self.relay.start, self.relay.stop)

    async def _stop_consumer(self, task: asyncio.Task[None]) -> None:
        assert self.consumer is not None
        await self._stop_loop(task, self.consumer.drain, "clicks")

    async def _stop_loop(
        self, task: asyncio.Task[None], drain: Callable[[], Awaitable[None]], what: str
    ) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # What was logged last goes into ClickHouse before the process ends.
        try:
            await asyncio.wait_for(drain(), 30)
        except Exception:
            log.exception("could not store the last %s; they are delivered again on the next start", what)

    async def shutdown(self) -> None:
        await self._exit.aclose()

    # -- ASGI ---------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if self.api is not None and (path.startswith("/api/") or path.startswith("/dashboard")):
                await self.api(scope, receive, send)
            elif self.edge is not None:
                await self.edge(scope, receive, send)
            else:
                await self.service(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        else:  # websockets: nothing here speaks them
            await self.service(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("startup failed")
                    await self._exit.aclose()
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

"""The embedded product: redirector, consumer and API in one process on one port.

Requests under ``/api/`` and ``/dashboard`` go to the API; every other path goes to the
redirect edge, whose own router answers ``/healthz``, ``/readyz``, ``/metrics`` and 404s.
Clicks flow edge → in-process bus → consumer → chDB; the API reads them back. One
lifespan opens everything in order and closes it in reverse, draining queued clicks into
ClickHouse before it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import AsyncExitStack

from api.analytics.query import AnalyticsQueries
from api.analytics_routes import AnalyticsClickCounter
from api.app import ApiContext, create_api
from consumer.enrich.geo import GeoLocator
from consumer.enrich.pipeline import Enricher
from consumer.link_changes import AnalyticsLinkChanges
from consumer.loop import ClickConsumer
from consumer.metrics import consumer_metrics
from consumer.sink import ClickSink
from redirector.app import create_redirector, redirector_metrics
from redirector.cache import LinkCache
from smartlinks import clickhouse
from smartlinks.bus import InProcessBus
from smartlinks.changes import InProcessChangeFeed
from smartlinks.metrics import new_registry
from smartlinks.outbox import ChangeRelay
from smartlinks.service import service_routes
from smartlinks.settings import Settings
from smartlinks.store import open_store
from smartlinks.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)


class EmbeddedApp:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = open_store(settings)
        self.bus = InProcessBus(settings.event_buffer_size, settings.data_dir / "spool")
        self.changes = InProcessChangeFeed()
        self.cache = LinkCache(
            self.store.resolve, settings.link_cache_size, settings.link_cache_ttl, settings.negative_cache_ttl
        )
        self.changes.subscribe(self.cache.apply)
        self.relay = ChangeRelay(self.store, self.changes)
        # Built at startup, once ClickHouse is connected; no request arrives before that.
        self.api: ASGIApp | None = None
        self.queries: AnalyticsQueries | None = None
        self.registry = new_registry()
        routes = service_routes(
            {"link_store": self.store.ping, "clickhouse": self._ping_clickhouse}, self.registry
        )
        self.visitor_key = settings.load_secret_key()
        self.edge = create_redirector(settings, self.cache, self.bus, self.visitor_key, routes)
        self.registry.register(redirector_metrics(self.edge))
        self.consumer: ClickConsumer | None = None
        self._exit = AsyncExitStack()

    async def _ping_clickhouse(self) -> None:
        if self.queries is None:
            raise ConnectionError("ClickHouse is not connected yet")
        await asyncio.to_thread(self.queries.client.command, "SELECT 1")

    async def startup(self) -> None:
        settings = self.settings
        await self.store.open()
        self._exit.push_async_callback(self.store.close)

        # One client per user: the sink keeps a session-scoped staging table.
        dsn, database = settings.clickhouse_dsn, settings.clickhouse_database
        sink_client = await asyncio.to_thread(clickhouse.connect, dsn, database)
        self._exit.callback(sink_client.close)
        applied = await asyncio.to_thread(clickhouse.migrate, sink_client)
        if applied:
            log.info("ClickHouse migrations applied: %s", ", ".join(applied))
        query_client = await asyncio.to_thread(clickhouse.connect, dsn, database)
        self._exit.callback(query_client.close)
        self.queries = AnalyticsQueries(query_client)
        self.api = create_api(
            ApiContext(settings, self.store, self.relay, AnalyticsClickCounter(self.queries), self.queries)
        )

        geo = GeoLocator(settings.geoip_db or None)
        self._exit.callback(geo.close)
        sink = ClickSink(sink_client)
        enricher = Enricher(geo, self.visitor_key)
        self.consumer = ClickConsumer(
            self.bus, enricher, sink, settings.consumer_batch_size, settings.consumer_max_wait
        )
        self.registry.register(consumer_metrics(self.consumer, enricher))
        self.changes.subscribe(AnalyticsLinkChanges(self.store, sink).apply)

        await self.bus.start()
        self._exit.push_async_callback(self.bus.stop)
        consumer_task = asyncio.create_task(self.consumer.run(), name="click-consumer")
        self._exit.push_async_callback(self._stop_consumer, consumer_task)
        await self.relay.start()
        self._exit.push_async_callback(self.relay.stop)

    async def _stop_consumer(self, task: asyncio.Task[None]) -> None:
        assert self.consumer is not None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # What the edge published last goes into ClickHouse before the process ends.
        try:
            await asyncio.wait_for(self.consumer.drain(), 30)
        except Exception:
            log.exception("could not drain the click queue; the rest stays in the spool")

    async def shutdown(self) -> None:
        await self._exit.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/api/") or path.startswith("/dashboard"):
                assert self.api is not None, "requests are served only after startup"
                await self.api(scope, receive, send)
            else:
                await self.edge(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        else:  # websockets: nothing here speaks them
            await self.edge(scope, receive, send)

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

"""One process of Smart Links: the shell that the parts it runs are fitted into.

The shell owns what every process has: the link store, the metrics registry, the service
endpoints (``/healthz``, ``/readyz``, ``/metrics``), the in-process change feed and one
lifespan. The parts (``roles.redirector``, ``roles.api``, ``roles.consumer``) add their own
resources to it; this module imports none of them, so a process loads only the parts it runs.

HTTP: with the API, ``/api/`` and ``/dashboard`` go to it; with the redirector, every
other path goes to the redirect edge; the service endpoints are served in every process.
The lifespan opens everything in order and closes it in reverse: first every part's logs
(so the edge log opens first and closes last, after the consumer or the Kafka publisher
has taken from it what it could), then each part starts in the order it was added.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Protocol

from starlette.routing import Router

from smartlinks.changes import InProcessChangeFeed, Subscriber, in_order
from smartlinks.eventlog.reader import EventLogReader
from smartlinks.eventlog.writer import EventLog
from smartlinks.metrics import StatsCollector, new_registry
from smartlinks.service import Check, service_routes
from smartlinks.settings import Settings, SettingsError
from smartlinks.store import open_store
from smartlinks.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from smartlinks.clickhouse import Client

log = logging.getLogger(__name__)


class Part(Protocol):
    """What a part does in the lifespan: open its logs, then start its work."""

    needs_topics: bool  # whether it reads or writes Kafka topics it may have to create

    async def open(self) -> None: ...

    async def start(self) -> None: ...


class Process:
    def __init__(self, settings: Settings, *, embedded: bool) -> None:
        """``embedded``: every part runs in this process, so Kafka is optional."""
        self.kafka = settings.kafka_bootstrap_servers
        if not embedded and not self.kafka:
            raise SettingsError(
                "SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS is required when the parts run as separate processes"
            )
        self.settings = settings
        self.embedded = embedded
        self.store = open_store(settings)
        self.registry = new_registry()
        self.checks: dict[str, Check] = {"link_store": self.store.ping}
        self.visitor_key = settings.load_secret_key()
        self.feed = InProcessChangeFeed()  # in-process subscribers; Kafka adds its own
        self.service: Router = Router(routes=service_routes(self.checks, self.registry))
        # Set by the parts: the API's HTTP app (built at startup, once ClickHouse is
        # connected), the redirect edge, and the readers of the logs a part writes, which a
        # consumer in the same process reads instead of Kafka.
        self.api: ASGIApp | None = None
        self.edge: ASGIApp | None = None
        self.click_reader: EventLogReader | None = None
        self.funnel_reader: EventLogReader | None = None
        self.parts: list[Part] = []
        self.exit = AsyncExitStack()
        self._clickhouse_migrated = False

    def add(self, part: Part) -> None:
        self.parts.append(part)

    # -- what the parts share -------------------------------------------------------------

    async def enter(
        self, start: Callable[[], Awaitable[object]], stop: Callable[[], Awaitable[object]]
    ) -> None:
        await start()
        self.exit.push_async_callback(stop)

    def open_log(
        self, log: EventLog, metrics: Callable[[EventLog, EventLogReader], StatsCollector]
    ) -> EventLogReader:
        """Open one of the process's event logs until it stops; its reader, with its metrics."""
        log.open()
        self.exit.push_async_callback(log.close)
        reader = EventLogReader(log)
        self.registry.register(metrics(log, reader))
        return reader

    async def clickhouse(self) -> Client:
        """A new ClickHouse client, closed with the process; the first applies the migrations."""
        from smartlinks import clickhouse

        dsn, database = self.settings.clickhouse_dsn, self.settings.clickhouse_database
        client = await asyncio.to_thread(clickhouse.connect, dsn, database)
        self.exit.callback(client.close)
        if not self._clickhouse_migrated:
            applied = await asyncio.to_thread(
                clickhouse.migrate, client, cluster=self.settings.clickhouse_cluster
            )
            self._clickhouse_migrated = True
            if applied:
                log.info("ClickHouse migrations applied: %s", ", ".join(applied))
        return client

    async def listen(
        self,
        apply: Subscriber,
        group: str | None,
        on_connected: Callable[[], None] | None = None,
        later: Subscriber | None = None,
    ) -> None:
        """Hear of link changes: directly in one process, from Kafka across processes.
        ``later`` hears of them in one process only once the API has answered (see
        smartlinks.outbox.ChangeRelay); from Kafka, right after ``apply``."""
        if not self.kafka:
            self.feed.subscribe(apply)
            if later is not None:
                self.feed.subscribe(later, later=True)
            return
        if later is not None:
            apply = in_order(apply, later)
        from smartlinks.kafka.changes import KafkaChangeListener

        listener = KafkaChangeListener(self.kafka, apply, group_id=group, on_connected=on_connected)
        await self.enter(listener.start, listener.stop)

    async def stop_loop(
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

    # -- lifespan -------------------------------------------------------------------------

    async def startup(self) -> None:
        await self.enter(self.store.open, self.store.close)
        if self.kafka and any(part.needs_topics for part in self.parts):
            # A redirector alone starts without Kafka (its clicks wait in the edge log); its
            # publisher makes the topics when it first reaches the brokers.
            from smartlinks.kafka.topics import ensure_topics

            await ensure_topics(self.kafka, self.settings.kafka_click_partitions)
        for part in self.parts:
            await part.open()
        for part in self.parts:
            await part.start()

    async def shutdown(self) -> None:
        await self.exit.aclose()

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
                    await self.exit.aclose()
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

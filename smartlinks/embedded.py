"""The embedded product: redirector, API (and consumer) in one process on one port.

Requests under ``/api/`` and ``/dashboard`` go to the API; every other path goes to the
redirect edge, whose own router answers ``/healthz``, ``/readyz``, ``/metrics`` and 404s.
One lifespan opens and closes everything, in order.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack

from api.app import ApiContext, ZeroClickCounter, create_api
from redirector.app import create_redirector, redirector_metrics
from redirector.cache import LinkCache
from smartlinks.bus import InProcessBus
from smartlinks.changes import InProcessChangeFeed
from smartlinks.metrics import new_registry
from smartlinks.outbox import ChangeRelay
from smartlinks.service import service_routes
from smartlinks.settings import Settings
from smartlinks.store import open_store
from smartlinks.types import Receive, Scope, Send

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
        self.api = create_api(ApiContext(settings, self.store, self.relay, ZeroClickCounter()))
        self.registry = new_registry()
        routes = service_routes({"link_store": self.store.ping}, self.registry)
        self.edge = create_redirector(settings, self.cache, self.bus, settings.load_secret_key(), routes)
        self.registry.register(redirector_metrics(self.edge))
        self._exit = AsyncExitStack()

    async def startup(self) -> None:
        await self.store.open()
        self._exit.push_async_callback(self.store.close)
        await self.bus.start()
        self._exit.push_async_callback(self.bus.stop)
        await self.relay.start()
        self._exit.push_async_callback(self.relay.stop)

    async def shutdown(self) -> None:
        await self._exit.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if path.startswith("/api/") or path.startswith("/dashboard"):
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
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

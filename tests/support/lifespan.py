"""An app served with a store opened around it, as the product's lifespan opens its own."""

from __future__ import annotations

import asyncio

from smartlinks.store.link_store import LinkStore
from smartlinks.types import ASGIApp, Receive, Scope, Send


class WithStore:
    """Serves ``app``; opens ``store`` at startup and closes it at shutdown, on the server's
    event loop, which it keeps for the test to run store calls on (the store's executor
    and pool live there)."""

    def __init__(self, app: ASGIApp, store: LinkStore) -> None:
        self.app = app
        self.store = store
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the app has not started")
        return self._loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.store.open()
                self._loop = asyncio.get_running_loop()
                await send({"type": "lifespan.startup.complete"})
            else:
                await self.store.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

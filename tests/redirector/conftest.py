"""A redirector served over real HTTP, with a SQLite store and the edge log in a temporary folder."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from redirector.app import create_redirector
from redirector.cache import LinkCache
from redirector.domains import KnownDomains
from redirector.edge import RedirectEdge
from schemas.events import ClickEvent
from smartlinks.changes import InProcessChangeFeed
from smartlinks.eventlog.segments import segment_numbers, segment_path
from smartlinks.eventlog.writer import EventLog
from smartlinks.models import NewLink
from smartlinks.settings import Settings
from smartlinks.store.sqlite import SQLiteLinkStore
from smartlinks.types import Receive, Scope, Send
from tests.support.server import serve


class CountingStore(SQLiteLinkStore):
    """The real SQLite store, counting how often the redirector reaches it."""

    resolves = 0  # codes looked up

    async def resolve_many(self, codes: Sequence[str]) -> Any:
        self.resolves += len(codes)
        return await super().resolve_many(codes)


@dataclass
class Edge:
    url: str
    store: CountingStore
    click_log: EventLog
    changes: InProcessChangeFeed
    cache: LinkCache
    tenant_id: str
    loop: asyncio.AbstractEventLoop
    redirector: RedirectEdge  # for a test that swaps one of its parts (the password guess limiter)

    def events(self) -> list[ClickEvent]:
        """The click events logged so far, decoded from the edge log's files."""
        folder = self.click_log.folder
        lines = b"".join(segment_path(folder, n).read_bytes() for n in segment_numbers(folder))
        return [ClickEvent.from_json(line) for line in lines.splitlines()]

    def call(self, coro: Any) -> Any:
        """Run a store coroutine on the server's loop (the store's executor lives there)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def link(self, destination: str = "https://example.com/landing", **fields: Any) -> Any:
        link = self.call(
            self.store.create_link(NewLink(tenant_id=self.tenant_id, destination_url=destination, **fields))
        )
        return link


def make_edge(
    tmp_path: Path, store_path: Path | None = None, dashboard: bool = False, **overrides: Any
) -> Iterator[Edge]:
    """``store_path``: another edge's SQLite file, for two redirectors sharing one store;
    ``dashboard``: as in an embedded process, where ``/`` leads to the dashboard."""
    settings = Settings(data_dir=tmp_path, **overrides)
    store = CountingStore(store_path or tmp_path / "links.sqlite3")
    click_log = EventLog(settings.event_log_path, settings.event_fsync_ms)
    changes = InProcessChangeFeed()
    cache = LinkCache(
        store.resolve_many, settings.link_cache_size, settings.link_cache_ttl, settings.negative_cache_ttl
    )
    domains = KnownDomains(store.domains.every)
    changes.subscribe(domains.apply)
    changes.subscribe(cache.apply)
    edge = create_redirector(
        settings,
        cache,
        click_log,
        b"k" * 32,
        routes=[],
        click_counter=store.click_counts,
        domains=domains,
        dashboard=dashboard,
    )
    state: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await store.open()
                    click_log.open()
                    await domains.refresh()
                    # Names are unique, and two edges may share a store.
                    tenant = await store.create_tenant(f"t1 {secrets.token_hex(4)}")
                    state["tenant"] = tenant.id
                    state["loop"] = asyncio.get_running_loop()
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await edge.rules.close()
                    await click_log.close()
                    await store.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await edge(scope, receive, send)

    with serve(app) as url:
        yield Edge(url, store, click_log, changes, cache, state["tenant"], state["loop"], edge)


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[Edge]:
    yield from make_edge(tmp_path)

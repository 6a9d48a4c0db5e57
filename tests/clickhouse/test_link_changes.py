"""The analytics side of link changes as one process wires it: deletions at once, before
the API answers; the links mirror a moment later, when the relay settles (so a single
create does not wait for a ClickHouse insert), and never bringing back a deleted link."""

from __future__ import annotations

import asyncio
from pathlib import Path

from consumer.link_changes import AnalyticsLinkChanges
from smartlinks.changes import InProcessChangeFeed
from smartlinks.clickhouse import Client
from smartlinks.models import Link, NewLink
from smartlinks.outbox import ChangeRelay
from smartlinks.store.sqlite import SQLiteLinkStore


def mirror(client: Client) -> dict[str, int]:
    """link id -> deleted, as analysts see the links table."""
    rows = client.query("SELECT link_id, deleted FROM links FINAL").result_rows
    return {link_id: deleted for link_id, deleted in rows}


class Wired:
    def __init__(self, store: SQLiteLinkStore, client: Client) -> None:
        self.store = store
        analytics = AnalyticsLinkChanges(store, client)
        feed = InProcessChangeFeed()
        feed.subscribe(analytics.delete)
        feed.subscribe(analytics.mirror_links, later=True)
        self.relay = ChangeRelay(store, feed)

    async def link(self, tenant_id: str) -> Link:
        return await self.store.create_link(NewLink(tenant_id, "https://shop.example/"))


def test_the_mirror_follows_a_create_when_the_relay_settles(clickhouse: Client, tmp_path: Path) -> None:
    async def run() -> None:
        store = SQLiteLinkStore(tmp_path / "links.sqlite3")
        await store.open()
        try:
            wired = Wired(store, clickhouse)
            tenant = await store.create_tenant("acme")
            link = await wired.link(tenant.id)
            await wired.relay.deliver()  # what the API awaits
            assert mirror(clickhouse) == {}
            await wired.relay.settle()
            assert mirror(clickhouse) == {link.id: 0}
            await store.delete_link(tenant.id, link.id)
            await wired.relay.deliver()  # a deletion is done before the API answers
            assert mirror(clickhouse) == {link.id: 1}
        finally:
            await store.close()

    asyncio.run(run())


def test_a_link_deleted_before_its_mirror_settled_never_shows_as_live(
    clickhouse: Client, tmp_path: Path
) -> None:
    async def run() -> None:
        store = SQLiteLinkStore(tmp_path / "links.sqlite3")
        await store.open()
        try:
            wired = Wired(store, clickhouse)
            tenant = await store.create_tenant("acme")
            kept, gone = await wired.link(tenant.id), await wired.link(tenant.id)
            await wired.relay.deliver()
            await store.delete_link(tenant.id, gone.id)
            # The deletion and the create's mirroring race: both orders must end the same.
            await asyncio.gather(wired.relay.deliver(), wired.relay.settle())
            await wired.relay.flush()
            assert mirror(clickhouse).get(gone.id, 1) == 1
            assert mirror(clickhouse)[kept.id] == 0
            assert await store.pending_changes() == []
        finally:
            await store.close()

    asyncio.run(run())

"""The analytics side of link changes as one process wires it: deletions at once, before
the API answers; the links mirror a moment later, when the relay settles (so a single
create does not wait for a ClickHouse insert), and never bringing back a deleted link."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from consumer.link_changes import AnalyticsLinkChanges
from smartlinks.changes import InProcessChangeFeed
from smartlinks.clickhouse import Client
from smartlinks.models import Link, LinkPatch, NewLink, Tenant
from smartlinks.outbox import ChangeRelay
from smartlinks.store.sqlite import SQLiteLinkStore


def mirror(client: Client) -> dict[str, int]:
    """link id -> deleted, as analysts see the links table."""
    rows = client.query("SELECT link_id, deleted FROM links FINAL").result_rows
    return {link_id: deleted for link_id, deleted in rows}


class Wired:
    def __init__(self, store: SQLiteLinkStore, client: Client, tenant: Tenant) -> None:
        self.store = store
        self.tenant = tenant
        analytics = AnalyticsLinkChanges(store, client)
        feed = InProcessChangeFeed()
        feed.subscribe(analytics.delete)
        feed.subscribe(analytics.mirror_links, later=True)
        self.relay = ChangeRelay(store, feed)

    async def link(self) -> Link:
        return await self.store.create_link(NewLink(self.tenant.id, "https://shop.example/"))


@contextlib.asynccontextmanager
async def wired(client: Client, path: Path) -> AsyncIterator[Wired]:
    store = SQLiteLinkStore(path / "links.sqlite3")
    await store.open()
    try:
        yield Wired(store, client, await store.create_tenant("acme"))
    finally:
        await store.close()


def test_the_mirror_follows_a_create_when_the_relay_settles(clickhouse: Client, tmp_path: Path) -> None:
    async def run() -> None:
        async with wired(clickhouse, tmp_path) as one:
            link = await one.link()
            await one.relay.deliver()  # what the API awaits
            assert mirror(clickhouse) == {}
            await one.relay.settle()
            assert mirror(clickhouse) == {link.id: 0}
            await one.store.delete_link(one.tenant.id, link.id)
            await one.relay.deliver()  # a deletion is done before the API answers
            assert mirror(clickhouse) == {}

    asyncio.run(run())


def test_a_deleted_link_leaves_nothing_of_itself_in_the_mirror(clickhouse: Client, tmp_path: Path) -> None:
    async def run() -> None:
        async with wired(clickhouse, tmp_path) as one:
            new = NewLink(one.tenant.id, "https://shop.example/secret-offer", title="Ms Doe's offer",
                          contact_id="contact-4711")  # fmt: skip
            link, kept = await one.store.create_link(new), await one.link()
            await one.relay.flush()
            await one.store.update_link(one.tenant.id, link.id, LinkPatch(title="Ms Doe's new offer"))
            await one.relay.flush()  # two versions of its row, before any merge
            await one.store.delete_link(one.tenant.id, link.id)
            await one.relay.flush()
            rows = clickhouse.query(
                "SELECT link_id FROM links WHERE link_id = {id:String} OR title LIKE '%Doe%'"
                " OR destination_url LIKE '%secret%' OR contact_id = 'contact-4711'",
                parameters={"id": link.id},
            ).result_rows
            assert rows == []
            assert mirror(clickhouse) == {kept.id: 0}

    asyncio.run(run())


def test_a_link_deleted_before_its_mirror_settled_never_shows_as_live(
    clickhouse: Client, tmp_path: Path
) -> None:
    async def run() -> None:
        async with wired(clickhouse, tmp_path) as one:
            kept, gone = await one.link(), await one.link()
            await one.relay.deliver()
            await one.store.delete_link(one.tenant.id, gone.id)
            # The deletion and the create's mirroring race: both orders must end the same.
            await asyncio.gather(one.relay.deliver(), one.relay.settle())
            await one.relay.flush()
            assert mirror(clickhouse).get(gone.id, 1) == 1
            assert mirror(clickhouse)[kept.id] == 0
            assert await one.store.pending_changes() == []

    asyncio.run(run())

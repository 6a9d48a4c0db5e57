"""What the analytics side does when links change: keep ClickHouse's ``links`` mirror
current, and remove every click and figure of a deleted link for good.

A deletion leaves a tombstone (``deleted_links``, kept forever): the click batches check
it (``LinkDeletions.staged``) so that neither a click on its way nor a replay of the event
log can bring a deleted link's analytics back, and a batch that slipped past the check
purges what it inserted (``LinkDeletions.purge_deleted_since``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from consumer import staging
from schemas.clickhouse import CLICK_DATA_TABLES, LINK_COLUMNS
from schemas.events import LinkChange
from smartlinks.clickhouse import Client
from smartlinks.models import Link
from smartlinks.store.link_store import LinkStore

LinkKey = tuple[str, str]  # (tenant_id, link_id)

_TOMBSTONE_COLUMNS = ("tenant_id", "link_id", "deleted_at")
# What this module writes and reads, table by table: the schema test checks them against
# the live tables.
WRITES: dict[str, tuple[str, ...]] = {"links": LINK_COLUMNS, "deleted_links": _TOMBSTONE_COLUMNS}
READS: dict[str, set[str]] = {"deleted_links": {"tenant_id", "link_id"}, "links": set(LINK_COLUMNS)}


class AnalyticsLinkChanges:
    def __init__(self, store: LinkStore, client: Client) -> None:
        self.store = store
        self.deletions = LinkDeletions(client)
        self.mirror = LinkMirror(client)
        self.deleted = 0
        self.mirrored = 0
        self._order = asyncio.Lock()

    async def apply(self, changes: Sequence[LinkChange]) -> None:
        """Both parts, in one go (a Kafka listener, which is not in an API's way)."""
        await self.delete(changes)
        await self.mirror_links(changes)

    async def delete(self, changes: Sequence[LinkChange]) -> None:
        """The deletions among ``changes``: at once, before the API answers the delete.
        Idempotent, as every step here: changes delivered twice do the same thing twice."""
        for change in changes:
            if change.kind == "deleted":
                async with self._order:
                    await asyncio.to_thread(self.deletions.delete_link, change.tenant_id, change.link_id)
                self.deleted += 1

    async def mirror_links(self, changes: Sequence[LinkChange]) -> None:
        """The created and edited links into the mirror, one read and one insert a tenant
        (a bulk create brings thousands); may come a moment after the write was answered."""
        pending: dict[str, set[str]] = {}  # tenant -> link ids
        for change in changes:
            if change.kind in ("created", "updated"):
                pending.setdefault(change.tenant_id, set()).add(change.link_id)
        for tenant_id, link_ids in pending.items():
            # Read and written under the lock deletions take: a deletion between the read
            # and the insert would find no mirror row to mark, and the insert would bring
            # the link back as live. Deleted links are not read: their deletion covers them.
            async with self._order:
                links = await self.store.get_links(tenant_id, sorted(link_ids))
                if links:
                    await asyncio.to_thread(self.mirror.upsert, links)
            self.mirrored += len(links)


class LinkDeletions:
    """Deleting a link's analytics, and the tombstones that keep them deleted. Give it the
    click batches' client: ``staged`` reads their staged batch."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def delete_link(self, tenant_id: str, link_id: str) -> None:
        """Remove every click and figure of a link, for good.

        The tombstone goes first: from then on the click batches leave the link's clicks
        out, and a batch that slipped past the check purges itself after inserting.
        """
        now = datetime.now(UTC)
        self.client.insert("deleted_links", [[tenant_id, link_id, now]], column_names=_TOMBSTONE_COLUMNS)
        self.purge(tenant_id, link_id)
        # Its clicks are gone, so no conversion may still name one: they keep the campaign
        # and contact they were sent with. A mutation, waited for; deletions are rare.
        self.client.command(
            "ALTER TABLE conversions UPDATE link_id = '', click_id = '',"
            " click_ts = toDateTime64(0, 3, 'UTC'), attribution = 'sent'"
            " WHERE tenant_id = {tenant:String} AND link_id = {link:String}",
            parameters={"tenant": tenant_id, "link": link_id},
            settings={"mutations_sync": 2},
        )
        # The mirror row goes too, every version of it: the README promises that deleting a
        # link removes it, title, destination and contact id included. The mirror never
        # brings it back: LinkMirror is given only links the store still holds.
        self.client.command(
            "DELETE FROM links WHERE tenant_id = {tenant:String} AND link_id = {link:String}",
            parameters={"tenant": tenant_id, "link": link_id},
        )

    def purge(self, tenant_id: str, link_id: str) -> None:
        for table in CLICK_DATA_TABLES:
            # Lightweight DELETE: rows vanish from queries at once, parts are rewritten
            # by later merges. Synchronous (lightweight_deletes_sync = 2, set per client).
            self.client.command(
                f"DELETE FROM {table} WHERE tenant_id = {{tenant:String}} AND link_id = {{link:String}}",
                parameters={"tenant": tenant_id, "link": link_id},
            )

    def staged(self) -> set[LinkKey]:
        """The links of the staged batch that are deleted."""
        result = self.client.query(
            "SELECT DISTINCT tenant_id, link_id FROM deleted_links"
            f" WHERE (tenant_id, link_id) IN (SELECT tenant_id, link_id FROM {staging.TABLE})"
        )
        return {(tenant, link) for tenant, link in result.result_rows}

    def purge_deleted_since(self, known: set[LinkKey]) -> set[LinkKey]:
        """Purge the staged batch's links deleted since ``staged`` returned ``known``: a
        deletion that raced the batch's insert. Returns them."""
        purged = self.staged() - known
        for key in purged:
            self.purge(*key)
        return purged


class LinkMirror:
    """Link metadata in ClickHouse's ``links``, for analysts; the newest ``updated_at`` of a
    link wins (ReplacingMergeTree)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def upsert(self, links: Sequence[Link], deleted: bool = False) -> int:
        if not links:
            return 0
        values: dict[str, list[Any]] = {
            "tenant_id": [link.tenant_id for link in links],
            "link_id": [link.id for link in links],
            "code": [link.code for link in links],
            "destination_url": [link.destination_url for link in links],
            "title": [link.title or "" for link in links],
            "campaign": [link.campaign or "" for link in links],
            "contact_id": [link.contact_id or "" for link in links],
            "expires_at": [link.expires_at for link in links],
            "created_at": [link.created_at for link in links],
            "updated_at": [link.updated_at for link in links],
            "deleted": [int(deleted)] * len(links),
        }
        self.client.insert(
            "links", [values[name] for name in LINK_COLUMNS], LINK_COLUMNS, column_oriented=True
        )
        return len(links)

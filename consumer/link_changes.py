"""What the analytics side does when links change: keep ClickHouse's ``links`` mirror
current, and remove every click and figure of a deleted link for good."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from consumer.sink import ClickSink
from schemas.events import LinkChange
from smartlinks.store.base import LinkStore


class AnalyticsLinkChanges:
    def __init__(self, store: LinkStore, sink: ClickSink) -> None:
        self.store = store
        self.sink = sink
        self.deleted = 0
        self.mirrored = 0

    async def apply(self, changes: Sequence[LinkChange]) -> None:
        """Idempotent: changes delivered twice (after a crash) do the same thing twice.

        Creates and edits between two deletions are mirrored in one read and one insert (a
        bulk create brings thousands); deletions run in their place in the order."""
        mirror: dict[str, set[str]] = {}  # tenant -> link ids
        for change in changes:
            if change.kind == "deleted":
                await self._mirror(mirror)
                await asyncio.to_thread(self.sink.delete_link, change.tenant_id, change.link_id)
                self.deleted += 1
            elif change.kind in ("created", "updated"):
                mirror.setdefault(change.tenant_id, set()).add(change.link_id)
        await self._mirror(mirror)

    async def _mirror(self, pending: dict[str, set[str]]) -> None:
        for tenant_id, link_ids in pending.items():
            # Links deleted since are not returned: their own change removes them.
            links = await self.store.get_links(tenant_id, sorted(link_ids))
            if links:
                await asyncio.to_thread(self.sink.upsert_link_mirror, links)
                self.mirrored += len(links)
        pending.clear()

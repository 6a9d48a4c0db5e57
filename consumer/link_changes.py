"""What the analytics side does when a link changes: keep ClickHouse's ``links`` mirror
current, and remove every click and figure of a deleted link for good."""

from __future__ import annotations

import asyncio

from consumer.sink import ClickSink
from schemas.events import LinkChange
from smartlinks.store.base import LinkStore


class AnalyticsLinkChanges:
    def __init__(self, store: LinkStore, sink: ClickSink) -> None:
        self.store = store
        self.sink = sink
        self.deleted = 0
        self.mirrored = 0

    async def apply(self, change: LinkChange) -> None:
        """Idempotent: a change delivered twice (after a crash) does the same thing twice."""
        if change.kind == "deleted":
            await asyncio.to_thread(self.sink.delete_link, change.tenant_id, change.link_id)
            self.deleted += 1
        elif change.kind in ("created", "updated"):
            link = await self.store.get_link(change.tenant_id, change.link_id)
            if link is not None:  # deleted since: its own change removes it
                await asyncio.to_thread(self.sink.upsert_link_mirror, [link])
                self.mirrored += 1

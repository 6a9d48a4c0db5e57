"""The relay from the store's outbox to the link-change feed.

Mutations write their ``LinkChange`` into the outbox in the same transaction; the relay
publishes pending changes in order and forgets them only after publishing. The API calls
``deliver`` right after a write so the change reaches caches before the response is sent
(an edit takes effect on the next redirect); the background loop catches changes written
by other processes and any left over from a crash. While the feed (Kafka) or the store is
away the loop backs off, up to RETRY_CAP, and says so once, not on every pass.
"""

from __future__ import annotations

import asyncio
import logging

from smartlinks.background import BackgroundTask
from smartlinks.backoff import Backoff
from smartlinks.changes import ChangePublisher
from smartlinks.store.base import LinkStore

log = logging.getLogger(__name__)

RETRY_CAP = 10.0  # seconds: a change waits at most about this long once the feed is back


class ChangeRelay:
    def __init__(self, store: LinkStore, feed: ChangePublisher, poll_interval: float = 0.5) -> None:
        self.store = store
        self.feed = feed
        self.poll_interval = poll_interval
        self.delivered = 0
        self._lock = asyncio.Lock()
        self._loop = BackgroundTask("link-change-relay", self._run)

    async def deliver(self) -> int:
        """Publish every pending change now; returns how many were published."""
        published = 0
        async with self._lock:  # one relay pass at a time keeps the order
            while pending := await self.store.pending_changes():
                await self.feed.publish([change for _, change in pending])
                await self.store.forget_changes([seq for seq, _ in pending])
                published += len(pending)
        self.delivered += published
        return published

    async def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        backoff = Backoff(self.poll_interval, max(RETRY_CAP, self.poll_interval))
        failing = False
        while True:
            try:
                await self.deliver()
            except Exception as exc:
                if not failing:
                    log.warning("relaying link changes failed; they wait in the outbox", exc_info=exc)
                failing = True
                await asyncio.sleep(backoff.next())
                continue
            if failing:
                log.info("relaying link changes works again")
                failing = False
                backoff.reset()
            await asyncio.sleep(self.poll_interval)

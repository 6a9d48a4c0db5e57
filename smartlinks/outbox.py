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
import contextlib
import logging

from schemas.events import LinkChange
from smartlinks.background import BackgroundTask
from smartlinks.backoff import Backoff
from smartlinks.changes import ChangePublisher
from smartlinks.store.link_store import LinkStore

log = logging.getLogger(__name__)

RETRY_CAP = 10.0  # seconds: a change waits at most about this long once the feed is back
SETTLE_DELAY = 0.1  # seconds a published change waits for others to settle with it
PAGE = 1000  # changes read at a time


class ChangeRelay:
    """Delivers the outbox in two stages. ``deliver`` publishes each change to the feed's
    immediate subscribers (caches, deletions) and is what the API awaits before it answers;
    ``settle`` hands the published changes to the feed's later subscribers (the analytics
    side's links mirror, a chDB insert of ~10 ms that a single create must not wait for) and
    only then forgets them. A change is thus forgotten only once every subscriber had it: a
    crash in between publishes it again on the next start, which subscribers take as the
    same change (they are idempotent)."""

    def __init__(self, store: LinkStore, feed: ChangePublisher, poll_interval: float = 0.5) -> None:
        self.store = store
        self.feed = feed
        self.poll_interval = poll_interval
        self.delivered = 0
        # Published but not yet settled, in publish order. A set of seqs, not a high-water
        # mark: on PostgreSQL a lower seq can commit after a higher one was read.
        self._unsettled: dict[int, LinkChange] = {}
        # Where the store commits changes in seq order, every change up to this seq was
        # published: a deliver reads only those after it, not the ~50-100 a single create
        # finds still unsettled from the last 0.1 s (~0.1 ms a request, py-spy).
        self._published_through = 0
        self._lock = asyncio.Lock()  # one deliver pass at a time keeps the order
        self._settling = asyncio.Lock()
        self._due = asyncio.Event()
        self._loop = BackgroundTask("link-change-relay", self._run)

    async def deliver(self) -> int:
        """Publish every change not published yet; returns how many were published. The
        later subscribers get them within moments, from the relay's loop."""
        published = 0
        async with self._lock:
            ordered = self.store.changes_in_commit_order
            after = self._published_through if ordered else 0
            while page := await self.store.pending_changes(limit=PAGE, after=after):
                fresh = [(seq, change) for seq, change in page if seq not in self._unsettled]
                if fresh:
                    await self.feed.publish([change for _, change in fresh])
                    self._unsettled.update(fresh)
                    published += len(fresh)
                after = page[-1][0]
                if ordered:
                    self._published_through = after
                if len(page) < PAGE:
                    break  # the last page: asking again would be one more store trip a request
        self.delivered += published
        if self._unsettled:
            self._due.set()
        return published

    async def settle(self) -> int:
        """Hand the published changes to the later subscribers, then forget them."""
        async with self._settling:
            batch = dict(self._unsettled)
            if batch:
                await self.feed.settle(list(batch.values()))
                await self.store.forget_changes(list(batch))
                for seq in batch:
                    del self._unsettled[seq]
            return len(batch)

    async def flush(self) -> None:
        """Every change in the outbox through both stages (tests, shutdown)."""
        await self.deliver()
        await self.settle()

    async def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
        with contextlib.suppress(Exception):  # what is left waits in the outbox
            await self.settle()

    async def _run(self) -> None:
        backoff = Backoff(self.poll_interval, max(RETRY_CAP, self.poll_interval))
        failing = False
        while True:
            self._due.clear()
            try:
                await self.flush()
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
            # Woken by a deliver, its changes settle a moment later, with those of the
            # writes that come meanwhile: one mirror insert for many single creates. Else a
            # poll catches changes other processes wrote and any a crash left behind.
            # (asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the cancellation
            # that stops this loop, when its wait ends at the same moment.)
            woken = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._due.wait()
                    woken = True
            if woken:
                await asyncio.sleep(SETTLE_DELAY)

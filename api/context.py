"""What the API needs from its host process: settings, an opened store, the change relay
and a click counter. The host owns their lifetimes; the API only uses them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from api.analytics.funnel import FunnelQueries
from api.analytics.query import AnalyticsQueries
from api.clicks import ClickCounter
from smartlinks.eventlog.writer import EventLog
from smartlinks.settings import Settings
from smartlinks.store.link_store import LinkStore

log = logging.getLogger(__name__)


class ChangeDelivery(Protocol):
    """Publishes what the store's outbox holds (``smartlinks.outbox.ChangeRelay``)."""

    async def deliver(self) -> int: ...


@dataclass
class ApiContext:
    settings: Settings
    store: LinkStore  # already opened by the caller
    changes: ChangeDelivery
    clicks: ClickCounter
    analytics: AnalyticsQueries | None = None  # None: no analytics endpoints (no ClickHouse)
    # Where accepted deliveries and conversions go (POST /api/v1/events); None: not taken.
    funnel_log: EventLog | None = None
    # The funnel's queries, on connections of their own; None: on the analytics client.
    funnel: FunnelQueries | None = None

    async def deliver_changes(self) -> None:
        """Publish the changes the last write put in the store's outbox, before answering,
        so the next redirect already sees them. A feed failure is logged, not raised: the
        write has committed, so the client must hear success, and the change stays in the
        outbox for the relay's next pass."""
        try:
            await self.changes.deliver()
        except Exception:
            log.exception("publishing link changes failed; the relay will retry")

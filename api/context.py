"""What the API needs from its host process: settings, an opened store, the change feed
and a click counter. The host owns their lifetimes; the API only uses them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from api.clicks import ClickCounter
from schemas.events import LinkChange
from smartlinks.changes import LinkChangeFeed
from smartlinks.models import to_ms, utcnow
from smartlinks.settings import Settings
from smartlinks.store.base import LinkStore

log = logging.getLogger(__name__)


@dataclass
class ApiContext:
    settings: Settings
    store: LinkStore  # already opened by the caller
    changes: LinkChangeFeed
    clicks: ClickCounter

    async def announce(self, kind: str, tenant_id: str, link_id: str = "", code: str = "") -> None:
        """Publish a committed change. A feed failure is logged, not raised: the write has
        committed, so the client must hear success, and caches still expire by TTL."""
        change = LinkChange(kind=kind, tenant_id=tenant_id, link_id=link_id, code=code, at=to_ms(utcnow()))
        try:
            await self.changes.publish(change)
        except Exception:
            log.exception("publishing a link change failed", extra={"change": kind})

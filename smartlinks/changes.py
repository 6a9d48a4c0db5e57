"""Link-change notifications: how caches and mirrors hear of committed edits.

The API publishes a ``LinkChange`` after each committed create, update or delete (and
after a tenant's settings change). Redirectors subscribe to drop stale cache entries. In
embedded mode delivery is a direct call in the same process, so an edit takes effect on
the very next redirect; the distributed mode carries the same events over Kafka.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from schemas.events import LinkChange

log = logging.getLogger(__name__)

Subscriber = Callable[[LinkChange], None]


class LinkChangeFeed(Protocol):
    async def publish(self, change: LinkChange) -> None: ...

    def subscribe(self, subscriber: Subscriber) -> None: ...


class InProcessChangeFeed:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, change: LinkChange) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(change)
            except Exception:
                # One broken subscriber must not keep the change from the others.
                log.exception("link change subscriber failed", extra={"change": change.kind})

"""Link-change notifications: how caches and mirrors hear of committed edits.

The API publishes a ``LinkChange`` after each committed create, update or delete (and
after a tenant's settings change). Redirectors subscribe to drop stale cache entries. In
embedded mode delivery is a direct call in the same process, so an edit takes effect on
the very next redirect; the distributed mode carries the same events over Kafka.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from schemas.events import LinkChange

log = logging.getLogger(__name__)

# A subscriber takes changes in commit order, a batch at a time (a bulk create commits
# thousands at once, and the analytics side mirrors them in one insert). It may be async:
# the analytics side deletes a link's clicks before the change counts as delivered, so a
# crash in between leaves it in the outbox to be done again.
Subscriber = Callable[[Sequence[LinkChange]], Awaitable[None] | None]


class ChangePublisher(Protocol):
    """Where the outbox relay sends committed changes (in process, or Kafka)."""

    async def publish(self, changes: Sequence[LinkChange]) -> None: ...


class InProcessChangeFeed:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, changes: Sequence[LinkChange]) -> None:
        """Hand the changes to every subscriber; raise if any failed (after all were tried),
        so the relay keeps the change and delivers it again. Subscribers are idempotent."""
        failed: Exception | None = None
        for subscriber in self._subscribers:
            try:
                result = subscriber(changes)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                # One broken subscriber must not keep the change from the others.
                log.exception("link change subscriber failed", extra={"changes": len(changes)})
                failed = exc
        if failed is not None:
            raise failed

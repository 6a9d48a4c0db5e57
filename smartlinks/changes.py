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

    async def publish(self, changes: Sequence[LinkChange]) -> None:
        """To the subscribers that must have a change before the API answers."""

    async def settle(self, changes: Sequence[LinkChange]) -> None:
        """To the subscribers that may have it a moment later (see ``ChangeRelay``)."""


class InProcessChangeFeed:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._later: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber, later: bool = False) -> None:
        """``later``: the subscriber hears of changes when the relay settles them, a moment
        after the write was answered, in batches."""
        (self._later if later else self._subscribers).append(subscriber)

    async def publish(self, changes: Sequence[LinkChange]) -> None:
        """Hand the changes to every immediate subscriber; raise if any failed (after all
        were tried), so the relay keeps the change and delivers it again. Subscribers are
        idempotent."""
        await hand_over(self._subscribers, changes)

    async def settle(self, changes: Sequence[LinkChange]) -> None:
        await hand_over(self._later, changes)


def in_order(*subscribers: Subscriber) -> Subscriber:
    """One subscriber that hands each batch to ``subscribers`` in turn."""

    async def each(changes: Sequence[LinkChange]) -> None:
        await hand_over(subscribers, changes)

    return each


async def hand_over(subscribers: Sequence[Subscriber], changes: Sequence[LinkChange]) -> None:
    """To each subscriber in turn; raise if any failed, after all were tried."""
    failed: Exception | None = None
    for subscriber in subscribers:
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

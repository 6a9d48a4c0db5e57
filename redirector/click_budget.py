"""``max_clicks`` on the edge: human clicks spent from leases, so a redirect rarely waits.

Every redirector sharing a link store leases blocks of a limited link's clicks from one
counter in the store (``smartlinks/store/click_counts.py``), which never grants past the
limit, and spends them in memory. The next lease is fetched in the background once half of
the current one is spent, so a click waits on the store only when its redirector's lease is
truly empty (the link's first click here, or a burst faster than a lease round trip).

Bounds. The clicks let through, across all redirectors, never exceed ``max_clicks``
(overshoot 0). The price is the other way: a redirector can answer "used up" while others
still hold clicks they leased and have not spent. A lease is at most 1/``LEASE_SHARE`` of
what the store had left when it was taken (and at most ``MAX_LEASE``), and a redirector
holds at most one lease and a half, so each other redirector strands at most ~9 % of the
remaining budget, and less as it shrinks: the last clicks are leased one at a time.
Measured with two redirectors on one counter: clicks split evenly between them strand
nothing (the first "used up" comes at exactly max_clicks, for limits of 100 to 1,000,000);
traffic that leaves one of them strands up to 7 % of a 1,000-click limit there and 0.4 % of
a 100,000-click one (``MAX_LEASE``), for at most ``IDLE_S``. 1,000 clicks take ~90 leases
on one redirector, each a short transaction, none of them waited for but the first. Unspent
clicks go back to the store when the link has had no click here for ``IDLE_S`` (traffic
that moved to other redirectors does not strand them), on a clean shutdown (``close``) and
when the link's limit changes on edit; a link that read as used up asks the store again
after ``RECHECK_S``, so clicks given back or a raised limit are found. A store that cannot
be reached leaves the link closed until the next recheck: a limit is never exceeded for
want of the counter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Final, Protocol

from smartlinks.store.click_counts import Lease

log = logging.getLogger(__name__)

LEASE_SHARE: Final = 16
MAX_LEASE: Final = 256
RECHECK_S: Final = 5.0
IDLE_S: Final = 30.0


class ClickCounter(Protocol):
    async def lease(self, link_id: str, max_clicks: int, want: int) -> Lease: ...
    async def give_back(self, link_id: str, clicks: int) -> None: ...


class MemoryCounter:
    """The counter of a redirector without a link store (benches): this process only."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    async def lease(self, link_id: str, max_clicks: int, want: int) -> Lease:
        used = self.used.get(link_id, 0)
        granted = max(0, min(want, max_clicks - used))
        self.used[link_id] = used + granted
        return Lease(granted, max(0, max_clicks - used - granted))

    async def give_back(self, link_id: str, clicks: int) -> None:
        self.used[link_id] = max(0, self.used.get(link_id, 0) - clicks)


def lease_size(store_left: int) -> int:
    return max(1, min(MAX_LEASE, store_left // LEASE_SHARE))


@dataclass(slots=True)
class _Budget:
    link_id: str
    max_clicks: int
    left: int = 0  # leased here, not spent yet
    store_left: int = -1  # unleased in the store at the last lease; -1: not asked yet
    low_water: int = 0  # fetch the next lease when ``left`` falls to this
    refill: asyncio.Task[None] | None = None
    used_up_at: float | None = None  # monotonic time the store last granted nothing
    last_click: float = 0.0  # monotonic


class ClickBudgets:
    """One redirector's leases of limited links' clicks."""

    def __init__(self, counter: ClickCounter) -> None:
        self._counter = counter
        self._budgets: dict[str, _Budget] = {}
        self._giving_back: set[asyncio.Task[None]] = set()
        self._warned = False
        self._sweeper: asyncio.Task[None] | None = None

    def _budget(self, link_id: str, max_clicks: int) -> _Budget:
        budget = self._budgets.get(link_id)
        if budget is None or budget.max_clicks != max_clicks:
            if budget is not None:
                # The limit changed on edit: what is leased under the old one goes back and
                # the new limit is leased afresh (raised: the link opens again).
                self._give_back_later(budget)
            budget = self._budgets[link_id] = _Budget(link_id, max_clicks)
            if self._sweeper is None:
                self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        budget.last_click = time.monotonic()
        return budget

    async def _sweep(self) -> None:
        """Give back what idle links hold, and forget them (a deleted link's too)."""
        while True:
            await asyncio.sleep(IDLE_S / 2)
            idle_since = time.monotonic() - IDLE_S
            for link_id, budget in list(self._budgets.items()):
                if budget.last_click < idle_since and budget.refill is None:
                    del self._budgets[link_id]
                    self._give_back_later(budget)

    def used_up(self, link_id: str, max_clicks: int) -> bool:
        """Known used up here, without asking the store (a bot's click, a gate to skip)."""
        budget = self._budgets.get(link_id)
        return (
            budget is not None
            and budget.max_clicks == max_clicks
            and budget.left == 0
            and budget.used_up_at is not None
            and time.monotonic() - budget.used_up_at < RECHECK_S
        )

    async def take(self, link_id: str, max_clicks: int) -> bool:
        """Spend one human click; False when the link is used up."""
        budget = self._budget(link_id, max_clicks)
        while True:
            if budget.left > 0:
                budget.left -= 1
                if budget.left <= budget.low_water and budget.refill is None and budget.used_up_at is None:
                    budget.refill = asyncio.get_running_loop().create_task(self._lease(budget))
                return True
            if budget.used_up_at is not None and time.monotonic() - budget.used_up_at < RECHECK_S:
                return False
            if budget.refill is None:
                budget.used_up_at = None
                budget.refill = asyncio.get_running_loop().create_task(self._lease(budget))
            await asyncio.shield(budget.refill)
            if self._budgets.get(link_id) is not budget:  # the limit changed meanwhile
                budget = self._budget(link_id, max_clicks)
            elif budget.left == 0 and budget.used_up_at is not None:
                return False

    async def _lease(self, budget: _Budget) -> None:
        want = lease_size(budget.max_clicks if budget.store_left < 0 else budget.store_left)
        try:
            lease = await self._counter.lease(budget.link_id, budget.max_clicks, want)
        except Exception as exc:  # the store is down: closed until the recheck, never over
            if not self._warned:
                self._warned = True
                log.warning("click limits: the link store did not answer a lease (%s)", exc)
            budget.used_up_at = time.monotonic()
            return
        finally:
            budget.refill = None
        if self._budgets.get(budget.link_id) is not budget:
            await self._counter.give_back(budget.link_id, lease.granted)  # replaced meanwhile
            return
        budget.left += lease.granted
        budget.store_left = lease.left
        budget.low_water = lease.granted // 2
        budget.used_up_at = None if lease.granted else time.monotonic()

    def _give_back_later(self, budget: _Budget) -> None:
        clicks, budget.left = budget.left, 0
        if clicks:
            task = asyncio.get_running_loop().create_task(self._give_back(budget.link_id, clicks))
            self._giving_back.add(task)
            task.add_done_callback(self._giving_back.discard)

    async def _give_back(self, link_id: str, clicks: int) -> None:
        try:
            await self._counter.give_back(link_id, clicks)
        except Exception as exc:  # stranded until the link is edited; never over the limit
            log.warning("click limits: unspent clicks not given back (%s)", exc)

    async def close(self) -> None:
        """Give every unspent click back (a clean shutdown), so no limit stays stranded."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        refills = [b.refill for b in self._budgets.values() if b.refill is not None]
        if refills:
            await asyncio.gather(*refills, return_exceptions=True)
        for budget in self._budgets.values():
            if budget.left:
                await self._give_back(budget.link_id, budget.left)
                budget.left = 0
        if self._giving_back:
            await asyncio.gather(*self._giving_back, return_exceptions=True)
        self._budgets.clear()

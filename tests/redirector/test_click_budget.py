"""Leases of a limited link's clicks on one redirector: the store is asked once a lease,
the next lease is fetched when half is spent, leases shrink with what is left, clicks go
back on close, and a store that fails leaves the link closed rather than over its limit.
Also the user-agent check that link targets use."""

from __future__ import annotations

import asyncio

import pytest

from redirector.click_budget import MAX_LEASE, ClickBudgets, MemoryCounter, lease_size
from redirector.devices import os_and_device
from smartlinks.store.click_counts import Lease


class CountingCounter(MemoryCounter):
    def __init__(self) -> None:
        super().__init__()
        self.leases: list[int] = []

    async def lease(self, link_id: str, max_clicks: int, want: int) -> Lease:
        self.leases.append(want)
        await asyncio.sleep(0)  # a round trip, however short
        return await super().lease(link_id, max_clicks, want)


class BrokenCounter(MemoryCounter):
    async def lease(self, link_id: str, max_clicks: int, want: int) -> Lease:
        raise OSError("the store is down")


def test_lease_size_shrinks_with_what_is_left() -> None:
    assert [lease_size(n) for n in (10**9, 4096, 160, 16, 3, 0)] == [MAX_LEASE, 256, 10, 1, 1, 1]


def test_clicks_are_leased_in_blocks_and_never_past_the_limit() -> None:
    async def run() -> tuple[list[bool], list[int], int]:
        counter = CountingCounter()
        budgets = ClickBudgets(counter)
        taken = []
        for _ in range(1100):
            taken.append(await budgets.take("l", 1000))
            await asyncio.sleep(0)  # let a background lease land
        used = counter.used["l"]
        await budgets.close()
        return taken, counter.leases, used

    taken, leases, used = asyncio.run(run())
    assert taken == [True] * 1000 + [False] * 100
    assert used == 1000
    # A store trip per block, not per click: about 16 x ln(limit / 16) + 16 in all.
    assert leases[0] == 62 and len(leases) < 100
    assert leases[-2:] == [1, 1]  # the last clicks one at a time


def test_unspent_clicks_go_back_on_close() -> None:
    async def run() -> int:
        counter = MemoryCounter()
        budgets = ClickBudgets(counter)
        assert await budgets.take("l", 10_000)
        await budgets.close()
        return counter.used["l"]

    assert asyncio.run(run()) == 1


def test_a_link_idle_here_gives_its_clicks_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Traffic that moved to other redirectors leaves no clicks stranded in this one."""
    monkeypatch.setattr("redirector.click_budget.IDLE_S", 0.05)

    async def run() -> tuple[int, int]:
        counter = MemoryCounter()
        budgets = ClickBudgets(counter)
        assert await budgets.take("l", 10_000)
        leased = counter.used["l"]
        await asyncio.sleep(0.2)
        idle = counter.used["l"]
        await budgets.close()
        return leased, idle

    assert asyncio.run(run()) == (256, 1)  # MAX_LEASE, then all but the one spent


def test_a_changed_limit_gives_the_old_lease_back() -> None:
    async def run() -> tuple[bool, bool, int]:
        counter = MemoryCounter()
        budgets = ClickBudgets(counter)
        assert await budgets.take("l", 1)
        closed = await budgets.take("l", 1)
        reopened = await budgets.take("l", 2)  # raised on edit
        await budgets.close()
        return closed, reopened, counter.used["l"]

    assert asyncio.run(run()) == (False, True, 2)


def test_a_store_that_fails_leaves_the_link_closed() -> None:
    async def run() -> tuple[bool, bool]:
        budgets = ClickBudgets(BrokenCounter())
        first = await budgets.take("l", 100)
        return first, budgets.used_up("l", 100)

    assert asyncio.run(run()) == (False, True)


@pytest.mark.parametrize(
    ("ua", "expected"),
    [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148", ("ios", "mobile")),
        ("Mozilla/5.0 (iPod touch; CPU iPhone OS 12_5 like Mac OS X)", ("ios", "mobile")),
        ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) Mobile/15E148", ("ios", "tablet")),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/124.0 Mobile Safari/537.36", ("android", "mobile")),
        ("Mozilla/5.0 (Linux; Android 13; SM-X200) Chrome/124.0 Safari/537.36", ("android", "tablet")),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0", ("windows", "desktop")),
        (
            "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Lumia 950) Mobile",
            ("android", "mobile"),
        ),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15", ("macos", "desktop")),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", ("linux", "desktop")),
        ("Mozilla/5.0 (Mobile; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5", ("", "mobile")),
        ("", ("", "desktop")),
    ],
)
def test_os_and_device_from_the_user_agent(ua: str, expected: tuple[str, str]) -> None:
    assert os_and_device(ua) == expected

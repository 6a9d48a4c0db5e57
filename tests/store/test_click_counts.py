"""The click counter behind max_clicks, on every engine: leases never grant past the limit,
even when several stores (redirectors) lease one link at once; unspent clicks come back;
deleting the link removes its counter."""

from __future__ import annotations

import asyncio

import pytest

from smartlinks.models import NewLink, Tenant
from smartlinks.rules import LinkRules
from smartlinks.store.link_store import LinkStore
from tests.store.conftest import OpenAnother

pytestmark = pytest.mark.anyio


async def test_leases_stop_at_the_limit(store: LinkStore) -> None:
    counts = store.click_counts
    first = await counts.lease("l1", 10, 4)
    assert (first.granted, first.left) == (4, 6)
    second = await counts.lease("l1", 10, 8)
    assert (second.granted, second.left) == (6, 0)
    assert (await counts.lease("l1", 10, 1)).granted == 0
    assert await counts.used("l1") == 10


async def test_raised_limit_grants_again_and_given_back_clicks_return(store: LinkStore) -> None:
    counts = store.click_counts
    assert (await counts.lease("l1", 5, 5)).granted == 5
    assert (await counts.lease("l1", 8, 5)).granted == 3  # max_clicks raised on edit
    await counts.give_back("l1", 2)
    assert await counts.used("l1") == 6
    assert (await counts.lease("l1", 8, 5)).granted == 2
    await counts.give_back("l1", 100)  # never below zero
    assert await counts.used("l1") == 0


async def test_stores_leasing_at_once_never_overshoot(store: LinkStore, open_another: OpenAnother) -> None:
    others = [await open_another() for _ in range(3)]

    async def lease_all(one: LinkStore) -> int:
        total = 0
        while (lease := await one.click_counts.lease("hot", 100, 3)).granted:
            total += lease.granted
        return total

    totals = await asyncio.gather(*(lease_all(one) for one in [store, *others]))
    assert sum(totals) == 100
    assert await store.click_counts.used("hot") == 100


async def test_deleting_a_link_removes_its_counter(store: LinkStore, tenant: Tenant) -> None:
    link = await store.create_link(
        NewLink(tenant_id=tenant.id, destination_url="https://example.com/", rules=LinkRules(max_clicks=3))
    )
    await store.click_counts.lease(link.id, 3, 2)
    await store.delete_link(tenant.id, link.id)
    assert await store.click_counts.used(link.id) == 0

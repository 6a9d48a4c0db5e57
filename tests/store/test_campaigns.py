"""The link store's view of campaigns, on every engine: which campaigns a tenant has and
which live links make each."""

from __future__ import annotations

import pytest

from smartlinks.models import NewLink, Tenant
from smartlinks.store.base import CampaignSummary
from smartlinks.store.link_store import LinkStore

pytestmark = pytest.mark.anyio


async def test_campaigns_are_the_names_of_live_links(store: LinkStore, tenant: Tenant) -> None:
    spring = [
        await store.create_link(NewLink(tenant.id, "https://a.example/", campaign="spring")) for _ in range(3)
    ]
    autumn = await store.create_link(NewLink(tenant.id, "https://b.example/", campaign="Autumn ✿ / 2025"))
    await store.create_link(NewLink(tenant.id, "https://c.example/"))  # no campaign
    await store.create_link(NewLink(tenant.id, "https://d.example/", campaign=""))  # none either
    found = sorted(await store.list_campaigns(tenant.id), key=lambda summary: summary.campaign)
    assert found == [
        CampaignSummary("Autumn ✿ / 2025", 1, autumn.created_at, autumn.created_at),
        CampaignSummary("spring", 3, spring[0].created_at, spring[-1].created_at),
    ]
    assert await store.campaign_link_ids(tenant.id, "spring") == [link.id for link in spring]
    assert await store.campaign_link_ids(tenant.id, "Autumn ✿ / 2025") == [autumn.id]


async def test_deleted_links_leave_their_campaign(store: LinkStore, tenant: Tenant) -> None:
    first = await store.create_link(NewLink(tenant.id, "https://a.example/", campaign="c"))
    second = await store.create_link(NewLink(tenant.id, "https://b.example/", campaign="c"))
    await store.delete_link(tenant.id, first.id)
    [summary] = await store.list_campaigns(tenant.id)
    assert (summary.links, summary.first_created_at) == (1, second.created_at)
    assert await store.campaign_link_ids(tenant.id, "c") == [second.id]
    await store.delete_link(tenant.id, second.id)
    assert await store.list_campaigns(tenant.id) == []
    assert await store.campaign_link_ids(tenant.id, "c") == []


async def test_campaigns_are_per_tenant_and_exact(store: LinkStore, tenant: Tenant) -> None:
    other = await store.create_tenant("other")
    mine = await store.create_link(NewLink(tenant.id, "https://a.example/", campaign="Sale"))
    theirs = await store.create_link(NewLink(other.id, "https://a.example/", campaign="Sale"))
    await store.create_link(NewLink(tenant.id, "https://a.example/", campaign="sale"))  # case matters
    await store.create_link(NewLink(tenant.id, "https://a.example/", campaign="Sale "))
    assert await store.campaign_link_ids(tenant.id, "Sale") == [mine.id]
    assert await store.campaign_link_ids(other.id, "Sale") == [theirs.id]
    assert {summary.campaign for summary in await store.list_campaigns(tenant.id)} == {
        "Sale",
        "sale",
        "Sale ",
    }
    assert [summary.links for summary in await store.list_campaigns(other.id)] == [1]
    assert await store.campaign_link_ids(tenant.id, "nothing") == []

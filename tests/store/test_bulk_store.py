"""Bulk creation, stored idempotent responses and link reuse, on every engine."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import pytest

from smartlinks.models import Link, NewLink, Tenant, utcnow
from smartlinks.store.base import CodeTaken, IdempotencyConflict, IdempotentRequest, LinksWanted
from smartlinks.store.link_store import LinkStore
from tests.store.conftest import OpenAnother

pytestmark = pytest.mark.anyio


def _ids(results: Sequence[Link | CodeTaken]) -> bytes:
    return ",".join(r.id if isinstance(r, Link) else "taken" for r in results).encode()


async def test_bulk_creates_in_order_and_reports_taken_codes(store: LinkStore, tenant: Tenant) -> None:
    await store.create_link(NewLink(tenant.id, "https://old.example/", code="Old1"))
    news = [
        NewLink(tenant.id, "https://a.example/", campaign="spring", contact_id="c1"),
        NewLink(tenant.id, "https://b.example/", code="Old1"),  # taken by an existing link
        NewLink(tenant.id, "https://c.example/", code="Same1"),
        NewLink(tenant.id, "https://d.example/", code="Same1"),  # taken by the item before
        NewLink(tenant.id, "https://e.example/"),
    ]
    results = await store.create_links(tenant.id, news)
    assert [type(r).__name__ for r in results] == ["Link", "CodeTaken", "Link", "CodeTaken", "Link"]
    created = [r for r in results if isinstance(r, Link)]
    assert [link.destination_url for link in created] == [
        "https://a.example/",
        "https://c.example/",
        "https://e.example/",
    ]
    assert (created[0].campaign, created[0].contact_id) == ("spring", "c1")
    for link in created:
        assert await store.get_link(tenant.id, link.id) == link
        resolved = await store.resolve(link.code)
        assert resolved is not None and resolved.link_id == link.id
    # Every created link reached the outbox, in order; the refused ones did not.
    changes = [change for _, change in await store.pending_changes(limit=100)]
    assert [(c.kind, c.link_id) for c in changes[-3:]] == [("created", link.id) for link in created]


async def test_bulk_of_thousands_gets_distinct_codes(store: LinkStore, tenant: Tenant) -> None:
    news = [NewLink(tenant.id, f"https://example.com/p/{n}", contact_id=str(n)) for n in range(3000)]
    results = await store.create_links(tenant.id, news)
    links = [r for r in results if isinstance(r, Link)]
    assert len(links) == 3000
    assert len({link.code for link in links}) == 3000
    assert [link.contact_id for link in links] == [str(n) for n in range(3000)]
    assert len(await store.get_links(tenant.id, [link.id for link in links])) == 3000


async def test_generated_code_collisions_in_a_bulk_are_drawn_again(
    store: LinkStore, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.create_link(NewLink(tenant.id, "https://a.example/", code="Taken77"))
    draws = iter(["Taken77", "Fresh01", "Fresh01", "Fresh02"])
    monkeypatch.setattr("smartlinks.store.link_store.generate_code", lambda: next(draws))
    results = await store.create_links(
        tenant.id, [NewLink(tenant.id, "https://b.example/"), NewLink(tenant.id, "https://c.example/")]
    )
    assert sorted(r.code for r in results if isinstance(r, Link)) == ["Fresh01", "Fresh02"]


async def test_an_idempotent_bulk_keeps_its_response_and_refuses_a_second_run(
    store: LinkStore, tenant: Tenant
) -> None:
    news = [NewLink(tenant.id, "https://a.example/"), NewLink(tenant.id, "https://b.example/")]
    request = IdempotentRequest("key-1", "hash-1", 200, _ids)
    results = await store.create_links(tenant.id, news, request)
    stored = await store.stored_response(tenant.id, "key-1")
    assert stored is not None
    assert (stored.request_hash, stored.status, stored.body) == ("hash-1", 200, _ids(results))
    before = len(await store.pending_changes(limit=100))
    with pytest.raises(IdempotencyConflict) as conflict:
        await store.create_links(tenant.id, news, request)
    assert conflict.value.stored == stored
    assert len(await store.pending_changes(limit=100)) == before  # nothing written
    # Keys are per tenant.
    other = await store.create_tenant("other")
    assert await store.stored_response(other.id, "key-1") is None


async def test_concurrent_idempotent_requests_create_once(
    store: LinkStore, tenant: Tenant, open_another: OpenAnother
) -> None:
    second = await open_another()
    news = [NewLink(tenant.id, f"https://example.com/{n}") for n in range(200)]
    request = IdempotentRequest("race", "h", 200, _ids)
    outcomes = await asyncio.gather(
        store.create_links(tenant.id, news, request),
        second.create_links(tenant.id, news, request),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, list)]
    lost = [o for o in outcomes if isinstance(o, IdempotencyConflict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert lost[0].stored.body == _ids(won[0])
    changes = [c for _, c in await store.pending_changes(limit=1000)]
    assert len(changes) == 200


async def test_reuse_or_create_reuses_per_campaign_and_contact(store: LinkStore, tenant: Tenant) -> None:
    a, b = "https://a.example/x", "https://b.example/y"
    first = await store.reuse_or_create_links(tenant.id, [a, b, a], "spring", "c1")
    assert first[0] == first[2] and first[0].id != first[1].id
    assert (first[0].campaign, first[0].contact_id) == ("spring", "c1")
    again = await store.reuse_or_create_links(tenant.id, [b, a], "spring", "c1")
    assert [link.id for link in again] == [first[1].id, first[0].id]
    # Another contact, another campaign, or none at all: links of their own.
    others = [
        (await store.reuse_or_create_links(tenant.id, [a], campaign, contact))[0].id
        for campaign, contact in (("spring", "c2"), ("autumn", "c1"), (None, None), (None, "c1"))
    ]
    assert len({*others, first[0].id}) == 5
    assert (await store.reuse_or_create_links(tenant.id, [a], None, None))[0].id == others[2]


async def test_reuse_skips_deleted_expired_and_other_tenants_links(store: LinkStore, tenant: Tenant) -> None:
    url = "https://a.example/"
    [link] = await store.reuse_or_create_links(tenant.id, [url], "c", None)
    await store.delete_link(tenant.id, link.id)
    [fresh] = await store.reuse_or_create_links(tenant.id, [url], "c", None)
    assert fresh.id != link.id
    expiring = await store.create_link(
        NewLink(
            tenant.id, "https://e.example/", campaign="c", expires_at=utcnow() + timedelta(milliseconds=200)
        )
    )
    await asyncio.sleep(0.3)
    [replacement] = await store.reuse_or_create_links(tenant.id, ["https://e.example/"], "c", None)
    assert replacement.id != expiring.id
    other = await store.create_tenant("other")
    [theirs] = await store.reuse_or_create_links(other.id, [url], "c", None)
    assert theirs.id != fresh.id and theirs.tenant_id == other.id


async def test_reuse_of_a_very_long_destination(store: LinkStore, tenant: Tenant) -> None:
    url = "https://example.com/" + "a" * 4000
    [first] = await store.reuse_or_create_links(tenant.id, [url], None, "c")
    [again] = await store.reuse_or_create_links(tenant.id, [url], None, "c")
    assert first.id == again.id


async def test_concurrent_rewrites_agree_on_one_link(
    store: LinkStore, tenant: Tenant, open_another: OpenAnother
) -> None:
    second = await open_another()
    urls = [f"https://example.com/{n}" for n in range(20)]
    first, other = await asyncio.gather(
        store.reuse_or_create_links(tenant.id, urls, "c", "p"),
        second.reuse_or_create_links(tenant.id, urls, "c", "p"),
    )
    assert [link.id for link in first] == [link.id for link in other]


async def test_a_campaign_batch_reuses_and_creates_one_link_a_contact_and_destination(
    store: LinkStore, tenant: Tenant
) -> None:
    a, b = "https://a.example/x", "https://b.example/y"
    [c1_a] = await store.reuse_or_create_links(tenant.id, [a], "spring", "c1")
    [elsewhere] = await store.reuse_or_create_links(tenant.id, [a], "autumn", "c2")
    wanted = [
        LinksWanted([a, b], "spring", "c1"),
        LinksWanted([a, b], "spring", "c2"),
        LinksWanted([b, a], "spring", "c2"),  # c2 twice in one batch: the same two links
        LinksWanted([a], "spring", None),
        LinksWanted([a], None, "c1"),
        *(LinksWanted([a, b], "spring", f"p{n}") for n in range(1200)),  # beyond a chunk
    ]
    results = await store.reuse_or_create_many(tenant.id, wanted, conversion_tracking=True)
    assert [len(links) for links in results] == [len(one.destinations) for one in wanted]
    assert results[0][0].id == c1_a.id and results[0][1].id != c1_a.id
    assert [link.id for link in results[2]] == [results[1][1].id, results[1][0].id]
    assert elsewhere.id not in {link.id for links in results for link in links}
    for one, links in zip(wanted, results, strict=True):
        assert [link.destination_url for link in links] == list(one.destinations)
        assert {(link.campaign, link.contact_id) for link in links} == {(one.campaign, one.contact_id)}
    made = {link.id for links in results for link in links} - {c1_a.id}
    assert len(made) == 1 + 2 + 1 + 1 + 2 * 1200
    again = await store.reuse_or_create_many(tenant.id, wanted)
    assert [[link.id for link in links] for links in again] == [
        [link.id for link in links] for links in results
    ]


async def test_concurrent_batches_agree_on_one_link(
    store: LinkStore, tenant: Tenant, open_another: OpenAnother
) -> None:
    second = await open_another()
    wanted = [LinksWanted([f"https://example.com/{n % 3}"], "c", f"p{n}") for n in range(300)]
    first, other = await asyncio.gather(
        store.reuse_or_create_many(tenant.id, wanted), second.reuse_or_create_many(tenant.id, wanted[::-1])
    )
    assert [links[0].id for links in first] == [links[0].id for links in other[::-1]]

"""The link store on its own, on every engine: tenants, keys, links, codes, cursors,
resolution and the outbox of changes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from smartlinks import codes
from smartlinks.models import LinkPatch, NewLink, Tenant, from_ms, to_ms, utcnow
from smartlinks.rules import LinkRules, Target, Variant
from smartlinks.store.base import CodeSpaceExhausted, CodeTaken, LastActiveKey, LinkQuery, TenantSummary
from smartlinks.store.link_store import LinkStore
from tests.store.conftest import OpenAnother

pytestmark = pytest.mark.anyio


async def test_create_and_get_round_trip(store: LinkStore, tenant: Tenant) -> None:
    expires = datetime(2999, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    new = NewLink(tenant.id, "https://example.com/", code="Hello1", title="T", expires_at=expires,
                  campaign="c", contact_id="p")  # fmt: skip
    link = await store.create_link(new)
    assert (link.code, link.title, link.expires_at, link.campaign, link.contact_id) == (
        "Hello1", "T", expires, "c", "p"
    )  # fmt: skip
    stored = await store.get_link(tenant.id, link.id)
    assert stored is not None
    assert replace(stored, created_at=link.created_at, updated_at=link.updated_at) == link
    assert to_ms(stored.created_at) == to_ms(link.created_at)


async def test_the_far_future_survives_the_store(store: LinkStore, tenant: Tenant) -> None:
    last = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)
    link = await store.create_link(NewLink(tenant.id, "https://example.com/", expires_at=last))
    stored = await store.get_link(tenant.id, link.id)
    assert stored is not None and stored.expires_at == last
    assert from_ms(to_ms(last)) == last


async def test_generated_codes_are_seven_base62_characters(store: LinkStore, tenant: Tenant) -> None:
    links = [await store.create_link(NewLink(tenant.id, "https://example.com/")) for _ in range(50)]
    assert all(len(link.code) == 7 and set(link.code) <= set(codes.ALPHABET) for link in links)
    assert len({link.code for link in links}) == 50


async def test_a_taken_custom_code_raises_for_any_tenant(store: LinkStore, tenant: Tenant) -> None:
    other = await store.create_tenant("other")
    await store.create_link(NewLink(tenant.id, "https://a.example/", code="dup1"))
    for owner in (tenant, other):
        with pytest.raises(CodeTaken):
            await store.create_link(NewLink(owner.id, "https://b.example/", code="dup1"))
    assert (await store.create_link(NewLink(tenant.id, "https://c.example/", code="DUP1"))).code == "DUP1"


async def test_generated_code_collisions_are_retried(
    store: LinkStore, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.create_link(NewLink(tenant.id, "https://a.example/", code="Taken77"))
    draws = iter(["Taken77", "Taken77", "Fresh77"])
    monkeypatch.setattr("smartlinks.store.link_store.generate_code", lambda: next(draws))
    assert (await store.create_link(NewLink(tenant.id, "https://b.example/"))).code == "Fresh77"
    monkeypatch.setattr("smartlinks.store.link_store.generate_code", lambda: "Taken77")
    with pytest.raises(CodeSpaceExhausted):
        await store.create_link(NewLink(tenant.id, "https://c.example/"))


async def test_list_pages_newest_first_with_a_cursor(store: LinkStore, tenant: Tenant) -> None:
    ids = [(await store.create_link(NewLink(tenant.id, f"https://e.example/{i}"))).id for i in range(7)]
    seen: list[str] = []
    after = None
    while True:
        page = await store.list_links(LinkQuery(tenant.id, limit=3, after_id=after))
        seen += [link.id for link in page.items]
        if page.next_after_id is None:
            break
        assert page.next_after_id == page.items[-1].id
        after = page.next_after_id
    assert seen == list(reversed(ids))


async def test_list_filters(store: LinkStore, tenant: Tenant) -> None:
    past = utcnow() - timedelta(hours=1)
    expired = await store.create_link(NewLink(tenant.id, "https://e.example/", expires_at=past))
    spring = await store.create_link(
        NewLink(tenant.id, "https://e.example/", title="Straße", campaign="spring")
    )
    other = await store.create_tenant("other")
    await store.create_link(NewLink(other.id, "https://e.example/", title="Straße", campaign="spring"))

    async def ids(**filters: Any) -> list[str]:
        page = await store.list_links(LinkQuery(tenant.id, **filters))
        return [link.id for link in page.items]

    assert await ids(status="expired") == [expired.id]
    assert await ids(status="active") == [spring.id]
    assert await ids(campaign="spring") == [spring.id]
    assert await ids(search="STRASSE") == [spring.id]
    assert await ids(search="E.EXAMPLE") == [spring.id, expired.id]


async def test_search_finds_a_link_by_its_code(store: LinkStore, tenant: Tenant) -> None:
    await store.create_link(NewLink(tenant.id, "https://e.example/a", code="Spring25", tags=("promo",)))
    await store.create_link(NewLink(tenant.id, "https://e.example/b", code="Summer26", tags=("promo",)))
    other = await store.create_tenant("someone else")
    await store.create_link(NewLink(other.id, "https://e.example/c", code="Spring99"))

    async def codes(**filters: Any) -> list[str]:
        page = await store.list_links(LinkQuery(tenant.id, **filters))
        return [link.code for link in page.items]

    assert await codes(search="Spring25") == ["Spring25"]
    assert await codes(search="spring2") == ["Spring25"]  # part of it, in any case
    assert await codes(search="25") == ["Spring25"]
    assert await codes(search="26") == ["Summer26"]
    assert await codes(search="SPRING", tag="promo") == ["Spring25"]  # through the tag's index too
    assert await codes(search="Spring99") == []  # another tenant's


async def test_update_changes_only_what_the_patch_says(store: LinkStore, tenant: Tenant) -> None:
    link = await store.create_link(NewLink(tenant.id, "https://old.example/", code="upd1", title="keep"))
    updated = await store.update_link(
        tenant.id, link.id, LinkPatch(destination_url="https://bücher.example/ä")
    )
    assert updated is not None
    assert (updated.destination_url, updated.title, updated.code) == (
        "https://bücher.example/ä",
        "keep",
        "upd1",
    )
    assert updated.updated_at >= link.updated_at
    resolved = await store.resolve("upd1")
    assert resolved is not None and resolved.location == "https://xn--bcher-kva.example/%C3%A4"
    cleared = await store.update_link(tenant.id, link.id, LinkPatch(title=None))
    assert cleared is not None and cleared.title is None
    other = await store.create_tenant("other")
    assert await store.update_link(other.id, link.id, LinkPatch(title="x")) is None


async def test_delete_keeps_the_code_taken(store: LinkStore, tenant: Tenant) -> None:
    link = await store.create_link(NewLink(tenant.id, "https://e.example/", code="gone1"))
    other = await store.create_tenant("other")
    assert await store.delete_link(other.id, link.id) is None
    assert await store.resolve("gone1") is not None
    assert (await store.delete_link(tenant.id, link.id)) == link
    assert await store.get_link(tenant.id, link.id) is None
    assert await store.resolve("gone1") is None
    assert await store.delete_link(tenant.id, link.id) is None
    assert await store.update_link(tenant.id, link.id, LinkPatch(title="x")) is None
    assert (await store.list_links(LinkQuery(tenant.id))).items == []
    with pytest.raises(CodeTaken):
        await store.create_link(NewLink(tenant.id, "https://e.example/", code="gone1"))


async def test_resolve_carries_what_a_redirect_needs(store: LinkStore, tenant: Tenant) -> None:
    expires = utcnow() + timedelta(days=1)
    await store.create_link(
        NewLink(
            tenant.id, "https://e.example/", code="res1", expires_at=expires, campaign="c", contact_id="p"
        )
    )
    resolved = await store.resolve("res1")
    assert resolved is not None
    assert (resolved.tenant_id, resolved.code, resolved.location) == (tenant.id, "res1", "https://e.example/")
    assert (resolved.expires_at_ms, resolved.campaign, resolved.contact_id) == (to_ms(expires), "c", "p")
    assert resolved.collect_metadata is True
    await store.set_collect_metadata(tenant.id, False)
    again = await store.resolve("res1")
    assert again is not None and again.collect_metadata is False
    assert await store.resolve("RES1") is None  # case-sensitive
    assert await store.resolve("nothing") is None


async def test_rules_are_stored_changed_and_resolved_with_the_link(store: LinkStore, tenant: Tenant) -> None:
    rules = LinkRules(
        max_clicks=5,
        password_hash="$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        targets=(Target("https://m.example/", device="mobile"),),
        variants=(Variant("https://a.example/", 1), Variant("https://b.example/", 2)),
    )
    link = await store.create_link(NewLink(tenant.id, "https://e.example/", code="rul1", rules=rules))
    assert link.rules == rules
    assert (await store.get_link(tenant.id, link.id)) == link
    resolved = await store.resolve("rul1")
    assert resolved is not None and resolved.rules == rules
    # One rule changed, the others kept; clearing every rule leaves a plain link (NULL).
    changed = await store.update_link(
        tenant.id, link.id, LinkPatch(max_clicks=None, expired_url="https://x.example/")
    )
    assert changed is not None and changed.rules == msgspec.structs.replace(
        rules, max_clicks=None, expired_url="https://x.example/"
    )
    cleared = await store.update_link(
        tenant.id, link.id, LinkPatch(expired_url=None, password_hash=None, targets=(), variants=())
    )
    assert cleared is not None and cleared.rules is None
    plain = await store.resolve("rul1")
    assert plain is not None and plain.rules is None
    assert (await store.create_link(NewLink(tenant.id, "https://e.example/", code="rul2"))).rules is None


async def test_resolve_many_answers_a_cold_batch_in_chunks(store: LinkStore, tenant: Tenant) -> None:
    # More codes than one statement matches on SQLite (500), as a flood of misses can ask.
    news = [NewLink(tenant.id, f"https://e.example/{n}", code=f"many{n}") for n in range(620)]
    links = await store.create_links(tenant.id, news)
    deleted = links[7]
    assert not isinstance(deleted, Exception)
    await store.delete_link(tenant.id, deleted.id)
    wanted = [f"many{n}" for n in reversed(range(620))] + ["unknown1", "MANY1"]
    found = await store.resolve_many(wanted)
    assert set(found) == {f"many{n}" for n in range(620)} - {"many7"}
    assert all(link.code == code and link.tenant_id == tenant.id for code, link in found.items())
    assert found["many619"].location == "https://e.example/619"
    assert await store.resolve_many([]) == {}


async def test_api_keys(store: LinkStore, tenant: Tenant) -> None:
    first, first_key = await store.create_api_key(tenant.id, "first")
    second, second_key = await store.create_api_key(tenant.id, "second")
    assert first_key.startswith("sl_") and first_key.startswith(first.prefix)
    assert [key.id for key in await store.list_api_keys(tenant.id)] == [second.id, first.id]
    assert (await store.tenant_for_api_key(first_key)) == tenant
    assert await store.tenant_for_api_key("sl_unknown") is None
    other = await store.create_tenant("other")
    assert await store.revoke_api_key(other.id, first.id) is False
    assert await store.revoke_api_key(tenant.id, first.id) is True
    assert await store.revoke_api_key(tenant.id, first.id) is False
    assert await store.tenant_for_api_key(first_key) is None
    assert (await store.tenant_for_api_key(second_key)) == tenant
    [revoked] = [key for key in await store.list_api_keys(tenant.id) if key.id == first.id]
    assert revoked.revoked_at is not None
    with pytest.raises(LastActiveKey):
        await store.revoke_api_key(tenant.id, second.id)
    assert (await store.tenant_for_api_key(second_key)) == tenant


async def test_tenants_are_listed_oldest_first_with_their_active_keys(store: LinkStore) -> None:
    first = await store.create_tenant("first")
    second = await store.create_tenant("second")
    revoked, _ = await store.create_api_key(first.id, "a")
    await store.create_api_key(first.id, "b")
    await store.create_api_key(second.id, "c")
    await store.revoke_api_key(first.id, revoked.id)
    assert await store.list_tenants() == [TenantSummary(first, 1), TenantSummary(second, 1)]
    empty = await store.create_tenant("no keys")
    assert (await store.list_tenants())[-1] == TenantSummary(empty, 0)


async def test_concurrent_revocations_leave_exactly_one_active_key(
    store: LinkStore, open_another: OpenAnother
) -> None:
    """Every key of a tenant revoked at once, from three processes' stores: exactly one
    revocation is refused, whatever the interleaving, in every round."""
    stores = [store, await open_another(), await open_another()]
    for round_ in range(10):
        tenant = await store.create_tenant(f"racing {round_}")
        keys = [(await store.create_api_key(tenant.id, f"k{i}"))[0] for i in range(6)]
        results = await asyncio.gather(
            *(stores[i % 3].revoke_api_key(tenant.id, key.id) for i, key in enumerate(keys)),
            return_exceptions=True,
        )
        assert results.count(True) == 5, results
        [refused] = [key for key, result in zip(keys, results, strict=True) if result is not True]
        assert isinstance(results[keys.index(refused)], LastActiveKey)
        active = [key.id for key in await store.list_api_keys(tenant.id) if key.revoked_at is None]
        assert active == [refused.id]


async def test_tenants_and_reopening(store: LinkStore, open_another: OpenAnother) -> None:
    tenant = await store.create_tenant("acme")
    assert await store.count_tenants() == 1
    assert (await store.set_collect_metadata(tenant.id, False)).collect_metadata is False
    await store.close()
    again = await open_another()  # migrations already applied: a no-op
    assert await again.get_tenant(tenant.id) == replace(tenant, collect_metadata=False)
    assert await again.get_tenant("nope") is None
    await again.ping()


async def test_concurrent_creates_with_generated_codes_all_succeed(store: LinkStore, tenant: Tenant) -> None:
    links = await asyncio.gather(
        *(store.create_link(NewLink(tenant.id, f"https://e.example/{i}")) for i in range(50))
    )
    assert len({link.code for link in links}) == 50
    assert len({link.id for link in links}) == 50
    page = await store.list_links(LinkQuery(tenant.id, limit=100))
    assert {link.id for link in page.items} == {link.id for link in links}


async def test_concurrent_code_collisions_are_retried(
    store: LinkStore, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every code is drawn twice, so concurrent creates keep racing for the same code; the
    # loser of each race must retry with a fresh draw rather than fail.
    draws = iter([f"Race{i // 2:03d}" for i in range(400)])
    monkeypatch.setattr("smartlinks.store.link_store.generate_code", lambda: next(draws))
    links = await asyncio.gather(
        *(store.create_link(NewLink(tenant.id, f"https://e.example/{i}")) for i in range(20))
    )
    assert len({link.code for link in links}) == 20
    changes = [change for _, change in await store.pending_changes()]
    assert sorted(change.code for change in changes) == sorted(link.code for link in links)


async def test_concurrent_patches_of_different_fields_are_both_kept(
    store: LinkStore, tenant: Tenant, open_another: OpenAnother
) -> None:
    other = await open_another()
    for round_ in range(5):
        link = await store.create_link(NewLink(tenant.id, "https://old.example/", title="old"))
        await asyncio.gather(
            store.update_link(tenant.id, link.id, LinkPatch(title=f"new {round_}")),
            other.update_link(tenant.id, link.id, LinkPatch(destination_url="https://new.example/")),
        )
        stored = await store.get_link(tenant.id, link.id)
        assert stored is not None
        assert (stored.title, stored.destination_url) == (f"new {round_}", "https://new.example/")


async def test_every_mutation_writes_its_change(store: LinkStore, tenant: Tenant) -> None:
    assert await store.pending_changes() == []
    link = await store.create_link(NewLink(tenant.id, "https://e.example/", code="out1"))
    with pytest.raises(CodeTaken):
        await store.create_link(NewLink(tenant.id, "https://e.example/", code="out1"))
    await store.update_link(tenant.id, link.id, LinkPatch(title="t"))
    await store.update_link(tenant.id, "nope", LinkPatch(title="t"))
    await store.set_collect_metadata(tenant.id, False)
    await store.delete_link(tenant.id, link.id)
    await store.delete_link(tenant.id, link.id)  # already gone: no change
    before = to_ms(utcnow())
    pending = await store.pending_changes()
    assert [(c.kind, c.tenant_id, c.link_id, c.code) for _, c in pending] == [
        ("created", tenant.id, link.id, "out1"),
        ("updated", tenant.id, link.id, "out1"),
        ("tenant_updated", tenant.id, "", ""),
        ("deleted", tenant.id, link.id, "out1"),
    ]
    seqs = [seq for seq, _ in pending]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    ats = [change.at for _, change in pending]
    assert ats == sorted(ats) and to_ms(link.created_at) <= ats[0] <= before


async def test_pending_changes_come_oldest_first_and_forgetting_drops_them(
    store: LinkStore, tenant: Tenant
) -> None:
    links = [await store.create_link(NewLink(tenant.id, f"https://e.example/{i}")) for i in range(5)]
    first = await store.pending_changes(limit=2)
    assert [change.link_id for _, change in first] == [links[0].id, links[1].id]
    await store.forget_changes([seq for seq, _ in first])
    await store.forget_changes([seq for seq, _ in first])  # a second relay forgetting: a no-op
    await store.forget_changes([])
    rest = await store.pending_changes()
    assert [change.link_id for _, change in rest] == [link.id for link in links[2:]]
    await store.forget_changes([rest[1][0]])
    assert [seq for seq, _ in await store.pending_changes()] == [rest[0][0], rest[2][0]]


async def test_two_stores_on_one_database_share_links_and_outbox(
    store: LinkStore, tenant: Tenant, open_another: OpenAnother
) -> None:
    # Two API processes on one database: each sees the other's writes at once, and the
    # outbox holds the changes of both in the order they were made.
    other = await open_another()
    assert await other.get_tenant(tenant.id) == tenant
    mine = await store.create_link(NewLink(tenant.id, "https://a.example/", code="mine1"))
    theirs = await other.create_link(NewLink(tenant.id, "https://b.example/", code="their1"))
    assert await other.get_link(tenant.id, mine.id) == mine
    assert await store.get_link(tenant.id, theirs.id) == theirs
    with pytest.raises(CodeTaken):
        await store.create_link(NewLink(tenant.id, "https://c.example/", code="their1"))
    updated = await store.update_link(tenant.id, theirs.id, LinkPatch(title="edited"))
    assert await other.get_link(tenant.id, theirs.id) == updated
    await other.delete_link(tenant.id, mine.id)
    assert await store.resolve("mine1") is None
    await store.set_collect_metadata(tenant.id, False)
    resolved = await other.resolve("their1")
    assert resolved is not None and resolved.collect_metadata is False
    expected = [
        ("created", mine.id),
        ("created", theirs.id),
        ("updated", theirs.id),
        ("deleted", mine.id),
        ("tenant_updated", ""),
    ]
    for reader in (store, other):
        assert [(c.kind, c.link_id) for _, c in await reader.pending_changes()] == expected
    await other.forget_changes([seq for seq, _ in await store.pending_changes()])
    assert await store.pending_changes() == []


async def test_signed_out_sessions_are_remembered_across_processes_until_they_expire(
    store: LinkStore, open_another: OpenAnother
) -> None:
    later = utcnow() + timedelta(hours=12)
    assert await store.is_session_revoked("s1") is False
    await store.revoke_session("s1", later)
    await store.revoke_session("s1", later)  # signing out twice is fine
    await store.revoke_session("gone", utcnow() - timedelta(seconds=1))  # expired already
    other = await open_another()  # another API process, or this one after a restart
    assert await other.is_session_revoked("s1") is True
    assert await other.is_session_revoked("s2") is False
    await other.revoke_session("s2", later)  # prunes what has expired on the way
    assert await store.is_session_revoked("s2") is True
    assert await store.is_session_revoked("gone") is False

"""Tags and own domains in the link store, on every engine; and migration 0010 on a
database that already holds links (SQLite rebuilds its links table for it)."""

from __future__ import annotations

import asyncio

import pytest

from smartlinks.models import LinkPatch, NewLink, Tenant
from smartlinks.rules import LinkRules, rules_to_json
from smartlinks.store.base import CodeTaken, LinkQuery
from smartlinks.store.domain_store import DomainInUse, DomainTaken, UnknownDomain
from smartlinks.store.link_store import LinkStore
from smartlinks.store.migrations import migrations
from smartlinks.store.sqlite import SQLiteLinkStore
from tests.store.conftest import MadeBefore

pytestmark = pytest.mark.anyio
ONE, TWO = "one.example", "two.example"


async def test_tags_are_kept_with_the_link_and_found_by_any_case(store: LinkStore, tenant: Tenant) -> None:
    tagged = await store.create_link(NewLink(tenant.id, "https://a.example/", tags=("Spring", "b2b")))
    assert tagged.tags == ("Spring", "b2b")
    stored = await store.get_link(tenant.id, tagged.id)
    assert stored is not None and stored.tags == ("Spring", "b2b")
    await store.create_link(NewLink(tenant.id, "https://b.example/"))
    page = await store.list_links(LinkQuery(tenant.id, tag="SPRING"))
    assert [link.id for link in page.items] == [tagged.id]
    assert await store.tags.link_ids(tenant.id, "spring") == [tagged.id]


async def test_an_edit_replaces_tags_and_a_delete_drops_them(store: LinkStore, tenant: Tenant) -> None:
    link = await store.create_link(NewLink(tenant.id, "https://a.example/", tags=("old",)))
    await store.update_link(tenant.id, link.id, LinkPatch(title="kept"))
    assert await store.tags.link_ids(tenant.id, "old") == [link.id]
    updated = await store.update_link(tenant.id, link.id, LinkPatch(tags=("new", "more")))
    assert updated is not None and updated.tags == ("new", "more")
    assert await store.tags.link_ids(tenant.id, "old") == []
    assert [(t.tag, t.links) for t in await store.tags.list_tags(tenant.id)] == [("more", 1), ("new", 1)]
    await store.delete_link(tenant.id, link.id)
    assert await store.tags.list_tags(tenant.id) == []
    assert (await store.list_links(LinkQuery(tenant.id, tag="new"))).items == []


async def test_the_tag_filter_pages_newest_first(store: LinkStore, tenant: Tenant) -> None:
    news = [NewLink(tenant.id, f"https://x.example/{i}", tags=("t",) if i % 2 else ()) for i in range(30)]
    made = await store.create_links(tenant.id, news)
    tagged = [link.id for link in made if not isinstance(link, CodeTaken) and link.tags]
    seen: list[str] = []
    after = None
    while True:
        page = await store.list_links(LinkQuery(tenant.id, tag="t", limit=4, after_id=after))
        seen += [link.id for link in page.items]
        if (after := page.next_after_id) is None:
            break
    assert seen == sorted(tagged, reverse=True)


async def test_domains_belong_to_one_tenant_and_go_when_unused(store: LinkStore, tenant: Tenant) -> None:
    other = await store.create_tenant("other")
    domain = await store.domains.add(tenant.id, ONE, None)
    with pytest.raises(DomainTaken):
        await store.domains.add(other.id, ONE, "https://x.example/")
    assert await store.domains.of_tenant(other.id) == []
    assert await store.domains.get(other.id, domain.id) is None
    assert [d.host for d in await store.domains.every()] == [ONE]
    link = await store.create_link(NewLink(tenant.id, "https://a.example/", code="Same1", domain=ONE))
    with pytest.raises(DomainInUse):
        await store.domains.remove(tenant.id, domain.id)
    await store.delete_link(tenant.id, link.id)
    assert await store.domains.remove(other.id, domain.id) is None
    assert await store.domains.remove(tenant.id, domain.id) == domain
    assert await store.domains.every() == []
    again = await store.domains.add(other.id, ONE, None)
    # The deleted link's code stays taken on the domain, whoever has it now.
    with pytest.raises(CodeTaken):
        await store.create_link(NewLink(other.id, "https://b.example/", code="Same1", domain=ONE))
    assert again.tenant_id == other.id


async def test_a_code_is_unique_per_domain_and_resolved_by_key(store: LinkStore, tenant: Tenant) -> None:
    await store.domains.add(tenant.id, ONE, None)
    await store.domains.add(tenant.id, TWO, None)
    made = {
        domain: await store.create_link(
            NewLink(tenant.id, f"https://{domain or 'default'}.test/", code="Same1", domain=domain)
        )
        for domain in (None, ONE, TWO)
    }
    for domain in (None, ONE, TWO):
        with pytest.raises(CodeTaken):
            await store.create_link(NewLink(tenant.id, "https://again.example/", code="Same1", domain=domain))
    found = await store.resolve_many(["Same1", f"{ONE}/Same1", f"{TWO}/Same1", "three.example/Same1"])
    assert {key: link.link_id for key, link in found.items()} == {
        "Same1": made[None].id,
        f"{ONE}/Same1": made[ONE].id,
        f"{TWO}/Same1": made[TWO].id,
    }
    assert {link.code for link in found.values()} == {"Same1"}
    assert found[f"{ONE}/Same1"].location == "https://one.example.test/"


async def test_links_go_only_on_their_tenant_s_domains(store: LinkStore, tenant: Tenant) -> None:
    other = await store.create_tenant("other")
    await store.domains.add(other.id, ONE, None)
    with pytest.raises(UnknownDomain):
        await store.create_link(NewLink(tenant.id, "https://a.example/", domain=ONE))
    batch = [NewLink(tenant.id, "https://a.example/"), NewLink(tenant.id, "https://b.example/", domain=TWO)]
    with pytest.raises(UnknownDomain):
        await store.create_links(tenant.id, batch)
    assert (await store.list_links(LinkQuery(tenant.id))).items == []  # nothing of the batch


async def test_changes_name_the_domain(store: LinkStore, tenant: Tenant) -> None:
    await store.forget_changes([seq for seq, _ in await store.pending_changes()])
    domain = await store.domains.add(tenant.id, ONE, None)
    link = await store.create_link(NewLink(tenant.id, "https://a.example/", domain=ONE))
    await store.update_link(tenant.id, link.id, LinkPatch(title="t"))
    await store.delete_link(tenant.id, link.id)
    await store.domains.set_not_found_url(tenant.id, domain.id, "https://x.example/")
    plain = await store.create_link(NewLink(tenant.id, "https://b.example/"))
    changes = [change for _, change in await store.pending_changes()]
    assert [(c.kind, c.link_id, c.code, c.domain) for c in changes] == [
        ("domain_changed", domain.id, "", ONE),
        ("created", link.id, link.code, ONE),
        ("updated", link.id, link.code, ONE),
        ("deleted", link.id, link.code, ONE),
        ("domain_changed", domain.id, "", ONE),
        ("created", plain.id, plain.code, ""),
    ]


async def test_a_removal_waits_for_links_being_created_on_the_domain(
    store: LinkStore, tenant: Tenant
) -> None:
    domain = await store.domains.add(tenant.id, ONE, None)
    outcomes = await asyncio.gather(
        *(store.create_link(NewLink(tenant.id, f"https://a.example/{i}", domain=ONE)) for i in range(5)),
        store.domains.remove(tenant.id, domain.id),
        return_exceptions=True,
    )
    created = [o for o in outcomes[:5] if not isinstance(o, BaseException)]
    removed = outcomes[5]
    # Either the domain went first (every link refused) or links came first (the removal refused).
    if isinstance(removed, DomainInUse):
        assert created
    else:
        assert removed == domain and not created
        assert all(isinstance(o, UnknownDomain) for o in outcomes[:5])


async def test_migration_0010_keeps_links_indexes_and_taken_codes(made_before: MadeBefore) -> None:
    old = await made_before(10)
    async with old.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO tenants (id, name, collect_metadata, created_at) VALUES ('t', 'T', TRUE, 0)"
        )
        for n, deleted in enumerate([None, None, 5]):
            await tx.execute(
                "INSERT INTO links (id, tenant_id, code, destination_url, location, title, campaign,"
                " search_text, created_at, updated_at, deleted_at, conversion_tracking, rules)"
                " VALUES (?, 't', ?, ?, ?, 'x', 'c', 'x', 1, 2, ?, TRUE, ?)",
                (
                    f"{n:032x}",
                    f"Old{n}A",
                    f"https://o.example/{n}",
                    f"https://o.example/{n}",
                    deleted,
                    rules_to_json(LinkRules(max_clicks=n + 1)) if n == 1 else None,
                ),
            )
    later = [name for version, name, _ in migrations(old.db.dialect.name) if version >= 10]
    assert await old.migrate() == later and later[0] == "0010_tags_and_domains"
    links = (await old.list_links(LinkQuery("t"))).items
    kept = [(link.code, link.destination_url, link.conversion_tracking, link.rules) for link in links]
    assert all(link.tags == () and link.domain is None for link in links)
    assert kept == [
        ("Old1A", "https://o.example/1", True, LinkRules(max_clicks=2)),
        ("Old0A", "https://o.example/0", True, None),
    ]  # fmt: skip
    assert (await old.resolve("Old0A")) is not None and (await old.resolve("Old2A")) is None
    with pytest.raises(CodeTaken):  # a deleted link's code stays taken
        await old.create_link(NewLink("t", "https://n.example/", code="Old2A"))
    await old.domains.add("t", ONE, None)
    assert (await old.create_link(NewLink("t", "https://n.example/", code="Old2A", domain=ONE))).domain == ONE
    if isinstance(old, SQLiteLinkStore):
        names = {row["name"] for row in await old.db.all(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'links'")}  # fmt: skip
        assert names == {
            "sqlite_autoindex_links_1", "links_code_domain", "links_tenant_live", "links_tenant_campaign",
            "links_by_contact", "links_reuse", "links_on_domain",
        }  # fmt: skip
        # The automatic index is the primary key's: no unique code left over from 0001.
        keyed = await old.db.all("PRAGMA index_info('sqlite_autoindex_links_1')")
        assert [row["name"] for row in keyed] == ["id"]
        plan = await old.db.all("EXPLAIN QUERY PLAN SELECT id FROM links WHERE code IN ('a', 'b')")
        assert any("links_code_domain" in row["detail"] for row in plan)
        checked = await old.db.one("PRAGMA integrity_check")
        assert checked is not None and checked["integrity_check"] == "ok"

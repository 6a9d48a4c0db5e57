"""Tenant names are unique whatever their case, on every engine; migration 0012 makes an
older database's duplicates unique by renaming the later tenants, and records each rename."""

from __future__ import annotations

import pytest

from smartlinks.models import NewLink
from smartlinks.store.base import TenantNameTaken, TenantSummary
from smartlinks.store.link_store import LinkStore
from tests.store.conftest import MadeBefore

pytestmark = pytest.mark.anyio


async def test_a_name_is_taken_whatever_its_case(store: LinkStore) -> None:
    acme = await store.create_tenant("Acme")
    for again in ("Acme", "acme", "ACME"):
        with pytest.raises(TenantNameTaken):
            await store.create_tenant(again)
    other = await store.create_tenant("Acme Two")
    assert [summary.tenant for summary in await store.list_tenants()] == [acme, other]


async def test_the_list_counts_live_links(store: LinkStore) -> None:
    tenant = await store.create_tenant("acme")
    kept = await store.create_link(NewLink(tenant.id, "https://shop.example/a"))
    gone = await store.create_link(NewLink(tenant.id, "https://shop.example/b"))
    await store.delete_link(tenant.id, gone.id)
    assert await store.list_tenants() == [TenantSummary(tenant, 0, 1)]
    assert kept.tenant_id == tenant.id


@pytest.fixture
async def before_unique_names(made_before: MadeBefore) -> LinkStore:
    """A store on a new database migrated up to 0011, as one made before names were unique."""
    return await made_before(12)


async def test_the_migration_renames_later_namesakes_and_says_so(before_unique_names: LinkStore) -> None:
    db = before_unique_names.db
    names = ["acme", "Acme", "solo", "ACME", "nameless", "nameless"]
    async with db.transaction() as tx:
        for number, name in enumerate(names):
            await tx.execute(
                "INSERT INTO tenants (id, name, collect_metadata, created_at) VALUES (?, ?, TRUE, 0)",
                (f"t{number}", name),
            )
    assert (await before_unique_names.migrate())[0] == "0012_unique_tenant_names"
    await before_unique_names.open()
    renamed = {summary.tenant.id: summary.tenant.name for summary in await before_unique_names.list_tenants()}
    assert renamed == {
        "t0": "acme", "t1": "Acme (2)", "t2": "solo",
        "t3": "ACME (3)", "t4": "nameless", "t5": "nameless (2)",
    }  # fmt: skip
    assert await before_unique_names.tenant_renames() == [
        ("t1", "Acme", "Acme (2)"),
        ("t3", "ACME", "ACME (3)"),
        ("t5", "nameless", "nameless (2)"),
    ]
    with pytest.raises(TenantNameTaken):
        await before_unique_names.create_tenant("SOLO")

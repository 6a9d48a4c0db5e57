"""API key scopes in the store, on every engine: a key is made full or read-only, its holder
carries the scope (so the API's check needs no other read), a read-only key never counts as
the tenant's last managing key, and migration 0013 makes the keys of an older database full."""

from __future__ import annotations

import pytest

from smartlinks.models import Tenant
from smartlinks.store.base import LastActiveKey
from smartlinks.store.link_store import LinkStore
from tests.store.conftest import MadeBefore

pytestmark = pytest.mark.anyio

SCOPES = 13


async def test_a_key_keeps_its_scope(store: LinkStore, tenant: Tenant) -> None:
    full, full_key = await store.create_api_key(tenant.id, "server")
    reader, reader_key = await store.create_api_key(tenant.id, "reports", scope="read_only")
    assert (full.scope, reader.scope) == ("full", "read_only")
    listed = {key.id: key.scope for key in await store.list_api_keys(tenant.id)}
    assert listed == {full.id: "full", reader.id: "read_only"}
    for key, scope in ((full_key, "full"), (reader_key, "read_only")):
        holder = await store.key_holder(key)
        assert holder is not None and holder.scope == scope
        again = await store.key_holder(key)  # from the key cache: the same scope
        assert again is not None and again.scope == scope


async def test_a_read_only_key_is_no_managing_key(store: LinkStore, tenant: Tenant) -> None:
    full, _ = await store.create_api_key(tenant.id, "server")
    reader, _ = await store.create_api_key(tenant.id, "reports", scope="read_only")
    # The read-only key cannot make another key: revoking the full one would lock the tenant out.
    with pytest.raises(LastActiveKey):
        await store.revoke_api_key(tenant.id, full.id)
    [summary] = await store.list_tenants()
    assert summary.active_keys == 1
    assert await store.revoke_api_key(tenant.id, reader.id)  # always allowed


@pytest.fixture
async def before_scopes(made_before: MadeBefore) -> LinkStore:
    """A store on a new database migrated up to 0012, as one made before keys had scopes."""
    return await made_before(SCOPES)


async def test_keys_made_before_scopes_are_full(before_scopes: LinkStore) -> None:
    db = before_scopes.db
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO tenants (id, name, collect_metadata, created_at) VALUES ('t1', 'acme', TRUE, 0)"
        )
        await tx.execute(
            "INSERT INTO api_keys (id, tenant_id, name, prefix, key_hash, created_at, kind)"
            " VALUES ('k1', 't1', 'old', 'sl_abcd', 'hash', 0, 'secret')"
        )
    applied = await before_scopes.migrate()
    assert applied[0] == "0013_api_key_scopes"
    await before_scopes.open()
    [old] = await before_scopes.list_api_keys("t1")
    assert (old.id, old.scope) == ("k1", "full")
    with pytest.raises(LastActiveKey):  # it manages the tenant, as it did
        await before_scopes.revoke_api_key("t1", "k1")

"""A verified key is remembered for a moment, and what changes it is seen at once."""

from __future__ import annotations

import asyncio

import pytest

from smartlinks.models import Tenant, TenantPatch, utcnow
from smartlinks.store.base import KeyHolder
from smartlinks.store.key_cache import LIFETIME, KeyCache
from smartlinks.store.link_store import LinkStore
from tests.store.conftest import OpenAnother

pytestmark = pytest.mark.anyio


async def test_a_key_revoked_here_stops_working_at_once(store: LinkStore, tenant: Tenant) -> None:
    record, key = await store.create_api_key(tenant.id, "first")
    await store.create_api_key(tenant.id, "second")
    assert await store.key_holder(key) is not None  # remembered now
    assert await store.revoke_api_key(tenant.id, record.id)
    assert await store.key_holder(key) is None


async def test_a_settings_change_reaches_the_next_request(store: LinkStore, tenant: Tenant) -> None:
    _, key = await store.create_api_key(tenant.id, "k")
    before = await store.key_holder(key)
    assert before is not None and before.tenant.conversion_tracking is False
    await store.update_tenant(tenant.id, TenantPatch(conversion_tracking=True))
    after = await store.key_holder(key)
    assert after is not None and after.tenant.conversion_tracking is True


async def test_a_key_revoked_by_another_process_stops_working_within_the_lifetime(
    store: LinkStore, tenant: Tenant, open_another: OpenAnother
) -> None:
    record, key = await store.create_api_key(tenant.id, "first")
    await store.create_api_key(tenant.id, "second")
    assert await store.key_holder(key) is not None
    other = await open_another()
    assert await other.revoke_api_key(tenant.id, record.id)
    await asyncio.sleep(LIFETIME + 0.1)
    assert await store.key_holder(key) is None


async def test_a_new_key_works_at_once_though_it_was_refused_before(store: LinkStore, tenant: Tenant) -> None:
    assert await store.key_holder("sl_not_yet_a_key_of_anyone_here") is None
    _, key = await store.create_api_key(tenant.id, "k")
    assert await store.key_holder(key) is not None


def _holder() -> KeyHolder:
    return KeyHolder(Tenant(id="t", name="t", collect_metadata=True, created_at=utcnow()), "key-id", "secret")


def test_a_lookup_under_way_when_keys_changed_is_not_remembered() -> None:
    cache = KeyCache()
    holder = _holder()
    started_under = cache.generation
    cache.forget()  # a revocation committed while the lookup read the store
    cache.put("digest", holder, started_under)
    assert cache.get("digest") is None
    cache.put("digest", holder, cache.generation)
    assert cache.get("digest") == holder


def test_a_remembered_key_is_asked_for_again_after_its_lifetime() -> None:
    cache = KeyCache(lifetime=0.0)
    cache.put("digest", _holder(), cache.generation)
    assert cache.get("digest") is None

"""When an API key was last used, on every engine: written on a key's first use, then at
most once a minute per key and process, never backwards; a key never used reads None."""

from __future__ import annotations

from datetime import timedelta

import pytest

from smartlinks.models import Tenant, utcnow
from smartlinks.store.key_use import KeyUse
from smartlinks.store.link_store import LinkStore

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_is_due_once_a_minute() -> None:
    clock = Clock()
    use = KeyUse(clock=clock)
    assert use.due(["a", "b"]) == ["a", "b"]  # first use: at once
    clock.now += 59.9
    assert use.due(["a", "b"]) == []
    clock.now += 0.1
    assert use.due(["a"]) == ["a"]
    use.failed(["b"])  # a write that failed is due again at the next use
    assert use.due(["b"]) == ["b"]


async def last_used(store: LinkStore, tenant: Tenant) -> dict[str, object]:
    return {key.name: key.last_used_at for key in await store.list_api_keys(tenant.id)}


async def test_the_first_use_is_written_the_next_ones_a_minute_later(
    store: LinkStore, tenant: Tenant
) -> None:
    used, _ = await store.create_api_key(tenant.id, "used")
    await store.create_api_key(tenant.id, "idle")
    assert await last_used(store, tenant) == {"used": None, "idle": None}
    before = utcnow() - timedelta(milliseconds=1)
    await store.record_key_use([used.id])
    first = (await last_used(store, tenant))["used"]
    assert first is not None and before <= first <= utcnow()
    assert (await last_used(store, tenant))["idle"] is None
    await store.record_key_use([used.id])  # within the minute: nothing written
    assert (await last_used(store, tenant))["used"] == first


async def test_a_use_never_moves_the_time_back(store: LinkStore, tenant: Tenant) -> None:
    used, _ = await store.create_api_key(tenant.id, "used")
    later = 4_000_000_000_000  # another process's later write, in milliseconds
    async with store.db.transaction() as tx:
        await tx.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (later, used.id))
    await store.record_key_use([used.id])
    [key] = await store.list_api_keys(tenant.id)
    assert key.last_used_at is not None and key.last_used_at.timestamp() * 1000 == later

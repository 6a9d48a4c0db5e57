"""The one migration runner, on every engine: stores opening together migrate once, and
a store migrated already finds nothing to do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from smartlinks.store.base import LinkStore
from smartlinks.store.migrations import migrations
from smartlinks.store.postgres import PostgresLinkStore
from smartlinks.store.sqlite import SQLiteLinkStore

pytestmark = pytest.mark.anyio


async def test_stores_opening_together_migrate_once(
    store: LinkStore, same_database: Callable[[], LinkStore]
) -> None:
    others = [same_database() for _ in range(4)]
    try:
        await asyncio.gather(*(other.open() for other in others))
        tenant = await others[0].create_tenant("acme")
        assert await others[-1].get_tenant(tenant.id) == tenant
    finally:
        for other in others:
            await other.close()
    assert await store.migrate() == []
    assert await same_database().migrate() == []


async def test_a_new_database_gets_every_step_in_order(
    store: LinkStore, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    fresh: LinkStore
    if isinstance(store, SQLiteLinkStore):
        fresh, dialect = SQLiteLinkStore(tmp_path / "fresh" / "links.sqlite3"), "sqlite"
    else:
        fresh, dialect = PostgresLinkStore(request.getfixturevalue("postgres").create_database()), "postgres"
    steps = [name for _, name, _ in migrations(dialect)]
    assert steps == sorted(steps) and steps[0] == "0001_links"
    assert await fresh.migrate() == steps
    assert await fresh.migrate() == []
    await fresh.open()  # migrating closed what it opened: the store opens as usual after
    try:
        assert await fresh.count_tenants() == 0
    finally:
        await fresh.close()

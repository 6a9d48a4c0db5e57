"""The one migration runner, on every engine: stores opening a new database together
migrate it once, and a store migrated already finds nothing to do."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from smartlinks.store.link_store import LinkStore
from smartlinks.store.migrations import migrations
from smartlinks.store.postgres import PostgresLinkStore
from smartlinks.store.sqlite import SQLiteLinkStore
from tests.store.conftest import opening

pytestmark = pytest.mark.anyio


@pytest.fixture
def new_database(store: LinkStore, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], LinkStore]:
    """Makes stores (not yet open) on one new, empty database of the engine of ``store``."""
    if isinstance(store, SQLiteLinkStore):
        path = tmp_path / "fresh" / "links.sqlite3"
        return lambda: SQLiteLinkStore(path)
    dsn = request.getfixturevalue("postgres").create_database()
    return lambda: PostgresLinkStore(dsn)


async def test_stores_opening_together_migrate_once(new_database: Callable[[], LinkStore]) -> None:
    async with opening(new_database) as open_one:
        stores = await asyncio.gather(*(open_one() for _ in range(5)))
        tenant = await stores[0].create_tenant("acme")
        assert await stores[-1].get_tenant(tenant.id) == tenant
        store = stores[0]
        assert isinstance(store, LinkStore)
        recorded = await store.db.all("SELECT version, name FROM schema_migrations ORDER BY version")
        expected = [(version, name) for version, name, _ in migrations(store.db.dialect.name)]
        assert [(row["version"], row["name"]) for row in recorded] == expected
        assert await store.migrate() == []
    assert await new_database().migrate() == []


async def test_a_new_database_gets_every_step_in_order(new_database: Callable[[], LinkStore]) -> None:
    fresh = new_database()
    assert isinstance(fresh, LinkStore)
    steps = [name for _, name, _ in migrations(fresh.db.dialect.name)]
    assert steps == sorted(steps) and steps[0] == "0001_links"
    assert await fresh.migrate() == steps
    assert await fresh.migrate() == []
    await fresh.open()  # migrating closed what it opened: the store opens as usual after
    try:
        assert await fresh.count_tenants() == 0
    finally:
        await fresh.close()

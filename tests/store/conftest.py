"""The link store fixtures: every store test runs on SQLite and on PostgreSQL.

The session's PostgreSQL server (tests/conftest.py, started only when a PostgreSQL test
runs) gives each test a database of its own, so tests see only their own rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from smartlinks.models import Tenant
from smartlinks.store.link_store import LinkStore
from smartlinks.store.migrations import migrations
from smartlinks.store.postgres import PostgresLinkStore
from smartlinks.store.sqlite import SQLiteLinkStore
from tests.support.postgres import PostgresServer


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LinkStore]:
    """An open store on an empty database of the engine in the test's id."""
    opened: LinkStore
    if request.param == "sqlite":
        opened = SQLiteLinkStore(tmp_path / "links.sqlite3")
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        opened = PostgresLinkStore(server.create_database())
    await opened.open()
    yield opened
    await opened.close()  # a second close after a test closed it is a no-op


@pytest.fixture
def same_database(store: LinkStore) -> Callable[[], LinkStore]:
    """Makes more stores (not yet open) on the database of ``store``, as another process
    would open it."""

    def make() -> LinkStore:
        if isinstance(store, SQLiteLinkStore):
            return SQLiteLinkStore(store.path)
        assert isinstance(store, PostgresLinkStore)
        return PostgresLinkStore(store.dsn)

    return make


OpenAnother = Callable[[], Awaitable[LinkStore]]


@asynccontextmanager
async def opening(make: Callable[[], LinkStore]) -> AsyncIterator[OpenAnother]:
    """Opens stores ``make`` makes (one per call, several at once too), and closes every
    one it opened when the block ends."""
    opened: list[LinkStore] = []

    async def open_one() -> LinkStore:
        other = make()
        await other.open()
        opened.append(other)
        return other

    try:
        yield open_one
    finally:
        for other in opened:
            await other.close()


@pytest.fixture
async def open_another(same_database: Callable[[], LinkStore]) -> AsyncIterator[OpenAnother]:
    """Opens another store on the database of ``store``, as another process would; each
    is closed when the test ends."""
    async with opening(same_database) as open_one:
        yield open_one


@pytest.fixture
async def tenant(store: LinkStore) -> Tenant:
    return await store.create_tenant("acme")


MadeBefore = Callable[[int], Awaitable[LinkStore]]


@pytest.fixture
async def made_before(
    store: LinkStore, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[MadeBefore]:
    """``made_before(N)``: a store on a new database of the engine of ``store``, its
    database open and migrated up to (not including) migration N, as an older release
    left it; the test writes its old rows, then ``migrate()``s and ``open()``s it."""
    made: list[LinkStore] = []

    async def make(version: int) -> LinkStore:
        fresh: LinkStore
        if isinstance(store, SQLiteLinkStore):
            fresh = SQLiteLinkStore(tmp_path / f"before-{version}" / "links.sqlite3")
        else:
            fresh = PostgresLinkStore(request.getfixturevalue("postgres").create_database())
        await fresh.db.open()
        made.append(fresh)
        async with fresh.db.transaction() as tx:
            await tx.execute(
                "CREATE TABLE schema_migrations"
                " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            )
            for applied, name, sql in migrations(fresh.db.dialect.name):
                if applied < version:
                    await tx.script(sql)
                    await tx.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (applied, name))
        return fresh

    yield make
    for fresh in made:
        await fresh.db.close()

"""What only the PostgreSQL store has to get right: the schema it migrates to, and a clear
error when the server is not there (migrating from several processes at once is in
test_migrations, on every engine)."""

from __future__ import annotations

import re

import psycopg
import pytest

from smartlinks.store.migrations import migrations
from smartlinks.store.postgres import PostgresLinkStore
from tests.support.postgres import PostgresServer
from tests.support.server import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


async def test_the_schema_mirrors_sqlite(postgres: PostgresServer) -> None:
    assert [name for _, name, _ in migrations("postgres")] == [name for _, name, _ in migrations("sqlite")]
    dsn = postgres.create_database()
    assert await PostgresLinkStore(dsn).migrate() == [name for _, name, _ in migrations("sqlite")]
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        cursor = await conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'links' ORDER BY indexname"
        )
        indexes: dict[str, str] = dict(await cursor.fetchall())
        cursor = await conn.execute(
            "SELECT column_name, data_type, collation_name FROM information_schema.columns"
            " WHERE table_name = 'links' AND column_name IN ('id', 'code', 'created_at')"
            " ORDER BY column_name"
        )
        columns = await cursor.fetchall()
    assert set(indexes) == {
        "links_pkey", "links_code_key", "links_tenant_live", "links_tenant_campaign", "links_reuse",
        "links_by_contact", "links_on_domain",
    }  # fmt: skip
    for partial in ("links_tenant_live", "links_tenant_campaign", "links_reuse", "links_by_contact"):
        assert indexes[partial].endswith("WHERE (deleted_at IS NULL)")
    # Destinations reach 4096 characters, past a B-tree entry's limit: the index holds a hash.
    assert "md5(destination_url)" in indexes["links_reuse"]
    # A code is unique per domain ('' the default one), looked up by the code first.
    assert "UNIQUE" in indexes["links_code_key"] and indexes["links_code_key"].endswith("(code, domain)")
    assert columns == [("code", "text", "C"), ("created_at", "bigint", None), ("id", "text", "C")]


async def test_an_unreachable_server_fails_open_with_the_reason() -> None:
    port = free_port()
    store = PostgresLinkStore(f"postgresql://postgres@127.0.0.1:{port}/nothing")
    with pytest.raises(psycopg.OperationalError, match=re.escape(f'127.0.0.1", port {port} failed')):
        await store.open()
    await store.close()
    with pytest.raises(RuntimeError, match="not open"):
        await store.ping()

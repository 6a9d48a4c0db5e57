"""The PostgreSQL that deploy/postgres/pg.sh runs takes connections, DDL and queries."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.postgres


def test_create_insert_select(postgres: PostgresServer) -> None:
    with psycopg.connect(postgres.dsn) as conn:
        conn.execute("CREATE TABLE links (code text PRIMARY KEY, url text NOT NULL)")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO links (code, url) VALUES (%s, %s)",
                [("abc", "https://example.com/a"), ("xyz", "https://example.com/ü")],
            )
        rows = conn.execute("SELECT code, url FROM links ORDER BY code").fetchall()
    assert rows == [("abc", "https://example.com/a"), ("xyz", "https://example.com/ü")]


def test_async_connection(postgres: PostgresServer) -> None:
    async def query() -> tuple[str, str]:
        async with await psycopg.AsyncConnection.connect(postgres.dsn) as conn:
            cur = await conn.execute("SELECT current_database(), current_setting('server_encoding')")
            row = await cur.fetchone()
        assert row is not None
        return row[0], row[1]

    database, encoding = asyncio.run(query())
    assert database == postgres.dsn.rsplit("/", 1)[1]
    assert encoding == "UTF8"


def test_fresh_databases_are_isolated(postgres: PostgresServer) -> None:
    first, second = postgres.create_database(), postgres.create_database()
    assert first != second
    with psycopg.connect(first) as conn:
        conn.execute("CREATE TABLE only_here (id int)")
    with psycopg.connect(second) as conn:
        found = conn.execute("SELECT to_regclass('only_here')").fetchone()
    assert found == (None,)

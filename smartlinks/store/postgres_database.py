"""PostgreSQL behind the store's ``Database``: the distributed mode.

Queries run on a ``psycopg_pool.AsyncConnectionPool`` in autocommit; a transaction takes
one connection and opens an explicit transaction on it. The store writes ``?``
placeholders; psycopg's are ``%s``, so each text is translated once and remembered
(a dict look-up on the redirect path).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from smartlinks.store.database import POSTGRES, Transaction
from smartlinks.store.rows import Row, marks

Connection = AsyncConnection[DictRow]

# The store's texts are a fixed few here (lists and rows are bound as arrays, whatever
# their length), so every translation is kept.
_translated: dict[str, str] = {}


def pg_sql(sql: str) -> str:
    """``sql`` with psycopg's placeholders (no ``?`` in the store's SQL is anything else)."""
    found = _translated.get(sql)
    if found is None:
        found = _translated[sql] = sql.replace("%", "%%").replace("?", "%s")
    return found


class _PostgresTransaction:
    dialect = POSTGRES

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        cursor = await self._conn.execute(pg_sql(sql), params)
        return await cursor.fetchone()

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = await self._conn.execute(pg_sql(sql), params)
        return list(await cursor.fetchall())

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._conn.execute(pg_sql(sql), params)
        return max(cursor.rowcount, 0)

    async def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> int:
        if not params:
            return 0
        async with self._conn.cursor() as cursor:
            await cursor.executemany(pg_sql(sql), params)
            return max(cursor.rowcount, 0)

    async def insert_many(
        self, into: str, types: Sequence[str], values: Sequence[Sequence[Any]], then: str = ""
    ) -> int:
        if not values:
            return 0
        if len(values) == 1:
            # Building the arrays costs more than a single row saves (psycopg adapts each
            # list in Python): a link created alone takes the plain way.
            return await self.execute(f"{into} VALUES ({marks(len(types))}) {then}", values[0])
        # One array per column: one statement, planned once, whatever the number of rows.
        arrays = ", ".join(f"?::{kind}[]" for kind in types)
        columns = [list(column) for column in zip(*values, strict=True)]
        return await self.execute(f"{into} SELECT * FROM unnest({arrays}) {then}", columns)

    async def insert_later(self, into: str, types: Sequence[str], values: Sequence[Sequence[Any]]) -> None:
        await self.insert_many(into, types, values)

    async def script(self, sql: str) -> None:
        # Without parameters psycopg sends the text as one simple query, so it may hold
        # several statements.
        await self._conn.execute(sql.encode())


class PostgresDatabase:
    dialect = POSTGRES

    def __init__(self, dsn: str, min_connections: int = 2, max_connections: int = 10) -> None:
        self.dsn = dsn
        self._min = min_connections
        self._max = max_connections
        self._pool: AsyncConnectionPool[Connection] | None = None

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    async def open(self) -> None:
        if self._pool is not None:
            return
        # One plain connection first fails fast, with libpq's own words, when the server
        # cannot be reached, before a pool starts retrying in the back.
        probe = await AsyncConnection.connect(self.dsn, autocommit=True)
        await probe.close()
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            self.dsn,
            connection_class=Connection,
            kwargs={"autocommit": True, "row_factory": dict_row},
            min_size=self._min,
            max_size=self._max,
            open=False,
            name="smartlinks-store",
        )
        try:
            await pool.open(wait=True)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        if self._pool is None:
            raise RuntimeError("store is not open")
        async with self._pool.connection() as conn:
            yield conn

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._connection() as conn:
            cursor = await conn.execute(pg_sql(sql), params)
            return await cursor.fetchone()

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connection() as conn:
            cursor = await conn.execute(pg_sql(sql), params)
            return list(await cursor.fetchall())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._connection() as conn, conn.transaction():
            yield _PostgresTransaction(conn)

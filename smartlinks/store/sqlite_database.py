"""SQLite behind the store's ``Database``: the embedded default.

One file in WAL mode, so ``smartlinks tenant create`` can write while ``smartlinks up``
serves. SQLite connections block, so they run off the event loop: reads on a small thread
pool with one connection per thread, transactions on one writer thread with a connection
of its own. SQLite has one writer at a time anyway; queueing this process's transactions
on an asyncio lock keeps the pool's threads free for reads, and ``BEGIN IMMEDIATE`` (with
a busy timeout) queues them behind another process's writer.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from smartlinks.store.database import SQLITE, Transaction
from smartlinks.store.rows import Row, marks

T = TypeVar("T")


def _fetch_one(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Row | None:
    row: Row | None = conn.execute(sql, params).fetchone()
    return row


def _fetch_all(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[Row]:
    return conn.execute(sql, params).fetchall()


def _rowcount(conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> int:
    return max(conn.execute(sql, params).rowcount, 0)


def _rowcount_many(conn: sqlite3.Connection, sql: str, params: Sequence[Sequence[Any]]) -> int:
    return max(conn.executemany(sql, params).rowcount, 0)


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite ends some failed transactions itself (a full disk, say): nothing left to undo.
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _script(conn: sqlite3.Connection, sql: str) -> None:
    # Not executescript: it commits first, and a migration belongs to the caller's transaction.
    for statement in sql.split(";\n"):
        if statement.strip():
            conn.execute(statement)


_Later = list[tuple[str, Sequence[Sequence[Any]]]]


def _in_trip(conn: sqlite3.Connection, begin: bool, later: _Later, fn: Callable[..., T], *args: Any) -> T:
    if begin:
        # IMMEDIATE takes the write lock up front, so writers of other processes queue on
        # busy_timeout instead of one failing with "database is locked" halfway.
        conn.execute("BEGIN IMMEDIATE")
    for sql, values in later:
        conn.executemany(sql, values)
    return fn(conn, *args)


class _SQLiteTransaction:
    """Begins with its first statement, and runs the inserts put off with ``insert_later``
    with the next one or the commit, in the same trip to the writer thread: a trip (a hop
    to the thread and back, the GIL handed over twice) costs more than a short statement.
    A single create is two trips: BEGIN and its link, then its outbox row and COMMIT."""

    dialect = SQLITE

    def __init__(self, database: SQLiteDatabase) -> None:
        self._database = database
        self.begun = False
        self._later: _Later = []

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        begin, self.begun = not self.begun, True  # before the trip: a cancelled wait still rolls back
        later, self._later = self._later, []
        return await self._database.on_writer(_in_trip, begin, later, fn, *args)

    async def commit(self) -> None:
        if self.begun or self._later:
            await self._call(_rowcount, "COMMIT", ())

    async def insert_later(self, into: str, types: Sequence[str], values: Sequence[Sequence[Any]]) -> None:
        if values:
            self._later.append((f"{into} VALUES ({marks(len(types))})", values))

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self._call(_fetch_one, sql, params)

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._call(_fetch_all, sql, params)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return await self._call(_rowcount, sql, params)

    async def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> int:
        return await self._call(_rowcount_many, sql, params)

    async def insert_many(
        self, into: str, types: Sequence[str], values: Sequence[Sequence[Any]], then: str = ""
    ) -> int:
        # One prepared row, run per row in C: faster here than a statement of many rows,
        # which SQLite parses afresh each time.
        return await self._call(_rowcount_many, f"{into} VALUES ({marks(len(types))}) {then}", values)

    async def script(self, sql: str) -> None:
        await self._call(_script, sql)


class SQLiteDatabase:
    dialect = SQLITE

    def __init__(self, path: Path, threads: int = 4) -> None:
        self.path = path
        self._threads = threads
        self._readers: ThreadPoolExecutor | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._write_lock = asyncio.Lock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def _on_connection(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(self._connection(), *args)

    async def _run(self, executor: ThreadPoolExecutor | None, fn: Callable[..., T], *args: Any) -> T:
        if executor is None:
            raise RuntimeError("store is not open")
        return await asyncio.get_running_loop().run_in_executor(executor, self._on_connection, fn, *args)

    async def on_writer(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(connection, *args)`` on the writer's thread and connection."""
        return await self._run(self._writer, fn, *args)

    @property
    def is_open(self) -> bool:
        return self._readers is not None

    async def open(self) -> None:
        if self._readers is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._readers = ThreadPoolExecutor(self._threads, thread_name_prefix="sqlite")
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
            self._write_lock = asyncio.Lock()  # of the loop that opens the store

    async def close(self) -> None:
        for executor in (self._readers, self._writer):
            if executor is not None:
                executor.shutdown(wait=True)
        self._readers = self._writer = None
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        # Thread-locals of the finished threads go with them; a reopen makes new ones.
        self._local = threading.local()

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return await self._run(self._readers, _fetch_one, sql, params)

    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._run(self._readers, _fetch_all, sql, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self._write_lock:
            tx = _SQLiteTransaction(self)
            try:
                yield tx
                await tx.commit()
            except BaseException:
                # Shielded: a cancelled caller still leaves no transaction open behind it.
                await asyncio.shield(self.on_writer(_rollback))
                raise

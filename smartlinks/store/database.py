"""What the link store needs from a database, whatever the engine.

The store's queries are written once, with ``?`` placeholders, against this small
interface: reads outside a transaction (``one``, ``all``) and a ``transaction()`` that
commits when its block ends and rolls everything back when it raises, on every engine.
The few places where the engines truly differ are a ``Dialect``: a row lock, a lock on
a key, how a list of ids is matched, and how one SQL fragment is spelled; and each
engine's ``Transaction`` inserts many rows at once in its own fastest way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from smartlinks.store.rows import Row, marks


class Transaction(Protocol):
    """Statements on one connection inside one transaction."""

    dialect: Dialect

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...
    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; return how many rows it changed."""

    async def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> int:
        """Run a statement once per parameter set; return how many rows they changed."""

    async def insert_many(
        self, into: str, types: Sequence[str], values: Sequence[Sequence[Any]], then: str = ""
    ) -> int:
        """``{into} <rows> {then}`` for many rows at once, in the engine's fastest way
        (``into`` is ``INSERT INTO t (columns)``, ``types`` their SQL types, ``then`` e.g.
        an ON CONFLICT clause); return how many rows were inserted."""

    async def insert_later(self, into: str, types: Sequence[str], values: Sequence[Sequence[Any]]) -> None:
        """``insert_many`` whose count nobody reads, such as outbox rows: the engine may run
        it with the transaction's next statement or its commit. Inside the transaction all
        the same: a failure still rolls everything back."""

    async def script(self, sql: str) -> None:
        """Run several ``;``-separated statements without parameters (a migration)."""


class Database(Protocol):
    dialect: Dialect

    @property
    def is_open(self) -> bool: ...
    async def open(self) -> None:
        """Connect; raise the driver's own error if the database cannot be reached."""

    async def close(self) -> None: ...
    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...
    async def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        """A transaction that holds the write lock of the rows (PostgreSQL) or of the
        database (SQLite) it writes until it commits or rolls back."""


@dataclass(frozen=True, slots=True)
class Dialect:
    """The differences between the engines that one SQL text cannot hide."""

    name: str  # the folder of the engine's migrations
    # Appended to a SELECT inside a transaction that goes on to write the rows it read.
    # SQLite has no row locks: its transactions take the one write lock up front.
    for_update: str
    # A statement holding a lock on a text key until the transaction ends, or None where
    # a transaction already excludes every other writer.
    key_lock: str | None
    # The same for many keys in one statement (an array of them, locked in its order).
    key_locks: str | None
    # The equality that also matches NULL with NULL.
    same: str
    # position of a substring: instr(haystack, needle) / strpos(haystack, needle)
    find: str
    # Lists bound as one array parameter (PostgreSQL), or one parameter per item.
    binds_arrays: bool
    # Ids per statement that matches a list.
    in_chunk: int
    # Workers on other processes claim webhook deliveries at the same time.
    concurrent_writers: bool
    # Sequence numbers (the outbox's) are drawn in commit order: SQLite has one writer at a
    # time, across processes too, and AUTOINCREMENT never draws one twice. On PostgreSQL a
    # transaction that drew a lower one can commit after a higher one was read.
    ordered_commits: bool
    # The index for reusing a link is on a hash of its destination (PostgreSQL: a B-tree
    # entry cannot hold a 4,096-character URL), or on the destination itself.
    hashed_destination_index: bool

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column`` matching any of ``values`` (at most ``in_chunk``), and its parameters."""
        if self.binds_arrays:
            return f"{column} = ANY(?)", [list(values)]
        return f"{column} IN ({marks(len(values))})", list(values)

    def chunks(self, values: Sequence[Any]) -> Iterator[Sequence[Any]]:
        for start in range(0, len(values), self.in_chunk):
            yield values[start : start + self.in_chunk]

    def destination_in(self, destinations: Sequence[str]) -> tuple[str, list[Any]]:
        """Links to any of ``destinations`` (at most ``in_chunk``), on the engine's index
        for them."""
        if self.hashed_destination_index:
            return (
                "md5(destination_url) = ANY(ARRAY(SELECT md5(d) FROM unnest(?::text[]) AS d))"
                " AND destination_url = ANY(?)",
                [list(destinations), list(destinations)],
            )
        return self.in_list("destination_url", destinations)


SQLITE = Dialect(
    name="sqlite",
    for_update="",
    key_lock=None,
    key_locks=None,
    same="IS",
    find="instr",
    binds_arrays=False,
    in_chunk=500,
    concurrent_writers=False,
    ordered_commits=True,
    hashed_destination_index=False,
)
POSTGRES = Dialect(
    name="postgres",
    for_update=" FOR UPDATE",
    key_lock="SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
    key_locks="SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest(?::text[]) AS k",
    same="IS NOT DISTINCT FROM",
    find="strpos",
    binds_arrays=True,
    in_chunk=10_000,
    concurrent_writers=True,
    ordered_commits=False,
    hashed_destination_index=True,
)

"""The link store's schema as ordered SQL migrations, and the one runner for every engine.

``sqlite/`` and ``postgres/`` hold the same numbered steps, each written in its engine's
DDL (types, collations and indexes differ), so a change to the schema is one new file in
each folder with the same number and name. ``migrate`` applies them on either engine.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from smartlinks.models import to_ms, utcnow

if TYPE_CHECKING:
    from smartlinks.store.database import Database

# Every process migrating one database takes this lock first (where the engine has one).
_LOCK_KEY = "smartlinks link-store migrations"


def migrations(dialect: str) -> list[tuple[int, str, str]]:
    """The ordered (version, name, sql) migrations for ``dialect`` ("sqlite" or "postgres")."""
    folder = resources.files(__name__).joinpath(dialect)
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name.removesuffix(".sql"), entry.read_text()))
    if not found:
        raise LookupError(f"no {dialect!r} link-store migrations in {folder}")
    return sorted(found)


async def migrate(db: Database) -> list[str]:
    """Apply pending migrations in one transaction; return the names applied. Safe to run
    from several processes at once: the lock (PostgreSQL) or the write lock of the
    transaction (SQLite) queues the others until it commits, and they find the work done."""
    applied = []
    async with db.transaction() as tx:
        if db.dialect.key_lock is not None:
            await tx.execute(db.dialect.key_lock, (_LOCK_KEY,))
        await tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        done = {row["version"] for row in await tx.all("SELECT version FROM schema_migrations")}
        for version, name, sql in migrations(db.dialect.name):
            if version in done:
                continue
            await tx.script(sql)
            await tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, to_ms(utcnow())),
            )
            applied.append(name)
    return applied

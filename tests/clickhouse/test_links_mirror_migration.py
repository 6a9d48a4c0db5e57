"""Migration 0013: a database from before deletions left the links mirror still holds the
rows of deleted links (deleted = 1); migrating removes them and keeps the live links."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.clickhouse import LINK_COLUMNS, migrations, statements
from smartlinks.clickhouse import connect, migrate

PURGE = 13


def test_migrating_removes_the_mirror_rows_of_deleted_links(clickhouse_database: tuple[str, str]) -> None:
    client = connect(*clickhouse_database)
    try:
        # The schema as migration 0012 left it, recorded as migrate records it.
        migrate_to = [(version, name, sql) for version, name, sql in migrations() if version < PURGE]
        client.command(
            "CREATE TABLE schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC'))"
            " ENGINE = MergeTree ORDER BY version"
        )
        for version, name, sql in migrate_to:
            for statement in statements(sql):
                client.command(statement.format(on_cluster="", replicated="", keeper=_NoKeeper()))
            client.insert("schema_migrations", [[version, name, datetime.now(UTC)]])
        made, deleted = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
        gone = ["t1", "gone", "def", "https://shop.example/x", "Secret title", "spring", "c-1", None, made]
        rows = [
            ["t1", "live", "abc", "https://shop.example/", "Kept", "", "", None, made, made, 0],
            ["t2", "gone", "abc", "https://other.example/", "Other tenant", "", "", None, made, made, 0],
            [*gone, made, 0],  # its version before the deletion, not yet merged away
            [*gone, deleted, 1],
        ]
        client.insert("links", rows, column_names=list(LINK_COLUMNS))

        assert migrate(client) == [name for version, name, _ in migrations() if version >= PURGE]

        left = client.query("SELECT tenant_id, link_id, title FROM links ORDER BY tenant_id").result_rows
        assert left == [("t1", "live", "Kept"), ("t2", "gone", "Other tenant")]
        assert migrate(client) == []
    finally:
        client.close()


class _NoKeeper:
    def __format__(self, spec: str) -> str:
        return ""

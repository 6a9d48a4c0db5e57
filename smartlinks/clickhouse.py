"""ClickHouse access shared by the consumer, the API and the CLI: clients and migrations.

One URL scheme per deployment:

- ``chdb:///abs/path`` — the embedded engine (chDB) inside this process. chDB runs one
  engine per process on one data directory; every client here shares it. A second path
  in the same process is a configuration error and fails at once.
- ``http(s)://user:password@host:port[/database]`` — a ClickHouse server.

All calls are synchronous (there is no async chDB client); asyncio callers run them in a
worker thread. Nothing connects at import time.

On a cluster (``SMARTLINKS_CLICKHOUSE_CLUSTER``) the same migrations run with their
placeholders filled for it (``schemas.clickhouse.for_servers``): every DDL statement
``ON CLUSTER`` and every MergeTree-family engine its Replicated counterpart.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlparse

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from schemas.clickhouse import for_servers, migrations, statements

__all__ = ["ClickHouseConfigError", "Client", "connect", "migrate", "quote_identifier"]

# Settings every client gets: lightweight DELETE waits until done, so a deleted link's
# figures are gone when LinkDeletions.delete_link returns.
_CLIENT_SETTINGS = {"lightweight_deletes_sync": 2}


class ClickHouseConfigError(ValueError):
    """The ClickHouse URL or database name is unusable; raised before anything connects."""


_lock = threading.Lock()
# The one chDB engine of this process: its data path and the client that keeps it open
# (chDB releases the engine when its last connection closes).
_engine: tuple[str, Client] | None = None


def quote_identifier(name: str) -> str:
    """A database or table name as SQL, refusing names that would need escaping."""
    if not name or not all(ch.isalnum() or ch == "_" for ch in name) or not name.isascii():
        raise ClickHouseConfigError(f"ClickHouse database name must be letters, digits and _: {name!r}")
    return f"`{name}`"


def connect(url: str, database: str) -> Client:
    """A clickhouse-connect client on ``database``, created if it does not exist.

    For chDB each call returns a new client with its own connection handle on the shared
    engine, so threads (consumer inserts, API queries) do not queue behind one lock;
    closing one client leaves the others and the engine open.
    """
    quote_identifier(database)
    parsed = urlparse(url)
    if parsed.scheme == "chdb":
        return _connect_chdb(parsed.path, parsed.netloc, database)
    if parsed.scheme in ("http", "https"):
        return _connect_server(url, database)
    raise ClickHouseConfigError(f"ClickHouse URL must start with chdb://, http:// or https://: {url!r}")


def _connect_chdb(path: str, netloc: str, database: str) -> Client:
    global _engine
    if netloc or not path.startswith("/") or path == "/":
        raise ClickHouseConfigError(f"chDB URL must be chdb:///absolute/path, not chdb://{netloc}{path}")
    path = unquote(path)
    with _lock:
        if _engine is None:
            _engine = (path, _chdb_client(path, None))
        elif _engine[0] != path:
            raise ClickHouseConfigError(
                f"chDB already runs on {_engine[0]} in this process; one process can open one data path"
            )
        _engine[1].command(f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}")
    return _chdb_client(path, database)


def _chdb_client(path: str, database: str | None) -> Client:
    return clickhouse_connect.get_client(dsn=f"chdb://{path}", database=database, settings=_CLIENT_SETTINGS)


def _connect_server(url: str, database: str) -> Client:
    parsed = urlparse(url)
    in_url = unquote(parsed.path.strip("/"))
    if in_url and in_url != database:
        raise ClickHouseConfigError(
            f"ClickHouse URL names database {in_url!r} but {database!r} is configured"
        )
    # Connect without a database first: it may not exist yet.
    base = parsed._replace(path="").geturl()
    admin = clickhouse_connect.get_client(dsn=base, settings=_CLIENT_SETTINGS)
    try:
        admin.command(f"CREATE DATABASE IF NOT EXISTS {quote_identifier(database)}")
    finally:
        admin.close()
    return clickhouse_connect.get_client(dsn=base, database=database, settings=_CLIENT_SETTINGS)


def migrate(client: Client, *, cluster: str = "") -> list[str]:
    """Apply pending migrations to the client's database; return the names applied.

    Applied versions are recorded in ``schema_migrations``. Every statement is written to
    be re-runnable (``IF NOT EXISTS``), so a run that stopped half-way, or two processes
    migrating at once, end in the same schema.

    ``cluster`` names the server's cluster (``<remote_servers>``): the database, the
    tables and ``schema_migrations`` itself are then created on every node, with
    replicated engines (see ``schemas.clickhouse.for_servers``). Empty: this server alone.
    """
    if cluster:
        database = quote_identifier(str(client.command("SELECT currentDatabase()")))
        client.command(for_servers(f"CREATE DATABASE IF NOT EXISTS {database}{{on_cluster}}", cluster))
    client.command(
        for_servers(
            "CREATE TABLE IF NOT EXISTS schema_migrations{on_cluster}"
            " (version UInt32, name String, applied_at DateTime64(3, 'UTC'))"
            " ENGINE = {replicated}MergeTree({keeper:schema_migrations}) ORDER BY version",
            cluster,
        )
    )
    done = {row[0] for row in client.query("SELECT DISTINCT version FROM schema_migrations").result_rows}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        for statement in statements(sql):
            client.command(for_servers(statement, cluster))
        row: list[Any] = [version, name, datetime.now(UTC)]
        client.insert("schema_migrations", [row], column_names=["version", "name", "applied_at"])
        applied.append(name)
    return applied

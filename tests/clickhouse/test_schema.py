from __future__ import annotations

import re
from pathlib import Path

import pytest

from api import contact_funnel
from api.analytics import funnel_sql
from api.analytics import sql as analytics_sql
from consumer import funnel, ingest
from schemas.clickhouse import CLICK_COLUMNS, TABLES, migrations, statements
from smartlinks.clickhouse import ClickHouseConfigError, Client, connect, migrate

pytestmark = pytest.mark.clickhouse


def live_columns(client: Client, table: str) -> dict[str, str]:
    result = client.query(
        "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {table:String}"
        " ORDER BY position",
        parameters={"table": table},
    )
    return {str(name): str(kind) for name, kind in result.result_rows}


def test_migrations_are_ordered_and_numbered() -> None:
    found = migrations()
    assert [version for version, _, _ in found] == list(range(1, len(found) + 1))
    assert all(statements(sql) for _, _, sql in found)


def test_migrations_apply_once_and_rerun_cleanly(clickhouse_database: tuple[str, str]) -> None:
    client = connect(*clickhouse_database)
    assert migrate(client) == [name for _, name, _ in migrations()]
    assert migrate(client) == []
    # A run that stopped half-way: the record is gone but the tables are there.
    client.command("TRUNCATE TABLE schema_migrations")
    assert migrate(client) == [name for _, name, _ in migrations()]
    versions = client.query("SELECT DISTINCT version FROM schema_migrations ORDER BY version").result_rows
    assert [version for (version,) in versions] == [version for version, _, _ in migrations()]
    client.close()


def test_live_tables_are_the_declared_tables(clickhouse: Client) -> None:
    tables = clickhouse.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine != 'MaterializedView'"
    ).result_rows
    assert {name for (name,) in tables} == set(TABLES)
    for table, columns in TABLES.items():
        assert live_columns(clickhouse, table) == columns, table


def test_the_sink_writes_every_column_of_its_tables(clickhouse: Client) -> None:
    assert ingest.WRITES["clicks"] == CLICK_COLUMNS
    for table, columns in ingest.WRITES.items():
        assert tuple(live_columns(clickhouse, table)) == columns, table


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        *sorted(analytics_sql.READS.items()),
        *sorted(funnel_sql.READS.items()),
        *sorted(ingest.READS.items()),
        *sorted(funnel.READS.items()),
        *sorted(contact_funnel.READS.items()),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_the_code_reads_existing_columns(clickhouse: Client, table: str, columns: set[str]) -> None:
    assert columns <= set(live_columns(clickhouse, table))


def test_every_materialized_view_targets_a_declared_table(clickhouse: Client) -> None:
    views = clickhouse.query(
        "SELECT name, create_table_query FROM system.tables"
        " WHERE database = currentDatabase() AND engine = 'MaterializedView'"
    ).result_rows
    targets = {re.search(r" TO \S+?\.(\w+)", query).group(1) for _, query in views}  # type: ignore[union-attr]
    assert targets == {
        "link_visitors",
        "clicks_hourly",
        "visitors_hourly",
        "country_visitors_hourly",
        "campaign_contacts_hourly",
        "visitors_quarter",
        "country_visitors_quarter",
        "campaign_daily_dims",
    }


def test_no_table_stores_an_ip_address() -> None:
    assert not [(t, c) for t, columns in TABLES.items() for c in columns if c == "ip" or c.endswith("_ip")]


def test_statements_split_on_semicolons_and_skip_comments() -> None:
    sql = "-- intro\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n-- between\n\nSELECT 1;\n-- end\n"
    assert statements(sql) == ["CREATE TABLE a (x UInt8) ENGINE = Memory", "SELECT 1"]


@pytest.mark.parametrize(
    ("url", "database"),
    [
        ("mysql://localhost/x", "analytics"),
        ("chdb://relative/path", "analytics"),
        ("chdb:///tmp/x", "bad-name"),
        ("chdb:///tmp/x", ""),
        ("http://localhost:8123/other", "analytics"),
    ],
)
def test_bad_configuration_fails_before_connecting(url: str, database: str) -> None:
    with pytest.raises(ClickHouseConfigError):
        connect(url, database)


def test_one_process_opens_one_chdb_path(clickhouse_url: str, tmp_path: Path) -> None:
    if not clickhouse_url.startswith("chdb://"):
        pytest.skip("runs against a ClickHouse server")
    with pytest.raises(ClickHouseConfigError, match="one data path"):
        connect(f"chdb://{tmp_path}", "analytics")


def test_clients_on_one_chdb_path_share_the_engine(clickhouse_database: tuple[str, str]) -> None:
    url, name = clickhouse_database
    first, second = connect(url, name), connect(url, name)
    first.command("CREATE TABLE shared (x UInt8) ENGINE = Memory")
    first.close()
    assert second.query(
        "SELECT count() FROM system.tables WHERE database = currentDatabase()"
    ).result_rows == [(1,)]
    second.close()

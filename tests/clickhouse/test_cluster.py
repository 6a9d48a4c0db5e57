"""Cluster deployments: the shipped migrations turned into ``ON CLUSTER`` DDL with
replicated engines by their placeholders (``for_servers``), and ``migrate(client, cluster=...)`` running them.

No ClickHouse cluster runs here (it needs several servers and Keeper); the output is
checked statement by statement, and parsed by ClickHouse's own parser (``formatQuery``
on chDB) so it is SQL the server accepts.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from schemas.clickhouse import for_servers, migrations, statements
from smartlinks.clickhouse import Client, migrate
from smartlinks.settings import Settings, SettingsError

CLUSTER = "smartlinks_prod"
ON_CLUSTER = f" ON CLUSTER '{CLUSTER}'"
ENGINE = re.compile(r"\bENGINE\s*=\s*(\w*MergeTree)\b", re.IGNORECASE)
DDL = re.compile(r"\s*(CREATE|ALTER|DROP)\b", re.IGNORECASE)

SHIPPED = [
    pytest.param(statement, id=f"{name}:{i}")
    for _, name, sql in migrations()
    for i, statement in enumerate(statements(sql))
]


def test_every_shipped_migration_has_statements_to_transform() -> None:
    assert len(SHIPPED) >= len(migrations())
    assert all(DDL.match(param.values[0]) for param in SHIPPED)


@pytest.mark.parametrize("statement", SHIPPED)
def test_every_create_and_alter_runs_on_the_cluster(statement: str) -> None:
    out = for_servers(statement, CLUSTER)
    assert out.count(ON_CLUSTER) == 1
    # Right after the object's name: before the column list, TO, AS or ENGINE (a DROP ends there).
    head = re.match(
        r"\s*(?:CREATE|ALTER|DROP)\b.*?" + re.escape(ON_CLUSTER) + r"(\s*[(\n]|\s+TO\s|\s+AS\s|$)", out, re.S
    )
    assert head is not None, out


@pytest.mark.parametrize("statement", SHIPPED)
def test_no_non_replicated_merge_tree_remains(statement: str) -> None:
    before = ENGINE.findall(for_servers(statement))
    after = ENGINE.findall(for_servers(statement, CLUSTER))
    assert after == [f"Replicated{engine}" for engine in before]


@pytest.mark.parametrize("statement", SHIPPED)
def test_replicas_share_one_keeper_path_per_table(statement: str) -> None:
    out = for_servers(statement, CLUSTER)
    for path in re.findall(r"Replicated\w*MergeTree\('([^']*)', '\{replica\}'", out):
        name = re.search(r"CREATE TABLE IF NOT EXISTS\s+(\w+)", statement)
        assert name is not None
        assert path == f"/clickhouse/tables/{{shard}}/{{database}}/{name.group(1)}"
    assert len(re.findall(r"Replicated\w*MergeTree\(", out)) == len(ENGINE.findall(for_servers(statement)))


def test_engine_arguments_follow_path_and_replica() -> None:
    links = next(sql for _, name, sql in migrations() if name.endswith("_links"))
    created = for_servers(statements(links)[0], CLUSTER)
    assert created.startswith(f"CREATE TABLE IF NOT EXISTS links{ON_CLUSTER}\n(")
    assert (
        "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/links', '{replica}',"
        " updated_at)\nORDER BY (tenant_id, link_id)"
    ) in created


def test_one_server_gets_no_trace_of_the_cluster() -> None:
    for param in SHIPPED:
        single = for_servers(param.values[0])
        assert "ON CLUSTER" not in single and "Replicated" not in single and "{" not in single, single


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "CREATE TABLE t{on_cluster} (a UInt8) ENGINE = {replicated}MergeTree({keeper:t}) ORDER BY a",
            "CREATE TABLE t ON CLUSTER 'c' (a UInt8) ENGINE = "
            "ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/t', '{replica}') ORDER BY a",
        ),
        (
            "CREATE TABLE s{on_cluster} (k UInt8, v UInt64)"
            " ENGINE = {replicated}SummingMergeTree({keeper:s,}(v)) ORDER BY k",
            "CREATE TABLE s ON CLUSTER 'c' (k UInt8, v UInt64) ENGINE = "
            "ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/{database}/s', '{replica}', (v))"
            " ORDER BY k",
        ),
        ("ALTER TABLE t{on_cluster} ADD COLUMN b String", "ALTER TABLE t ON CLUSTER 'c' ADD COLUMN b String"),
        ("INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)"),
    ],
)
def test_placeholders(statement: str, expected: str) -> None:
    assert for_servers(statement, "c") == expected


def test_the_cluster_name_is_quoted() -> None:
    assert for_servers("DROP TABLE t{on_cluster}", "it's\\") == "DROP TABLE t ON CLUSTER 'it\\'s\\\\'"


class RecordingClient:
    """Stands in for a client on one node of a cluster: records what migrate sends."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.inserted: list[tuple[str, list[list[Any]]]] = []

    def command(self, sql: str) -> Any:
        self.commands.append(sql)
        return "smartlinks" if sql == "SELECT currentDatabase()" else None

    def query(self, sql: str) -> Any:
        assert sql == "SELECT DISTINCT version FROM schema_migrations"
        return type("Result", (), {"result_rows": []})()

    def insert(self, table: str, rows: list[list[Any]], column_names: list[str]) -> None:
        self.inserted.append((table, rows))


def test_migrate_on_a_cluster_creates_everything_on_every_node() -> None:
    client = RecordingClient()
    applied = migrate(client, cluster=CLUSTER)  # type: ignore[arg-type]
    assert applied == [name for _, name, _ in migrations()]
    ddl = [sql for sql in client.commands if sql != "SELECT currentDatabase()"]
    assert ddl[0] == f"CREATE DATABASE IF NOT EXISTS `smartlinks`{ON_CLUSTER}"
    assert ddl[1].startswith(f"CREATE TABLE IF NOT EXISTS schema_migrations{ON_CLUSTER} (")
    assert "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/schema_migrations'" in ddl[1]
    shipped = [statement for _, _, sql in migrations() for statement in statements(sql)]
    assert ddl[2:] == [for_servers(statement, CLUSTER) for statement in shipped]
    assert [table for table, _ in client.inserted] == ["schema_migrations"] * len(applied)


def test_migrate_without_a_cluster_sends_the_sql_as_shipped() -> None:
    client = RecordingClient()
    migrate(client)  # type: ignore[arg-type]
    assert not any("ON CLUSTER" in sql or "Replicated" in sql for sql in client.commands)
    shipped = [statement for _, _, sql in migrations() for statement in statements(sql)]
    assert client.commands[1:] == [for_servers(statement) for statement in shipped]


@pytest.mark.clickhouse
@pytest.mark.parametrize("statement", SHIPPED)
def test_clickhouse_parses_the_cluster_ddl(clickhouse: Client, statement: str) -> None:
    """ClickHouse's own parser accepts the output (formatQuery parses, never executes)."""
    formatted = clickhouse.command(
        "SELECT formatQuery({sql:String})", parameters={"sql": for_servers(statement, CLUSTER)}
    )
    assert isinstance(formatted, str)
    assert ON_CLUSTER.replace("'", "") in formatted.replace("'", "")
    assert not re.search(r"ENGINE = (?!Replicated)\w*MergeTree", formatted)


@pytest.mark.clickhouse
def test_format_query_refuses_broken_ddl(clickhouse: Client) -> None:
    """The check above means something: a syntax error does not get through formatQuery."""
    broken = "CREATE TABLE t ON CLUSTER 'c' (a UInt8) ENGINE = ReplicatedMergeTree('/p', ORDER BY a"
    with pytest.raises(DatabaseError, match="SYNTAX_ERROR"):
        clickhouse.command("SELECT formatQuery({sql:String})", parameters={"sql": broken})


def test_the_cluster_setting() -> None:
    assert Settings.from_env({}).clickhouse_cluster == ""
    server = {"SMARTLINKS_CLICKHOUSE_URL": "http://default:@ch1:8123"}
    settings = Settings.from_env({**server, "SMARTLINKS_CLICKHOUSE_CLUSTER": " prod-eu.1 "})
    assert settings.clickhouse_cluster == "prod-eu.1"
    with pytest.raises(SettingsError, match="SMARTLINKS_CLICKHOUSE_CLUSTER"):
        Settings.from_env({**server, "SMARTLINKS_CLICKHOUSE_CLUSTER": "prod'; DROP"})
    # chDB is a single process: a cluster without a server is a configuration error.
    with pytest.raises(SettingsError, match="SMARTLINKS_CLICKHOUSE_CLUSTER needs a server"):
        Settings.from_env({"SMARTLINKS_CLICKHOUSE_CLUSTER": "prod"})

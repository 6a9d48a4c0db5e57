"""The ClickHouse contract: the ordered DDL migrations beside this file, and the columns
the code writes and reads, written down once.

``TABLES`` is what the migrations must produce; a test applies them and compares
``system.columns`` with it, so the DDL, the sink and the queries cannot drift apart.
"""

from __future__ import annotations

from importlib import resources

# table -> column -> type, exactly as ClickHouse reports it in system.columns.
TABLES: dict[str, dict[str, str]] = {
    "clicks": {
        "event_id": "UUID",
        "ts": "DateTime64(3, 'UTC')",
        "tenant_id": "LowCardinality(String)",
        "link_id": "String",
        "code": "String",
        "campaign": "LowCardinality(String)",
        "contact_id": "String",
        "method": "LowCardinality(String)",
        "kind": "Enum8('unique' = 1, 'repeat' = 2, 'bot' = 3)",
        "is_bot": "Bool",
        "bot_kind": "LowCardinality(String)",
        "bot_reason": "LowCardinality(String)",
        "country": "FixedString(2)",
        "region": "LowCardinality(String)",
        "city": "LowCardinality(String)",
        "latitude": "Nullable(Float32)",
        "longitude": "Nullable(Float32)",
        "device": "LowCardinality(String)",
        "browser": "LowCardinality(String)",
        "browser_version": "LowCardinality(String)",
        "os": "LowCardinality(String)",
        "os_version": "LowCardinality(String)",
        "referrer_host": "LowCardinality(String)",
        "visitor_id": "String",
        "visitor_prev_ts": "DateTime64(3, 'UTC')",
        "visitor_prev_country_ts": "DateTime64(3, 'UTC')",
        "variant": "LowCardinality(String)",
    },
    "link_visitors": {
        "tenant_id": "LowCardinality(String)",
        "link_id": "String",
        "visitor_id": "String",
        "country": "FixedString(2)",
        "first_ts": "SimpleAggregateFunction(min, DateTime64(3, 'UTC'))",
        "last_ts": "SimpleAggregateFunction(max, DateTime64(3, 'UTC'))",
        "clicks": "SimpleAggregateFunction(sum, UInt64)",
    },
    "clicks_hourly": {
        "tenant_id": "LowCardinality(String)",
        "link_id": "String",
        "hour": "DateTime('UTC')",
        "clicks": "SimpleAggregateFunction(sum, UInt64)",
        "bots": "SimpleAggregateFunction(sum, UInt64)",
    },
    "visitors_hourly": {
        "tenant_id": "LowCardinality(String)",
        "link_id": "String",
        "hour": "DateTime('UTC')",
        "prev_hour": "DateTime('UTC')",
        "visits": "SimpleAggregateFunction(sum, UInt64)",
    },
    "country_visitors_hourly": {
        "tenant_id": "LowCardinality(String)",
        "link_id": "String",
        "recent": "Bool",
        "hour": "DateTime('UTC')",
        "country": "FixedString(2)",
        "prev_hour": "DateTime('UTC')",
        "visits": "SimpleAggregateFunction(sum, UInt64)",
    },
    "visitors_quarter": {
        "tenant_id": "LowCardinality(String)",
        "campaign": "LowCardinality(String)",
        "link_id": "String",
        "quarter": "DateTime('UTC')",
        "prev_quarter": "DateTime('UTC')",
        "visits": "SimpleAggregateFunction(sum, UInt64)",
        "bots": "SimpleAggregateFunction(sum, UInt64)",
    },
    "country_visitors_quarter": {
        "tenant_id": "LowCardinality(String)",
        "campaign": "LowCardinality(String)",
        "link_id": "String",
        "recent": "Bool",
        "quarter": "DateTime('UTC')",
        "country": "FixedString(2)",
        "prev_quarter": "DateTime('UTC')",
        "visits": "SimpleAggregateFunction(sum, UInt64)",
    },
    "campaign_daily_dims": {
        "tenant_id": "LowCardinality(String)",
        "campaign": "LowCardinality(String)",
        "link_id": "String",
        "day": "Date",
        "dimension": "LowCardinality(String)",
        "country": "FixedString(2)",
        "value": "LowCardinality(String)",
        "clicks": "SimpleAggregateFunction(sum, UInt64)",
        "bots": "SimpleAggregateFunction(sum, UInt64)",
    },
    "deliveries": {
        "tenant_id": "LowCardinality(String)",
        "campaign": "LowCardinality(String)",
        "ts": "DateTime64(3, 'UTC')",
        "id": "String",
        "contact_id": "String",
        "message_id": "String",
        "received_at": "DateTime64(3, 'UTC')",
        "contact_key": "UInt64",
    },
    "conversions": {
        "tenant_id": "LowCardinality(String)",
        "campaign": "LowCardinality(String)",
        "ts": "DateTime64(3, 'UTC')",
        "id": "String",
        "name": "LowCardinality(String)",
        "contact_id": "String",
        "link_id": "String",
        "click_id": "String",
        "click_ts": "DateTime64(3, 'UTC')",
        "attribution": "Enum8('click_id' = 1, 'last_click' = 2, 'sent' = 3)",
        "value": "Decimal(18, 4)",
        "currency": "LowCardinality(String)",
        "country": "FixedString(2)",
        "device": "LowCardinality(String)",
        "browser": "LowCardinality(String)",
        "os": "LowCardinality(String)",
        "received_at": "DateTime64(3, 'UTC')",
        "contact_key": "UInt64",
    },
    "campaign_contacts_hourly": {
        "tenant_id": "LowCardinality(String)",
        "campaign": "LowCardinality(String)",
        "hour": "DateTime('UTC')",
        "contact_id": "String",
        "link_id": "String",
        "first_ts": "SimpleAggregateFunction(min, DateTime64(3, 'UTC'))",
        "clicks": "SimpleAggregateFunction(sum, UInt64)",
        "contact_key": "UInt64",
    },
    "links": {
        "tenant_id": "LowCardinality(String)",
        "link_id": "String",
        "code": "String",
        "destination_url": "String",
        "title": "String",
        "campaign": "LowCardinality(String)",
        "contact_id": "String",
        "expires_at": "Nullable(DateTime64(3, 'UTC'))",
        "created_at": "DateTime64(3, 'UTC')",
        "updated_at": "DateTime64(3, 'UTC')",
        "deleted": "UInt8",
    },
    "deleted_links": {
        "tenant_id": "LowCardinality(String)",
        "link_id": "String",
        "deleted_at": "DateTime64(3, 'UTC')",
    },
    "dead_letters": {
        "received_at": "DateTime64(3, 'UTC')",
        "reason": "LowCardinality(String)",
        "detail": "String",
        "payload": "String",
    },
    "inserted_clicks": {
        "event_id": "UUID",
        "inserted_at": "DateTime('UTC')",
    },
    "schema_migrations": {
        "version": "UInt32",
        "name": "String",
        "applied_at": "DateTime64(3, 'UTC')",
    },
}

# Columns ClickHouse computes on insert (MATERIALIZED): never in an insert's column list.
COMPUTED: frozenset[str] = frozenset({"contact_key"})


def written(table: str) -> tuple[str, ...]:
    """The columns an insert into ``table`` names, in table order."""
    return tuple(name for name in TABLES[table] if name not in COMPUTED)


CLICK_COLUMNS: tuple[str, ...] = tuple(TABLES["clicks"])
LINK_COLUMNS: tuple[str, ...] = tuple(TABLES["links"])
DEAD_LETTER_COLUMNS: tuple[str, ...] = tuple(TABLES["dead_letters"])
DELIVERY_COLUMNS: tuple[str, ...] = written("deliveries")
CONVERSION_COLUMNS: tuple[str, ...] = written("conversions")

# Tables holding a link's clicks or figures derived from them: what deleting a link empties.
CLICK_DATA_TABLES: tuple[str, ...] = (
    "clicks",
    "link_visitors",
    "clicks_hourly",
    "visitors_hourly",
    "country_visitors_hourly",
    "campaign_contacts_hourly",
    "visitors_quarter",
    "country_visitors_quarter",
    "campaign_daily_dims",
)


def migrations() -> list[tuple[int, str, str]]:
    """The ordered (version, name, sql) ClickHouse migrations shipped in the package."""
    found = []
    for entry in resources.files(__package__).iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name.removesuffix(".sql"), entry.read_text()))
    return sorted(found)


def for_servers(statement: str, cluster: str = "") -> str:
    """A migration statement for one server (``cluster`` empty) or for every node of
    ``cluster`` (a name from the server's ``<remote_servers>``).

    The migrations mark where the two differ, so the SQL is never rewritten by parsing it:

    - ``{on_cluster}`` after an object's name: ``ON CLUSTER 'name'`` on a cluster, else nothing;
    - ``{replicated}`` before a MergeTree-family engine: ``Replicated`` on a cluster;
    - ``{keeper:TABLE}`` as an engine's first arguments (``{keeper:TABLE,}`` when more
      follow): on a cluster the table's Keeper path, shared by the replicas of a shard,
      and the replica's name, from the server's ``{shard}`` and ``{replica}`` macros
      (``{database}`` is filled in by the server); else nothing.
    """
    on_cluster = f" ON CLUSTER {quote_string(cluster)}" if cluster else ""
    return statement.format(
        on_cluster=on_cluster, replicated="Replicated" if cluster else "", keeper=_Keeper(bool(cluster))
    )


class _Keeper:
    """``{keeper:TABLE}``: formats to a table's replication arguments, on a cluster."""

    def __init__(self, cluster: bool) -> None:
        self.cluster = cluster

    def __format__(self, spec: str) -> str:
        table = spec.removesuffix(",")
        if not self.cluster:
            return ""
        more = ", " if spec.endswith(",") else ""
        return f"'/clickhouse/tables/{{shard}}/{{database}}/{table}', '{{replica}}'{more}"


def quote_string(value: str) -> str:
    """``value`` as a ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def statements(sql: str) -> list[str]:
    """Split a migration into statements: each ends with ';' at the end of a line.

    Comment-only chunks are dropped, so files can carry prose between statements."""
    out = []
    for chunk in sql.split(";\n"):
        body = "\n".join(line for line in chunk.splitlines() if not line.lstrip().startswith("--"))
        if body.strip():
            out.append(body.strip().removesuffix(";"))
    return out

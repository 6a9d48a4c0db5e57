"""A batch's keys on the ClickHouse server, for the batch steps to join against.

The de-duplication, the deleted-links check and the visit classification each ask
ClickHouse about every event of a batch. The batch's keys go to the server once, by the
fast columnar insert path, into a temporary table the three queries join against: a large
IN list in the SQL text costs far more (tens of ms per 10,000 ids for chDB to parse).

The table is session-scoped, so every step of one batch uses the same client, which no
other user shares.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from consumer.enrich.row import ClickRow
from consumer.sink import wire_types
from schemas.events import ClickEvent
from smartlinks.clickhouse import Client

TABLE = "sink_batch"
_TYPES = {
    "event_id": "UUID",
    "tenant_id": "String",
    "link_id": "String",
    "ts": "DateTime64(3, 'UTC')",
    "visitor_id": "String",
    "country": "FixedString(2)",
    "is_bot": "Bool",
}
_COLUMNS = tuple(_TYPES)
_WIRE_TYPES = dict(zip(_TYPES, wire_types(list(_TYPES.values())), strict=True))
_CREATE = (
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {TABLE}"
    f" ({', '.join(f'{name} {kind}' for name, kind in _TYPES.items())}) ENGINE = Memory"
)
# The staged events already in ``clicks``, found through its key (tenant, link, ts).
STORED = (
    f"(tenant_id, link_id) IN (SELECT tenant_id, link_id FROM {TABLE})"
    f" AND ts >= (SELECT min(ts) FROM {TABLE}) AND ts <= (SELECT max(ts) FROM {TABLE})"
    f" AND event_id IN (SELECT event_id FROM {TABLE})"
)


def stage(client: Client, rows: Sequence[ClickRow]) -> None:
    """Make ``rows`` the staged batch of ``client``'s session (replacing the last one)."""
    columns: list[list[Any]] = [
        [row.event_id for row in rows],
        [row.tenant_id for row in rows],
        [row.link_id for row in rows],
        [row.ts for row in rows],
        [row.visitor_id for row in rows],
        [row.country for row in rows],
        [row.is_bot for row in rows],
    ]
    _stage(client, columns, _COLUMNS)


def stage_events(client: Client, events: Sequence[ClickEvent]) -> None:
    """Stage events not enriched yet: their keys only, enough to find which are stored or
    of deleted links (the visitor columns stay empty: no visit classification on these)."""
    columns: list[list[Any]] = [
        [event.event_id.lower() for event in events],  # as the enricher stores it
        [event.tenant_id for event in events],
        [event.link_id for event in events],
        [event.ts for event in events],
    ]
    _stage(client, columns, _COLUMNS[:4])


def stage_ids(client: Client, event_ids: Collection[str]) -> None:
    """Stage event ids alone (lowercase): enough to ask which are recorded as inserted
    (consumer/dedup.py's ``all_finished``), at a quarter of ``stage_events``' upload."""
    _stage(client, [list(event_ids)], _COLUMNS[:1])


def _stage(client: Client, columns: list[list[Any]], names: Sequence[str]) -> None:
    client.command(_CREATE)
    client.command(f"TRUNCATE TABLE {TABLE}")
    client.insert(
        TABLE, columns, names, column_oriented=True, column_type_names=[_WIRE_TYPES[name] for name in names]
    )

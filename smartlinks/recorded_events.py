"""Which funnel events (deliveries, conversions) ClickHouse already holds, by the sender's
id: the API answers a resent id as a duplicate, and the consumer never inserts one twice."""

from __future__ import annotations

from collections.abc import Iterable

from smartlinks.clickhouse import Client
from smartlinks.query_parameters import parameter_batches, string_chars

FUNNEL_TABLES = ("deliveries", "conversions")


def recorded_ids(client: Client, tenant_id: str, ids: Iterable[str]) -> set[str]:
    """The ids among ``ids`` that the tenant's deliveries or conversions hold (one query
    per batch a server's parameter limit allows; the tables' bloom filters on ``id`` skip
    the granules without them)."""
    union = " UNION ALL ".join(
        f"SELECT id FROM {table} WHERE tenant_id = {{tenant:String}} AND id IN {{ids:Array(String)}}"
        for table in FUNNEL_TABLES
    )
    found: set[str] = set()
    for batch in parameter_batches(sorted(set(ids)), string_chars):
        rows = client.query(union, parameters={"tenant": tenant_id, "ids": batch}).result_rows
        found.update(row[0] for row in rows)
    return found

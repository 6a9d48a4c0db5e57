"""Which funnel events (deliveries, conversions) ClickHouse already holds, by the sender's
id: the API answers a resent id as a duplicate, and the consumer never inserts one twice."""

from __future__ import annotations

from collections.abc import Iterable

from smartlinks.clickhouse import Client

FUNNEL_TABLES = ("deliveries", "conversions")


def recorded_ids(client: Client, tenant_id: str, ids: Iterable[str]) -> set[str]:
    """The ids among ``ids`` that the tenant's deliveries or conversions hold (one query;
    the tables' bloom filters on ``id`` skip the granules without them)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    union = " UNION ALL ".join(
        f"SELECT id FROM {table} WHERE tenant_id = {{tenant:String}} AND id IN {{ids:Array(String)}}"
        for table in FUNNEL_TABLES
    )
    rows = client.query(union, parameters={"tenant": tenant_id, "ids": wanted}).result_rows
    return {row[0] for row in rows}

"""A consumer cut off mid-insert, made for real, and the figures that must then agree.

Materialized views are detached while a batch goes in (its rows reach ``clicks`` and the
attached views only), then attached again: what a consumer killed between the raw insert
and a view's leaves behind.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from api.analytics import AnalyticsQueries
from api.analytics.query import LinkFigures
from consumer.enrich.row import ClickRow
from consumer.ingest import ClickIngest
from consumer.reconcile import Period, Reconciler
from schemas.clickhouse import CLICK_DATA_TABLES
from smartlinks.clickhouse import Client
from tests.clickhouse.truth import LINK, OTHER_LINK, TENANT, batches, comparable, expected

# Every view on clicks, the visitors' history first; and a range holding every generated click.
ROLLUP_VIEWS = (
    "link_visitors_mv",
    "clicks_hourly_mv",
    "visitors_hourly_mv",
    "country_visitors_hourly_mv",
    "visitors_quarter_mv",
    "country_visitors_quarter_mv",
    "campaign_daily_dims_mv",
)
RANGE = (datetime(2025, 2, 1, tzinfo=UTC), datetime(2025, 11, 1, tzinfo=UTC))


@contextmanager
def views_detached(client: Client, views: Sequence[str]) -> Iterator[None]:
    for view in views:
        client.command(f"DETACH TABLE {view}")
    try:
        yield
    finally:
        for view in views:
            client.command(f"ATTACH TABLE {view}")


def split(rows: list[ClickRow]) -> tuple[list[ClickRow], list[ClickRow], list[ClickRow]]:
    """Clicks stored before the crash, the batch the crash cut off, and the clicks after."""
    a, b = len(rows) * 6 // 10, len(rows) * 8 // 10
    return rows[:a], rows[a:b], rows[b:]


def deliver(sink: ClickIngest, rows: list[ClickRow], size: int = 500) -> int:
    return sum(sink.insert(batch) for batch in batches(rows, size))


def raw_figures(client: Client, link: str) -> LinkFigures:
    clicks, bots, unique = client.query(
        "SELECT count(), countIf(is_bot), uniqExactIf(visitor_id, NOT is_bot) FROM clicks"
        " WHERE tenant_id = {tenant:String} AND link_id = {link:String}",
        parameters={"tenant": TENANT, "link": link},
    ).result_rows[0]
    return LinkFigures(clicks, bots, unique)


def truth_figures(rows: list[ClickRow], link: str) -> LinkFigures:
    mine = [row for row in rows if row.link_id == link]
    humans = {row.visitor_id for row in mine if not row.is_bot}
    return LinkFigures(len(mine), sum(row.is_bot for row in mine), len(humans))


def assert_figures_agree(client: Client, rows: list[ClickRow]) -> None:
    """Every figure the API reads (rollups) is the raw clicks' and the truth's."""
    queries, raw = AnalyticsQueries(client), AnalyticsQueries(client, use_rollups=False)
    for interval in ("hour", "day"):
        from_rollups = queries.link_analytics(TENANT, LINK, *RANGE, interval=interval)
        from_clicks = raw.link_analytics(TENANT, LINK, *RANGE, interval=interval)
        assert from_rollups == from_clicks
        assert comparable(from_rollups) == expected(rows, *RANGE, interval, "UTC", False)
    figures = {link: truth_figures(rows, link) for link in (LINK, OTHER_LINK)}
    assert raw_figures(client, LINK) == figures[LINK]
    # The link's lifetime clicks (link pages) and the campaign list's totals.
    assert queries.lifetime_clicks(TENANT, [LINK, OTHER_LINK]) == {
        link: figure.clicks for link, figure in figures.items()
    }
    mine, other = figures[LINK], figures[OTHER_LINK]
    campaign = LinkFigures(mine.clicks + other.clicks, mine.bots + other.bots, mine.unique + other.unique)
    assert queries.lifetime_by_group(TENANT, [[LINK, OTHER_LINK]]) == [campaign]
    assert queries.lifetime_by_group(TENANT, [[LINK], [OTHER_LINK]]) == [mine, other]
    assert queries.per_link(TENANT, [LINK, OTHER_LINK], *RANGE) == figures
    assert Reconciler(client).differences(Period()) == []


def snapshot(client: Client) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the click data as the tables mean it (rollups merged by key)."""
    out = {}
    for table in CLICK_DATA_TABLES:
        final = "" if table == "clicks" else " FINAL"
        out[table] = [
            tuple(row) for row in client.query(f"SELECT * FROM {table}{final} ORDER BY ALL").result_rows
        ]
    return out


def crash(client: Client, rows: list[ClickRow], views: Sequence[str]) -> None:
    """One insert of ``rows`` that ``views`` missed; checks the damage is real. (One insert:
    with link_visitors_mv detached, a second one would be classified without the first.)"""
    with views_detached(client, views):
        assert ClickIngest(client).insert([replace(row) for row in rows]) == len(rows)
    # A consumer killed mid-insert never got to record the insert as finished.
    client.command(
        "DELETE FROM inserted_clicks WHERE replaceAll(toString(event_id), '-', '') IN {ids:Array(String)}",
        parameters={"ids": [row.event_id for row in rows]},
    )
    assert Reconciler(client).differences(Period())

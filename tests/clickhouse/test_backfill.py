"""The rollups of 0011 are filled from the clicks stored before them, once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from api.analytics import AnalyticsQueries
from consumer.ingest import ClickIngest
from schemas.clickhouse import for_servers, migrations, statements
from smartlinks.clickhouse import Client, connect, migrate
from tests.clickhouse import truth

pytestmark = pytest.mark.clickhouse

FILLED = 11  # 0011_campaign_quarters: fills itself from the clicks stored before it
NEW_TABLES = ("visitors_quarter", "country_visitors_quarter", "campaign_daily_dims")


def apply(client: Client, versions: range | list[int]) -> None:
    for version, _, sql in migrations():
        if version in versions:
            for statement in statements(sql):
                client.command(for_servers(statement))


def test_new_rollups_are_filled_from_stored_clicks_once(clickhouse_database: tuple[str, str]) -> None:
    client = connect(*clickhouse_database)
    # Every other migration first: the sink writes the columns later ones add (0012's variant).
    apply(client, [version for version, _, _ in migrations() if version != FILLED])
    # LINK in a campaign, OTHER_LINK in none: the breakdowns hold both.
    rows = [replace(row, campaign="spring" if row.link_id == truth.LINK else "") for row in truth.generate()]
    before, after = rows[: len(rows) // 2], rows[len(rows) // 2 :]
    ClickIngest(client).insert(before)
    migrate(client)  # records every version, applying 0011 on
    apply(client, range(FILLED, FILLED + 1))  # a rerun, as after a migration that stopped half-way
    ClickIngest(client).insert(after)  # the views take over

    stored = client.query("SELECT sum(visits) + sum(bots) FROM visitors_quarter").result_rows[0][0]
    assert stored == len(rows)
    dims = client.query(
        "SELECT sum(clicks) FROM campaign_daily_dims WHERE dimension = 'country'"
    ).result_rows[0][0]
    assert dims == len(rows)
    tables = {row[0] for row in client.query("SHOW TABLES").result_rows}
    assert "clicks_daily_dims" not in tables  # replaced by campaign_daily_dims
    zone = "Asia/Kolkata"
    start, end = datetime(2025, 3, 2, tzinfo=ZoneInfo(zone)), datetime(2025, 3, 20, tzinfo=ZoneInfo(zone))
    queries, raw = AnalyticsQueries(client), AnalyticsQueries(client, use_rollups=False)
    links = [truth.LINK]
    for interval in ("hour", "day"):
        for link in (truth.LINK, truth.OTHER_LINK):
            result = queries.link_analytics(truth.TENANT, link, start, end, interval, zone)
            assert truth.comparable(result) == truth.expected(rows, start, end, interval, zone, False, link)
        campaign = queries.campaign_analytics(truth.TENANT, "spring", links, start, end, interval, zone)
        assert campaign == (
            raw.analytics(truth.TENANT, links, start, end, interval, zone),
            raw.per_link(truth.TENANT, links, start, end),
        )
    client.close()

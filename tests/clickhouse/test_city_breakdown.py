"""The city breakdown groups a city's districts under the city, per country: clicks stored
before the consumer cut DB-IP's districts off ("Amsterdam (Westpoort)") count with the
plain name, from the rollup and from raw clicks alike, and Paris FR stays apart from
Paris US."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.analytics import AnalyticsQueries
from api.export_clicks import HEADER, click_pages
from consumer.ingest import ClickIngest
from smartlinks.city_names import city_of
from smartlinks.clickhouse import Client
from tests.clickhouse import truth

pytestmark = pytest.mark.clickhouse

STORED = [
    ("NL", "Amsterdam (Nieuwmarkt en Lastage)"),
    ("NL", "Amsterdam (Amsterdam-Centrum)"),
    ("NL", "Amsterdam (Amsterdam-Centrum)"),
    ("NL", "Amsterdam"),  # as the consumer stores it now
    ("FR", "Paris (Quartier des Halles)"),
    ("US", "Paris"),
    ("DE", "Frankfurt (Oder) (Güldendorf)"),
]


@pytest.mark.parametrize("use_rollups", [True, False], ids=["rollups", "raw"])
def test_districts_group_under_their_city(clickhouse: Client, use_rollups: bool) -> None:
    base = truth.ms(datetime(2025, 6, 1, 12, tzinfo=UTC))
    ClickIngest(clickhouse).insert(
        [
            truth.click(base + n, f"v{n}", country=country, city=city)
            for n, (country, city) in enumerate(STORED)
        ]
    )
    day = (datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 6, 2, tzinfo=UTC))
    result = AnalyticsQueries(clickhouse, use_rollups=use_rollups).link_analytics(
        truth.TENANT, truth.LINK, *day
    )
    assert result["cities"] == [
        {"country": "NL", "city": "Amsterdam", "clicks": 4},
        {"country": "DE", "city": "Frankfurt", "clicks": 1},
        {"country": "FR", "city": "Paris", "clicks": 1},
        {"country": "US", "city": "Paris", "clicks": 1},
    ]


def test_click_log_and_export_name_the_city_as_the_breakdown_does(clickhouse: Client) -> None:
    base = truth.ms(datetime(2025, 6, 1, 12, tzinfo=UTC))
    ClickIngest(clickhouse).insert(
        [
            truth.click(base + n, f"v{n}", country=country, city=city)
            for n, (country, city) in enumerate(STORED)
        ]
    )
    items, _ = AnalyticsQueries(clickhouse).click_log(truth.TENANT, truth.LINK, limit=20)
    assert sorted(item["city"] for item in items) == sorted(city_of(city) for _, city in STORED)
    day = (datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 6, 2, tzinfo=UTC))
    exported = [
        row for page in click_pages(clickhouse, truth.TENANT, [truth.LINK], *day, False) for row in page
    ]
    city = HEADER.index("city")
    assert sorted(row[city] for row in exported) == sorted(city_of(city) for _, city in STORED)
    assert "Amsterdam (Amsterdam-Centrum)" not in {row[city] for row in exported}

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from api.analytics import AnalyticsQueries, RangeError
from api.analytics.buckets import make_buckets
from consumer.enrich.row import ClickRow
from consumer.ingest import ClickIngest
from smartlinks.clickhouse import Client, connect, migrate
from tests.clickhouse import truth
from tests.clickhouse.databases import new_database
from tests.clickhouse.truth import local

pytestmark = pytest.mark.clickhouse


# (tz, interval, start, end): rollup-friendly ranges, ones that need raw edges, and ones
# only the raw table can answer (half-hour zone, a range starting mid-hour).
CASES = [
    ("UTC", "day", local("UTC", 2025, 3, 1), local("UTC", 2025, 3, 31)),
    (
        "America/Sao_Paulo",
        "day",
        local("America/Sao_Paulo", 2025, 3, 2),
        local("America/Sao_Paulo", 2025, 4, 1),
    ),
    ("Asia/Kolkata", "day", local("Asia/Kolkata", 2025, 3, 2), local("Asia/Kolkata", 2025, 4, 1)),
    ("Asia/Kolkata", "hour", local("Asia/Kolkata", 2025, 3, 20), local("Asia/Kolkata", 2025, 3, 23)),
    ("Europe/Berlin", "hour", local("Europe/Berlin", 2025, 3, 29), local("Europe/Berlin", 2025, 4, 1)),
    ("Europe/Berlin", "day", local("Europe/Berlin", 2025, 3, 1), local("Europe/Berlin", 2025, 4, 5)),
    ("Europe/Berlin", "hour", local("Europe/Berlin", 2025, 10, 25), local("Europe/Berlin", 2025, 10, 28)),
    ("Europe/Berlin", "week", local("Europe/Berlin", 2025, 2, 17), local("Europe/Berlin", 2025, 4, 14)),
    ("UTC", "month", local("UTC", 2025, 1, 1), local("UTC", 2025, 11, 1)),
    (
        "America/Sao_Paulo",
        "month",
        local("America/Sao_Paulo", 2025, 2, 1),
        local("America/Sao_Paulo", 2025, 5, 1),
    ),
    ("UTC", "hour", datetime(2025, 3, 5, 10, 17, 5, tzinfo=UTC), datetime(2025, 3, 8, 3, 0, 59, tzinfo=UTC)),
    # 45-minute offset: bucket boundaries at :15 UTC.
    ("Asia/Kathmandu", "day", local("Asia/Kathmandu", 2025, 3, 2), local("Asia/Kathmandu", 2025, 4, 1)),
    ("Asia/Kathmandu", "hour", local("Asia/Kathmandu", 2025, 3, 20), local("Asia/Kathmandu", 2025, 3, 23)),
    ("Asia/Kolkata", "week", local("Asia/Kolkata", 2025, 2, 17), local("Asia/Kolkata", 2025, 4, 14)),
    # Quarter hours of UTC, not hours: a range from 10:15 to 03:45 by hour.
    ("UTC", "hour", datetime(2025, 3, 5, 10, 15, tzinfo=UTC), datetime(2025, 3, 8, 3, 45, tzinfo=UTC)),
]


@pytest.mark.parametrize(("tz", "interval", "start", "end"), CASES)
@pytest.mark.parametrize("exclude_bots", [False, True])
@pytest.mark.parametrize("use_rollups", [True, False], ids=["rollups", "raw"])
def test_analytics_match_the_ground_truth(
    loaded: Client,
    rows: list[ClickRow],
    tz: str,
    interval: str,
    start: datetime,
    end: datetime,
    exclude_bots: bool,
    use_rollups: bool,
) -> None:
    queries = AnalyticsQueries(loaded, use_rollups=use_rollups)
    result = queries.link_analytics(truth.TENANT, truth.LINK, start, end, interval, tz, exclude_bots)
    assert truth.comparable(result) == truth.expected(rows, start, end, interval, tz, exclude_bots)
    # Every bucket is present, in order, zeros included.
    assert [item["t"] for item in result["timeseries"]] == make_buckets(start, end, interval, tz).labels()
    assert result["totals"]["unique"] <= result["totals"]["total"] - result["totals"]["bots"] * (
        not exclude_bots
    )


def test_every_bucket_is_present_in_a_quiet_week(loaded: Client) -> None:
    start, end = datetime(2025, 3, 8, tzinfo=UTC), datetime(2025, 3, 20, tzinfo=UTC)
    result = AnalyticsQueries(loaded).link_analytics(truth.TENANT, truth.LINK, start, end, "day", "UTC")
    days = [(start + timedelta(days=n)).isoformat().replace("+00:00", "Z") for n in range(12)]
    assert [item["t"] for item in result["timeseries"]] == days
    quiet = [item for item in result["timeseries"] if "2025-03-10" <= item["t"] < "2025-03-17"]
    assert len(quiet) == 7
    assert all(item == {"t": item["t"], "total": 0, "unique": 0, "bots": 0} for item in quiet)


@pytest.mark.parametrize(("day", "hours"), [((2025, 3, 30), 23), ((2025, 10, 26), 25), ((2025, 3, 29), 24)])
def test_a_dst_day_in_berlin_has_its_real_length(
    loaded: Client, day: tuple[int, int, int], hours: int
) -> None:
    start = local("Europe/Berlin", *day)
    end = start.astimezone(UTC) + timedelta(hours=hours)
    queries = AnalyticsQueries(loaded)
    by_hour = queries.link_analytics(truth.TENANT, truth.LINK, start, end, "hour", "Europe/Berlin")
    assert len(by_hour["timeseries"]) == hours
    by_day = queries.link_analytics(truth.TENANT, truth.LINK, start, end, "day", "Europe/Berlin")
    assert [item["t"] for item in by_day["timeseries"]] == [start.isoformat()]
    assert by_day["totals"]["total"] == sum(item["total"] for item in by_hour["timeseries"])


def test_hourly_rollups_serve_whole_hour_zones_quarter_rollups_the_rest_and_raw_the_others() -> None:
    berlin = make_buckets(
        local("Europe/Berlin", 2025, 3, 1), local("Europe/Berlin", 2025, 4, 1), "day", "Europe/Berlin"
    )
    kolkata = make_buckets(
        local("Asia/Kolkata", 2025, 3, 1), local("Asia/Kolkata", 2025, 4, 1), "day", "Asia/Kolkata"
    )
    kolkata_utc_days = make_buckets(
        datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC), "day", "Asia/Kolkata"
    )
    kathmandu = make_buckets(
        local("Asia/Kathmandu", 2025, 3, 1), local("Asia/Kathmandu", 2025, 3, 3), "hour", "Asia/Kathmandu"
    )
    mid_quarter = make_buckets(
        datetime(2025, 3, 1, 0, 10, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC), "day", "UTC"
    )
    assert berlin.hour_aligned
    assert not kolkata.hour_aligned
    assert not kolkata_utc_days.hour_aligned  # the bucket boundary at 18:30 UTC splits an hour
    assert kolkata.quarter_aligned and kolkata_utc_days.quarter_aligned
    assert kathmandu.quarter_aligned and not kathmandu.hour_aligned  # +05:45
    assert not mid_quarter.quarter_aligned


def test_an_empty_link_has_all_zero_buckets(clickhouse: Client) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    result = AnalyticsQueries(clickhouse).link_analytics(
        truth.TENANT, "nothing", start, start + timedelta(days=3)
    )
    assert result["totals"] == {"total": 0, "unique": 0, "bots": 0}
    assert [item["total"] for item in result["timeseries"]] == [0, 0, 0]
    assert all(
        result[key] == []
        for key in ("countries", "cities", "locations", "browsers", "platforms", "os", "referrers")
    )


@pytest.mark.parametrize(
    ("interval", "tz", "days"),
    [("fortnight", "UTC", 1), ("day", "Mars/Olympus", 1), ("day", "UTC", -1), ("hour", "UTC", 3650)],
)
def test_bad_ranges_are_refused(clickhouse: Client, interval: str, tz: str, days: int) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(RangeError):
        AnalyticsQueries(clickhouse).link_analytics(
            truth.TENANT, truth.LINK, start, start + timedelta(days=days), interval, tz
        )


def test_lifetime_clicks_count_everything_per_link(loaded: Client, rows: list[ClickRow]) -> None:
    lifetime = AnalyticsQueries(loaded).lifetime_clicks(
        truth.TENANT, [truth.LINK, truth.OTHER_LINK, "unknown"]
    )
    assert lifetime == {
        truth.LINK: sum(row.link_id == truth.LINK for row in rows),
        truth.OTHER_LINK: sum(row.link_id == truth.OTHER_LINK for row in rows),
        "unknown": 0,
    }
    assert AnalyticsQueries(loaded).lifetime_clicks("another-tenant", [truth.LINK]) == {truth.LINK: 0}
    assert AnalyticsQueries(loaded).lifetime_clicks(truth.TENANT, []) == {}


def test_the_click_log_pages_newest_first(loaded: Client, rows: list[ClickRow]) -> None:
    queries = AnalyticsQueries(loaded)
    mine = sorted((row for row in rows if row.link_id == truth.LINK), key=lambda row: (row.ts, row.event_id))
    seen = []
    cursor = None
    while True:
        items, cursor = queries.click_log(truth.TENANT, truth.LINK, limit=700, before=cursor)
        seen += items
        if cursor is None:
            break
    assert [item["id"] for item in seen] == [row.event_id for row in reversed(mine)]
    newest = mine[-1]
    first = seen[0]
    assert first["ts"] == datetime.fromtimestamp(newest.ts / 1000, UTC).isoformat(
        timespec="milliseconds"
    ).replace("+00:00", "Z")
    assert first["country"] == (newest.country or None)
    assert first["contact_id"] == (newest.contact_id or None)
    assert first["kind"] in ("unique", "repeat", "bot")
    assert {item["kind"] for item in seen if item["kind"] == "bot"} == {"bot"}
    assert sum(item["kind"] == "unique" for item in seen) == len({r.visitor_id for r in mine if not r.is_bot})


def test_the_click_log_of_an_unknown_link_is_empty(clickhouse: Client) -> None:
    assert AnalyticsQueries(clickhouse).click_log(truth.TENANT, "nothing") == ([], None)


def test_rollups_and_raw_clicks_place_a_click_alike(clickhouse: Client) -> None:
    # Coordinates on and near rounding edges, in both hemispheres, and missing ones.
    points = [(-23.55, -46.65), (0.05, -0.05), (-0.04, 0.04), (89.95, 179.95), (12.25, 77.5), (None, None)]
    base = truth.ms(datetime(2025, 6, 1, 12, tzinfo=UTC))
    ClickIngest(clickhouse).insert(
        [truth.click(base + n, f"v{n}", latitude=lat, longitude=lon) for n, (lat, lon) in enumerate(points)]
    )
    # Whole UTC days (all from the rollup) and a range starting at 11:00 (all raw).
    day = (datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 6, 2, tzinfo=UTC))
    from_rollup = AnalyticsQueries(clickhouse).link_analytics(truth.TENANT, truth.LINK, *day)
    from_raw = AnalyticsQueries(clickhouse, use_rollups=False).link_analytics(truth.TENANT, truth.LINK, *day)
    assert from_rollup["locations"] == from_raw["locations"]
    assert len(from_rollup["locations"]) == 5


@pytest.mark.parametrize(
    ("limit", "before"), [(0, None), (1001, None), (10, (0, "not-an-id")), (10, (0, "z" * 32))]
)
def test_bad_click_log_pages_are_refused(
    clickhouse: Client, limit: int, before: tuple[int, str] | None
) -> None:
    with pytest.raises(RangeError):
        AnalyticsQueries(clickhouse).click_log(truth.TENANT, truth.LINK, limit, before)


@pytest.fixture(scope="module")
def campaign_loaded(clickhouse_url: str, rows: list[ClickRow]) -> Iterator[Client]:
    """The generated clicks with both links in the campaign "spring", and the clicks of
    one more link in another campaign, which must count in none of spring's figures."""
    with new_database(clickhouse_url) as name:
        client = connect(clickhouse_url, name)
        migrate(client)
        spring = [replace(row, campaign="spring") for row in rows]
        autumn = [replace(row, campaign="autumn", link_id=AUTUMN_LINK) for row in rows[::3]]
        sink = ClickIngest(client)
        for batch in truth.batches(spring + autumn, 500):
            sink.insert(batch)
        yield client
        client.close()


AUTUMN_LINK = "0190000000007000800000000000000d"


@pytest.mark.parametrize(("tz", "interval", "start", "end"), CASES)
@pytest.mark.parametrize("exclude_bots", [False, True])
def test_a_campaign_is_the_set_of_its_links(
    campaign_loaded: Client,
    rows: list[ClickRow],
    tz: str,
    interval: str,
    start: datetime,
    end: datetime,
    exclude_bots: bool,
) -> None:
    links = [truth.LINK, truth.OTHER_LINK]
    queries = AnalyticsQueries(campaign_loaded)
    figures, per_link = queries.campaign_analytics(
        truth.TENANT, "spring", links, start, end, interval, tz, exclude_bots
    )
    raw = AnalyticsQueries(campaign_loaded, use_rollups=False)
    assert figures == raw.analytics(truth.TENANT, links, start, end, interval, tz, exclude_bots)
    assert per_link == raw.per_link(truth.TENANT, links, start, end)
    for link in links:
        expected = truth.expected(rows, start, end, interval, tz, False, link=link)
        assert per_link[link].unique == expected["totals"]["unique"]
        assert per_link[link].clicks == expected["totals"]["total"]


@pytest.mark.parametrize(("tz", "interval", "start", "end"), CASES)
def test_a_link_in_a_campaign_has_its_own_figures(
    campaign_loaded: Client, rows: list[ClickRow], tz: str, interval: str, start: datetime, end: datetime
) -> None:
    queries = AnalyticsQueries(campaign_loaded)
    result = queries.link_analytics(truth.TENANT, truth.LINK, start, end, interval, tz)
    assert truth.comparable(result) == truth.expected(rows, start, end, interval, tz, False)
    # The campaign the API has at hand from the link store finds the same rows.
    known = queries.link_analytics(truth.TENANT, truth.LINK, start, end, interval, tz, campaign="spring")
    assert known == result
    links = [truth.LINK, AUTUMN_LINK]
    raw = AnalyticsQueries(campaign_loaded, use_rollups=False)
    assert queries.per_link(truth.TENANT, links, start, end) == raw.per_link(truth.TENANT, links, start, end)

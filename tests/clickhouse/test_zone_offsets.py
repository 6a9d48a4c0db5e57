"""Analytics in zones whose offset is not whole hours, DST changes included, against the
ground truth: Australia/Eucla (+08:45), Pacific/Chatham (+13:45, +12:45 from 6 April
2025), America/St_Johns (-03:30, -02:30 from 9 March 2025) and Australia/Lord_Howe
(+11:00, +10:30 from 6 April 2025: a half-hour DST change).

Their bucket boundaries fall on quarter hours of UTC, so the rollups answer them from the
quarter tables; the raw table answers the same ranges for comparison.
"""

from __future__ import annotations

import pytest

from api.analytics import AnalyticsQueries
from api.analytics.buckets import make_buckets
from consumer.enrich.row import ClickRow
from smartlinks.clickhouse import Client
from tests.clickhouse import truth
from tests.clickhouse.truth import local

pytestmark = pytest.mark.clickhouse


# Hour buckets are asked only away from a DST change that sets clocks back: there a local
# hour is met twice and the ground truth's wall-clock reading cannot tell the two apart.
CASES = [
    ("Australia/Eucla", "day", (2025, 3, 2), (2025, 4, 1)),
    ("Australia/Eucla", "hour", (2025, 3, 20), (2025, 3, 23)),
    ("Australia/Eucla", "week", (2025, 2, 24), (2025, 4, 7)),
    ("Pacific/Chatham", "day", (2025, 3, 25), (2025, 4, 10)),
    ("Pacific/Chatham", "hour", (2025, 3, 20), (2025, 3, 23)),
    ("Pacific/Chatham", "hour", (2025, 4, 7), (2025, 4, 9)),
    ("America/St_Johns", "day", (2025, 3, 1), (2025, 4, 1)),
    ("America/St_Johns", "hour", (2025, 3, 8), (2025, 3, 11)),  # clocks go forward on the 9th
    ("America/St_Johns", "month", (2025, 2, 1), (2025, 5, 1)),
    ("Australia/Lord_Howe", "day", (2025, 3, 30), (2025, 4, 10)),
]


@pytest.mark.parametrize(("tz", "interval", "first", "last"), CASES)
@pytest.mark.parametrize("exclude_bots", [False, True])
@pytest.mark.parametrize("use_rollups", [True, False], ids=["rollups", "raw"])
def test_a_quarter_hour_zone_has_the_true_buckets_and_totals(
    loaded: Client,
    rows: list[ClickRow],
    tz: str,
    interval: str,
    first: tuple[int, int, int],
    last: tuple[int, int, int],
    exclude_bots: bool,
    use_rollups: bool,
) -> None:
    start, end = local(tz, *first), local(tz, *last)
    result = AnalyticsQueries(loaded, use_rollups).link_analytics(
        truth.TENANT, truth.LINK, start, end, interval, tz, exclude_bots
    )
    assert truth.comparable(result) == truth.expected(rows, start, end, interval, tz, exclude_bots)
    assert [item["t"] for item in result["timeseries"]] == make_buckets(start, end, interval, tz).labels()
    assert result["totals"]["total"] == sum(item["total"] for item in result["timeseries"])
    assert result["totals"]["total"] > 0  # the range holds clicks: the figures are not all zeros


@pytest.mark.parametrize(("tz", "interval", "first", "last"), CASES)
def test_the_cases_are_ones_only_the_quarter_rollups_answer(
    tz: str, interval: str, first: tuple[int, int, int], last: tuple[int, int, int]
) -> None:
    """So the test above checks the quarter-hour path, not the hourly one."""
    buckets = make_buckets(local(tz, *first), local(tz, *last), interval, tz)
    assert buckets.quarter_aligned and not buckets.hour_aligned


def test_a_45_minute_zone_labels_its_midnights() -> None:
    start, end = local("Pacific/Chatham", 2025, 4, 5), local("Pacific/Chatham", 2025, 4, 8)
    labels = make_buckets(start, end, "day", "Pacific/Chatham").labels()
    # Daylight saving time ends in the early hours of the 6th: midnight moves from 10:15 to 11:15 UTC.
    assert labels == ["2025-04-05T00:00:00+13:45", "2025-04-06T00:00:00+13:45", "2025-04-07T00:00:00+12:45"]

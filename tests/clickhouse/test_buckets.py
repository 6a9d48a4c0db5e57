"""Bucket and day arithmetic; no ClickHouse needed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.analytics.buckets import DAY_MS, DaySplit, make_buckets, split_days

H = 3_600_000
D0 = 20_000 * DAY_MS  # some UTC midnight


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D0, D0 + 30 * DAY_MS, DaySplit(20_000, 20_030, ())),
        # Sao Paulo (-03:00): the first day is mostly inside, the last mostly outside.
        (
            D0 + 3 * H,
            D0 + 30 * DAY_MS + 3 * H,
            DaySplit(20_000, 20_030, ((D0, D0 + 3 * H, -1), (D0 + 30 * DAY_MS, D0 + 30 * DAY_MS + 3 * H, 1))),
        ),
        # Kolkata (+05:30): midnight is 18:30 UTC.
        (
            D0 - 5 * H - H // 2,
            D0 + 7 * DAY_MS - 5 * H - H // 2,
            DaySplit(
                20_000,
                20_007,
                ((D0 - 5 * H - H // 2, D0, 1), (D0 + 7 * DAY_MS - 5 * H - H // 2, D0 + 7 * DAY_MS, -1)),
            ),
        ),
        (D0 + H, D0 + 5 * H, DaySplit(20_000, 20_000, ((D0 + H, D0 + 5 * H, 1),))),
        (
            D0 + 20 * H,
            D0 + DAY_MS + 2 * H,
            DaySplit(20_001, 20_001, ((D0 + 20 * H, D0 + DAY_MS, 1), (D0 + DAY_MS, D0 + DAY_MS + 2 * H, 1))),
        ),
    ],
)
def test_split_days_reads_at_most_half_a_day_raw_per_end(start: int, end: int, expected: DaySplit) -> None:
    split = split_days(start, end)
    assert split == expected
    assert all(
        window_end - window_start <= DAY_MS // 2
        for window_start, window_end, _ in split.windows
        if end - start > DAY_MS
    )


def test_week_buckets_start_on_monday_and_month_buckets_on_the_first() -> None:
    weeks = make_buckets(datetime(2025, 3, 5, tzinfo=UTC), datetime(2025, 3, 20, tzinfo=UTC), "week", "UTC")
    assert weeks.labels() == [
        "2025-03-03T00:00:00Z",
        "2025-03-10T00:00:00Z",
        "2025-03-17T00:00:00Z",
    ]
    months = make_buckets(
        datetime(2024, 11, 15, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC), "month", "America/Sao_Paulo"
    )
    assert months.labels() == [
        "2024-11-01T00:00:00-03:00",
        "2024-12-01T00:00:00-03:00",
        "2025-01-01T00:00:00-03:00",
    ]


def test_hour_buckets_of_a_half_hour_zone() -> None:
    buckets = make_buckets(
        datetime(2025, 3, 1, 0, 10, tzinfo=UTC), datetime(2025, 3, 1, 2, tzinfo=UTC), "hour", "Asia/Kolkata"
    )
    assert buckets.labels() == [
        "2025-03-01T05:00:00+05:30",
        "2025-03-01T06:00:00+05:30",
        "2025-03-01T07:00:00+05:30",
    ]
    assert not buckets.hour_aligned


def test_naive_datetimes_are_utc() -> None:
    buckets = make_buckets(datetime(2025, 3, 1), datetime(2025, 3, 2), "day", "UTC")
    assert buckets.labels() == ["2025-03-01T00:00:00Z"]
    assert buckets.index(int(datetime(2025, 3, 1, 23, tzinfo=UTC).timestamp())) == 0


def test_utc_buckets_end_in_z_and_a_zone_at_utc_keeps_its_offset() -> None:
    start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC)
    for utc in ("UTC", "Etc/UTC"):
        assert make_buckets(start, end, "day", utc).labels() == ["2025-01-01T00:00:00Z"]
    # London is at +00:00 in winter but is not UTC: its buckets say so, as in summer.
    assert make_buckets(start, end, "day", "Europe/London").labels() == ["2025-01-01T00:00:00+00:00"]

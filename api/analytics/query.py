"""Per-link analytics, the click log and lifetime totals, read from ClickHouse.

``AnalyticsQueries`` returns plain dicts in the shapes of the API contract (API.md,
Analytics); the HTTP layer adds ``link`` and ``range``. Every method is synchronous:
call it from a worker thread.

Figures:
- ``totals.bots`` counts bot clicks whatever ``exclude_bots`` says; with
  ``exclude_bots`` every other figure (``timeseries[].bots`` included) leaves bots out.
- ``unique`` is the exact number of distinct human visitors (no estimate, no hash
  sketch), in the range, in a bucket, or in the range from one country; bots never count.
  So ``total = humans + bots`` and ``unique <= humans``.
- Unknown browser, OS and platform are named "Unknown", no referrer is "Direct";
  clicks without a country, city or coordinates are left out of those lists
  (see ``breakdowns.py`` for the list lengths).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from api.analytics import breakdowns, sql
from api.analytics.buckets import Buckets, DaySplit, RangeError, make_buckets, split_days
from smartlinks.clickhouse import Client

ClickCursor = tuple[int, str]  # (ts in Unix ms, event id): where the next page starts
MAX_PAGE = 1000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class AnalyticsQueries:
    def __init__(self, client: Client, use_rollups: bool = True) -> None:
        self.client = client
        self.use_rollups = use_rollups  # False: always the raw table (tests, benchmarks)

    def link_analytics(
        self,
        tenant_id: str,
        link_id: str,
        start: datetime,
        end: datetime,
        interval: str = "day",
        tz: str = "UTC",
        exclude_bots: bool = False,
    ) -> dict[str, Any]:
        """Totals, time series and breakdowns of [start, end); raises RangeError on bad input."""
        buckets = make_buckets(start, end, interval, tz)
        rollup = self.use_rollups and buckets.hour_aligned
        params = {
            "tenant": tenant_id,
            "link": link_id,
            "start": _ms(buckets.start),
            "end": _ms(buckets.end),
            "tz": tz,
        }
        source: sql.Source = "rollup" if rollup else "raw"
        series = self.client.query(sql.series(source, interval), parameters=params).result_rows
        visitors = self.client.query(sql.country_visitors(source), parameters=params).result_rows
        out = _series(series, buckets, exclude_bots)
        out.update(self._breakdowns(params, exclude_bots, {country: n for country, n in visitors}))
        return out

    def _breakdowns(
        self, params: dict[str, Any], exclude_bots: bool, country_visitors: dict[str, int]
    ) -> dict[str, Any]:
        start, end = params["start"], params["end"]
        split = split_days(start, end) if self.use_rollups else DaySplit(0, 0, ((start, end, 1),))
        query_params = {**params, **breakdowns.query_params(split)}
        rollup_rows: Sequence[Sequence[Any]] = []
        raw_rows: Sequence[Sequence[Any]] = []
        if split.first_day < split.end_day:
            rollup_rows = self.client.query(breakdowns.ROLLUP, parameters=query_params).result_rows
        if split.windows:
            raw_rows = self.client.query(breakdowns.RAW, parameters=query_params).result_rows
        figures = breakdowns.merge(rollup_rows, raw_rows)
        return breakdowns.lists(figures, exclude_bots, country_visitors)

    def lifetime_clicks(self, tenant_id: str, link_ids: Sequence[str]) -> dict[str, int]:
        """All clicks (bots included) of each link ever, from the hourly rollup."""
        totals = dict.fromkeys(link_ids, 0)
        if link_ids:
            result = self.client.query(
                sql.LIFETIME, parameters={"tenant": tenant_id, "links": list(link_ids)}
            )
            totals.update({link: clicks for link, clicks in result.result_rows})
        return totals

    def click_log(
        self, tenant_id: str, link_id: str, limit: int = 50, before: ClickCursor | None = None
    ) -> tuple[list[dict[str, Any]], ClickCursor | None]:
        """One page of the click log, newest first, and the cursor of the next page (or None)."""
        if not 1 <= limit <= MAX_PAGE:
            raise RangeError(f"limit must be between 1 and {MAX_PAGE}")
        if before is not None and not _is_event_id(before[1]):
            raise RangeError("malformed click-log cursor")
        params: dict[str, Any] = {"tenant": tenant_id, "link": link_id, "limit": limit + 1}
        if before is not None:
            params.update(before_ts=before[0], before_id=before[1])
        rows = self.client.query(sql.click_log(before is not None), parameters=params).result_rows
        items = [
            {
                "id": event_id.hex,
                "ts": _rfc3339(ms),
                "kind": kind,
                "country": country or None,
                "city": city or None,
                "device": device or None,
                "browser": browser or None,
                "os": os or None,
                "referrer": referrer or None,
                "contact_id": contact_id or None,
            }
            for event_id, ms, kind, country, city, device, browser, os, referrer, contact_id in rows[:limit]
        ]
        following = (rows[limit - 1][1], rows[limit - 1][0].hex) if len(rows) > limit else None
        return items, following


def _series(rows: Sequence[Sequence[Any]], buckets: Buckets, exclude_bots: bool) -> dict[str, Any]:
    """Totals and the time series (every bucket) from per-bucket rows."""
    size = len(buckets.starts)
    clicks, bots, unique = [0] * size, [0] * size, [0] * size
    total_unique = 0
    for bucket, n, n_bots, bucket_unique, range_unique in rows:
        i = buckets.index(bucket)
        clicks[i] += n
        bots[i] += n_bots
        unique[i] += bucket_unique
        total_unique += range_unique
    all_bots = sum(bots)
    return {
        "totals": {
            "total": sum(clicks) - (all_bots if exclude_bots else 0),
            "unique": total_unique,
            "bots": all_bots,
        },
        "timeseries": [
            {
                "t": label,
                "total": clicks[i] - (bots[i] if exclude_bots else 0),
                "unique": unique[i],
                "bots": 0 if exclude_bots else bots[i],
            }
            for i, label in enumerate(buckets.labels())
        ],
    }


def _ms(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(milliseconds=1)


def _rfc3339(ms: int) -> str:
    return (_EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_event_id(value: str) -> bool:
    return len(value) == 32 and all(ch in "0123456789abcdefABCDEF" for ch in value)

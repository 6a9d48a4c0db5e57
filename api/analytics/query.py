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
  clicks without a country, city or coordinates are left out of those lists.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from api.analytics import sql
from api.analytics.buckets import Buckets, make_buckets
from smartlinks.clickhouse import Client

ClickCursor = tuple[int, str]  # (ts in Unix ms, event id): where the next page starts

# Longest lists returned per breakdown.
LIMITS = {"city": 100, "location": 1000, "browser": 50, "platform": 50, "os": 50, "referrer": 50}
UNKNOWN_NAMES = {"browser": "Unknown", "platform": "Unknown", "os": "Unknown", "referrer": "Direct"}
_BREAKDOWN_KEYS = {"browser": "browsers", "platform": "platforms", "os": "os", "referrer": "referrers"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_MS = 86_400_000


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
        rows = self.client.query(
            sql.by_bucket_and_country("rollup" if rollup else "raw", interval), parameters=params
        ).result_rows
        out = _series(rows, buckets, exclude_bots)
        out.update(self._breakdowns(params, rollup, exclude_bots))
        return out

    def _breakdowns(self, params: dict[str, Any], rollup: bool, exclude_bots: bool) -> dict[str, Any]:
        start, end = params["start"], params["end"]
        # Whole UTC days come from the daily rollup, the partial days at the edges from raw.
        first_day, end_day = -(-start // _DAY_MS), end // _DAY_MS
        with_days = rollup and first_day < end_day
        if with_days:
            windows = (start, first_day * _DAY_MS, end_day * _DAY_MS, end)
        else:
            windows = (start, end, end, end)
        query_params = {
            **params,
            "w1_start": windows[0],
            "w1_end": windows[1],
            "w2_start": windows[2],
            "w2_end": windows[3],
            "first_day": _EPOCH.date() + timedelta(days=first_day),
            "end_day": _EPOCH.date() + timedelta(days=end_day),
            "exclude_bots": int(exclude_bots),
            "limit": max(LIMITS.values()),
        }
        rows = self.client.query(sql.dimensions(with_days), parameters=query_params).result_rows
        lists: dict[str, list[dict[str, Any]]] = {
            "cities": [],
            "locations": [],
            **{key: [] for key in _BREAKDOWN_KEYS.values()},
        }
        for dimension, country, value, clicks in rows:
            if dimension == "city":
                target, item = "cities", {"country": country, "city": value, "clicks": clicks}
            elif dimension == "location":
                lat, lon = value.split(",")
                target, item = "locations", {"lat": float(lat), "lon": float(lon), "clicks": clicks}
            elif dimension in _BREAKDOWN_KEYS:
                name = value or UNKNOWN_NAMES[dimension]
                target, item = _BREAKDOWN_KEYS[dimension], {"name": name, "clicks": clicks}
            else:  # a dimension added to the rollup before this code knows it
                continue
            if len(lists[target]) < LIMITS[dimension]:
                lists[target].append(item)
        return lists

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
        following = (rows[limit - 1][1], rows[limit - 1][0].hex) if len(rows) > limit and limit > 0 else None
        return items, following


def _series(rows: Sequence[Sequence[Any]], buckets: Buckets, exclude_bots: bool) -> dict[str, Any]:
    """Totals, the time series (every bucket) and the countries from (bucket, country) rows."""
    size = len(buckets.starts)
    clicks, bots, unique = [0] * size, [0] * size, [0] * size
    total_unique = 0
    countries: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for bucket, country, n, n_bots, bucket_unique, range_unique, country_unique in rows:
        i = buckets.index(bucket)
        clicks[i] += n
        bots[i] += n_bots
        unique[i] += bucket_unique
        total_unique += range_unique
        if country:
            figures = countries[country]
            figures[0] += n - n_bots if exclude_bots else n
            figures[1] += country_unique
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
        "countries": [
            {"country": country, "clicks": n, "unique": u}
            for country, (n, u) in sorted(countries.items(), key=lambda item: (-item[1][0], item[0]))
            if n > 0
        ],
    }


def _ms(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(milliseconds=1)


def _rfc3339(ms: int) -> str:
    return (_EPOCH + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds").replace("+00:00", "Z")

"""Analytics of a link or a set of links, click logs and lifetime totals, read from
ClickHouse.

``AnalyticsQueries`` returns plain dicts in the shapes of the API contract (API.md,
Analytics); the HTTP layer adds ``link`` (or ``campaign``) and ``range``. Every method is
synchronous: call it from a worker thread.

Figures:
- ``totals.bots`` counts bot clicks whatever ``exclude_bots`` says; with
  ``exclude_bots`` every other figure (``timeseries[].bots`` included) leaves bots out.
- ``unique`` is the exact number of distinct human visitors (no estimate, no hash
  sketch), in the range, in a bucket, or in the range from one country; bots never count.
  So ``total = humans + bots`` and ``unique <= humans``.
- The analytics of a set of links (a campaign) are the sums of its links' analytics,
  figure by figure; so its ``unique`` is the sum of its links' unique visitors (a person
  who clicks two links of a campaign is a unique visitor of each).
- Unknown browser, OS and platform are named "Unknown", no referrer is "Direct";
  clicks without a country, city or coordinates are left out of those lists
  (see ``breakdowns.py`` for the list lengths).

A set of links is one bound parameter or a few (``link_sets.LinkSet``): each query reads
the whole set in one statement, whatever its size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from api.analytics import breakdowns, sql
from api.analytics.buckets import Buckets, DaySplit, RangeError, make_buckets, split_days
from api.analytics.link_sets import LinkSet
from smartlinks.city_names import city_of
from smartlinks.clickhouse import Client
from smartlinks.models import from_ms, rfc3339, to_ms

ClickCursor = tuple[int, str]  # (ts in Unix ms, event id): where the next page starts
MAX_PAGE = 1000

_HOUR_MS = 3_600_000
_QUARTER_MS = 900_000


class LinkFigures(NamedTuple):
    """One link's clicks in a range: all of them (bots included), bots, unique visitors.

    A named tuple: a campaign's page makes one per link clicked, and 10,000 take half the
    time of frozen dataclasses (6 ms against 12 on a busy machine)."""

    clicks: int
    bots: int
    unique: int


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
        campaign: str | None = None,
    ) -> dict[str, Any]:
        """Totals, time series and breakdowns of [start, end); raises RangeError on bad input.

        ``campaign`` is the link's ('' for none) when the caller has the link at hand: the
        rollups in campaign order find the link's rows under it, and without it the
        queries first read it from one of the link's clicks (a round trip, about 5 ms)."""
        campaigns = None if campaign is None else [campaign]
        return self._analytics(tenant_id, [link_id], start, end, interval, tz, exclude_bots, campaigns)

    def analytics(
        self,
        tenant_id: str,
        links: LinkSet | Sequence[str],
        start: datetime,
        end: datetime,
        interval: str = "day",
        tz: str = "UTC",
        exclude_bots: bool = False,
    ) -> dict[str, Any]:
        """``link_analytics`` of a set of links: each figure the sum of the links' own."""
        return self._analytics(tenant_id, links, start, end, interval, tz, exclude_bots, None)

    def _analytics(
        self,
        tenant_id: str,
        links: LinkSet | Sequence[str],
        start: datetime,
        end: datetime,
        interval: str,
        tz: str,
        exclude_bots: bool,
        campaigns: list[str] | None,
    ) -> dict[str, Any]:
        buckets = make_buckets(start, end, interval, tz)
        source = self._source(buckets)
        params = {"tenant": tenant_id, "start": to_ms(buckets.start), "end": to_ms(buckets.end), "tz": tz}
        link_set = _link_set(links)
        if self.use_rollups:  # the quarter and daily rollups find links under their campaigns
            params["campaigns"] = self._campaigns(tenant_id, link_set) if campaigns is None else campaigns
        series = self._rows(sql.series(source, interval), params, link_set)
        visitors: dict[str, int] = defaultdict(int)
        for country, n in self._rows(sql.country_visitors(source), params, link_set):
            visitors[country] += n
        out = _series(series, buckets, exclude_bots)
        out.update(self._breakdowns(params, link_set, exclude_bots, visitors))
        return out

    def campaign_analytics(
        self,
        tenant_id: str,
        campaign: str,
        links: LinkSet | Sequence[str],
        start: datetime,
        end: datetime,
        interval: str = "day",
        tz: str = "UTC",
        exclude_bots: bool = False,
    ) -> tuple[dict[str, Any], dict[str, LinkFigures]]:
        """``analytics`` and ``per_link`` of a campaign, whose links are ``links``.

        Read by the campaign's key in the rollups of 0011 (the clicks whose campaign is
        ``campaign``: its links' clicks, as a link's campaign never changes and a deleted
        link's rows go with it) in four statements; ``links`` serve only ranges the rollups
        cannot answer (between quarter hours), read raw, so a list of ids is made into a
        ``LinkSet`` only then (12 ms for 10,000)."""
        buckets = make_buckets(start, end, interval, tz)
        if self._source(buckets) == "raw":
            figures = self.analytics(tenant_id, links, start, end, interval, tz, exclude_bots)
            return figures, self.per_link(tenant_id, links, start, end)
        start_ms, end_ms = to_ms(buckets.start), to_ms(buckets.end)
        params = {"tenant": tenant_id, "campaign": campaign, "start": start_ms, "end": end_ms, "tz": tz}
        rows = self._query(sql.campaign_series(interval), params)
        per_link = {
            link_id: LinkFigures(clicks, bots, unique)
            for link_id, _, clicks, bots, _, unique in rows
            if link_id
        }
        visitors = {country: n for country, n in self._query(sql.campaign_country_visitors(), params)}
        out = _series([row[1:] for row in rows if not row[0]], buckets, exclude_bots)
        split = split_days(start_ms, end_ms)
        query_params = {**params, **breakdowns.query_params(split)}
        rollup_rows: Sequence[Sequence[Any]] = []
        raw_rows: Sequence[Sequence[Any]] = []
        if split.first_day < split.end_day:
            rollup_rows = self._query(breakdowns.CAMPAIGN_ROLLUP, query_params)
        if split.windows:
            raw_rows = self._query(breakdowns.CAMPAIGN_RAW, query_params)
        out.update(breakdowns.lists(breakdowns.merge(rollup_rows, raw_rows), exclude_bots, visitors))
        return out, per_link

    def _campaigns(self, tenant_id: str, links: LinkSet) -> list[str]:
        """The campaigns of a set of links (one per link; '' for none), which the rollups
        in campaign order (0011) need to find the links' rows."""
        if len(links) == 1:
            params = {"tenant": tenant_id, "link": links.ids[0]}
            return [row[0] for row in self._query(sql.CAMPAIGNS_OF_LINK, params)]
        return [row[0] for row in self._rows(sql.CAMPAIGNS_OF_LINKS, {"tenant": tenant_id}, links)]

    def _source(self, buckets: Buckets) -> sql.Source:
        if not self.use_rollups:
            return "raw"
        if buckets.hour_aligned:
            return "rollup"
        return "quarter" if buckets.quarter_aligned else "raw"

    def _breakdowns(
        self,
        params: dict[str, Any],
        links: LinkSet,
        exclude_bots: bool,
        country_visitors: dict[str, int],
    ) -> dict[str, Any]:
        start, end = params["start"], params["end"]
        split = split_days(start, end) if self.use_rollups else DaySplit(0, 0, ((start, end, 1),))
        query_params = {**params, **breakdowns.query_params(split)}
        rollup_rows: Sequence[Sequence[Any]] = []
        raw_rows: Sequence[Sequence[Any]] = []
        if split.first_day < split.end_day:
            rollup_rows = self._rows(breakdowns.ROLLUP, query_params, links)
        if split.windows:
            raw_rows = self._rows(breakdowns.RAW, query_params, links)
        figures = breakdowns.merge(rollup_rows, raw_rows)
        return breakdowns.lists(figures, exclude_bots, country_visitors)

    def per_link(
        self, tenant_id: str, links: LinkSet | Sequence[str], start: datetime, end: datetime
    ) -> dict[str, LinkFigures]:
        """Each link's figures in [start, end), for the links with clicks in it.

        ``LinkFigures.unique`` of a link is its ``totals.unique``; with ``exclude_bots`` its
        ``totals.total`` is ``clicks - bots``."""
        start_ms, end_ms = to_ms(start), to_ms(end)
        if end_ms <= start_ms:
            raise RangeError("the range must end after it starts")
        source: sql.Source = "raw"
        if self.use_rollups and start_ms % _HOUR_MS == 0 and end_ms % _HOUR_MS == 0:
            source = "rollup"
        elif self.use_rollups and start_ms % _QUARTER_MS == 0 and end_ms % _QUARTER_MS == 0:
            source = "quarter"
        params: dict[str, Any] = {"tenant": tenant_id, "start": start_ms, "end": end_ms}
        link_set = _link_set(links)
        if source == "quarter":
            params["campaigns"] = self._campaigns(tenant_id, link_set)
        return {
            link_id: LinkFigures(clicks, bots, unique)
            for link_id, clicks, bots, unique in self._rows(sql.per_link(source), params, link_set)
        }

    def lifetime_clicks(self, tenant_id: str, link_ids: Sequence[str]) -> dict[str, int]:
        """All clicks (bots included) of each link ever, from the hourly rollup."""
        totals = dict.fromkeys(link_ids, 0)
        totals.update(
            {
                link: clicks
                for link, clicks in self._rows(sql.LIFETIME, {"tenant": tenant_id}, LinkSet(link_ids))
            }
        )
        return totals

    def lifetime_by_group(self, tenant_id: str, groups: Sequence[Sequence[str]]) -> list[LinkFigures]:
        """Lifetime figures of each group of links (e.g. the campaigns of a page), summed
        over its links: clicks, bots and unique visitors, from the hourly rollups."""
        totals = [[0, 0, 0] for _ in groups]
        links = LinkSet([link_id for group in groups for link_id in group])
        params = {"tenant": tenant_id, "sizes": [len(group) for group in groups]}
        for group, clicks, bots, unique in self._rows(sql.LIFETIME_BY_GROUP, params, links):
            if group:  # 0 would be a link of no group, which the IN filter keeps out
                figures = totals[group - 1]
                figures[0] += clicks
                figures[1] += bots
                figures[2] += unique
        return [LinkFigures(*figures) for figures in totals]

    def lifetime_by_campaign(self, tenant_id: str, campaigns: Sequence[str]) -> list[LinkFigures]:
        """``lifetime_by_group`` of campaigns, each the group of its links, read by the
        campaigns' keys (0011) rather than by their links' ids: a campaign's clicks are its
        links' and a deleted link's go with it."""
        if not campaigns:
            return []
        params = {"tenant": tenant_id, "campaigns": list(campaigns)}
        found = {
            name: LinkFigures(*figures) for name, *figures in self._query(sql.LIFETIME_BY_CAMPAIGN, params)
        }
        return [found.get(name, LinkFigures(0, 0, 0)) for name in campaigns]

    def _rows(self, query: str, params: dict[str, Any], links: LinkSet) -> Sequence[Sequence[Any]]:
        """The rows of ``query`` over a set of links; an empty set has none to read."""
        if not links:
            return []
        bound, all_params = links.bind(query, params)
        return self._query(bound, all_params)

    def _query(self, query: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return self.client.query(query, parameters=params).result_rows

    def click_log(
        self,
        tenant_id: str,
        link_id: str,
        limit: int = 50,
        before: ClickCursor | None = None,
        within: tuple[datetime, datetime] | None = None,
        exclude_bots: bool = False,
    ) -> tuple[list[dict[str, Any]], ClickCursor | None]:
        """One page of a link's click log, newest first, and the cursor of the next page (or
        None); only the clicks in [start, end) of ``within`` when given, people only with
        ``exclude_bots``."""
        rows, following = self._log(
            "link", {"tenant": tenant_id, "link": link_id}, limit, before, within, exclude_bots
        )
        items = [{**_click(row), "contact_id": row[9] or None, "variant": row[13] or None} for row in rows]
        return items, following

    def contact_log(
        self, tenant_id: str, contact_id: str, limit: int = 50, before: ClickCursor | None = None
    ) -> tuple[list[dict[str, Any]], ClickCursor | None]:
        """One page of a contact's clicks on every link, newest first, each with its
        ``link_id`` and ``campaign`` (None for none), and the cursor of the next page."""
        rows, following = self._log("contact", {"tenant": tenant_id, "contact": contact_id}, limit, before)
        items = [{**_click(row), "link_id": row[10], "campaign": row[11] or None} for row in rows]
        return items, following

    def _log(
        self,
        by: sql.LogKey,
        params: dict[str, Any],
        limit: int,
        before: ClickCursor | None,
        within: tuple[datetime, datetime] | None = None,
        exclude_bots: bool = False,
    ) -> tuple[Sequence[Sequence[Any]], ClickCursor | None]:
        if not 1 <= limit <= MAX_PAGE:
            raise RangeError(f"limit must be between 1 and {MAX_PAGE}")
        if before is not None and not _is_event_id(before[1]):
            raise RangeError("malformed click-log cursor")
        params = {**params, "limit": limit + 1}
        if before is not None:
            params.update(before_ts=before[0], before_id=before[1])
        if within is not None:
            params.update(start=to_ms(within[0]), end=to_ms(within[1]))
        query = sql.click_log(before is not None, by, ranged=within is not None, humans=exclude_bots)
        rows = self.client.query(query, parameters=params).result_rows
        following = (rows[limit - 1][1], rows[limit - 1][0].hex) if len(rows) > limit else None
        return rows[:limit], following


def _click(row: Sequence[Any]) -> dict[str, Any]:
    """The fields every click-log item has, from a row of ``sql.click_log``."""
    event_id, ms, kind, country, city, device, browser, os, referrer = row[:9]
    return {
        "id": event_id.hex,
        "ts": rfc3339(from_ms(ms)),
        "kind": kind,
        "country": country or None,
        "city": city_of(city) or None,  # rows stored before the consumer cut districts
        "device": device or None,
        "browser": browser or None,
        "os": os or None,
        "referrer": referrer or None,
        "bot_reason": row[12] or None,
    }


def _link_set(links: LinkSet | Sequence[str]) -> LinkSet:
    return links if isinstance(links, LinkSet) else LinkSet(links)


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


def _is_event_id(value: str) -> bool:
    return len(value) == 32 and all(ch in "0123456789abcdefABCDEF" for ch in value)

"""The funnel of a campaign or a link, read from ClickHouse: delivered → clicked → converted.

``FunnelQueries`` returns plain dicts in the shape of the API contract; the HTTP layer
(``api.funnel``) adds each link's code and the range. Every method is synchronous: call
it from a worker thread.

Figures:
- ``delivered``, ``clicked`` and ``converted`` count distinct contacts (non-empty
  ``contact_id``) with a delivery, a human click, a conversion in the range; a bot's
  click never makes a contact clicked. Each step stands alone: a contact who clicked
  without a delivery report in range still counts as clicked.
- ``click_rate`` = clicked / delivered, ``conversion_rate`` = converted / clicked; None
  when the step before has no contact.
- ``conversions`` counts the conversion events in range, contact or not; ``revenue`` sums
  their values per currency (conversions without a value have none).
- The medians: over the contacts with a delivery and a later click in range, the time
  from their first delivery to their first click after it; over the contacts with a click
  and a later conversion, from their first click to their first conversion after it.
  Seconds to the millisecond, the mean of the middle two for an even count; None for none.
- ``timeseries``: every bucket of the range, each with the distinct contacts of each step
  in it (a contact with clicks in two buckets counts in both).
"""

from __future__ import annotations

import heapq
import math
import os
import statistics
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from typing import Any

from api.analytics import funnel_sql
from api.analytics.buckets import Buckets, make_buckets
from smartlinks.clickhouse import Client
from smartlinks.models import Link, to_ms

_HOUR_MS = 3_600_000
# Beyond this many (link, hour) rows to read raw, every hour is read raw (see funnel_sql.gaps).
MAX_RAW_PAIRS = 10_000
# Beyond this many contacts whose first events do not tell their gaps, all are looked at.
# Their keys are one query parameter: 5,000 fit a ClickHouse server's 128 KiB limit.
MAX_LISTED = 5_000
# ISO 4217 currencies whose minor unit is not a hundredth; the rest have two decimals.
MINOR_DIGITS = {
    **dict.fromkeys(
        ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
         "VUV", "XAF", "XOF", "XPF"),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    "CLF": 4,
    "UYW": 4,
}  # fmt: skip


class FunnelQueries:
    """``side``, a second connection, runs half of each funnel beside the other half
    (``funnel_sql.funnel_halves``), each half with at most ``threads`` threads when given
    (see ``side_threads``). Without it a funnel is one statement."""

    def __init__(self, client: Client, side: Client | None = None, threads: int | None = None) -> None:
        self.client = client
        self.side = side
        self.half_settings = {"max_threads": threads} if threads else None
        self._beside = ThreadPoolExecutor(thread_name_prefix="funnel-half") if side is not None else None

    def close(self) -> None:
        if self._beside is not None:
            self._beside.shutdown()

    def campaign_exists(self, tenant_id: str, campaign: str) -> bool:
        """Whether the campaign has any delivery or conversion, ever."""
        params = {"tenant": tenant_id, "campaign": campaign}
        return bool(self.client.query(funnel_sql.ANY_EVENT, parameters=params).result_rows)

    def campaign_funnel(
        self,
        tenant_id: str,
        campaign: str,
        link_ids: Collection[str],
        start: datetime,
        end: datetime,
        interval: str = "day",
        tz: str = "UTC",
        limit: int = 500,
    ) -> dict[str, Any]:
        """The campaign's funnel in [start, end), with a row for at most ``limit`` of its
        live links ``link_ids``: most clicked first, then most converted, then by id.
        Raises RangeError on a bad range, interval or zone."""
        buckets = make_buckets(start, end, interval, tz)
        params = _params(buckets, tenant=tenant_id, campaign=campaign, limit=limit)
        out, rows = self._funnel("campaign", buckets, params)
        out["links"] = self._link_rows(params, rows, link_ids)
        return out

    def link_funnel(
        self, link: Link, start: datetime, end: datetime, interval: str = "day", tz: str = "UTC"
    ) -> dict[str, Any]:
        """One link's funnel: its contact's deliveries in its campaign, its own clicks and
        the conversions attributed to it."""
        buckets = make_buckets(start, end, interval, tz)
        params = _params(
            buckets,
            tenant=link.tenant_id,
            campaign=link.campaign or "",
            link=link.id,
            contact=link.contact_id or "",
        )
        out, _ = self._funnel("link", buckets, params)
        out["links"] = [{"link_id": link.id, "clicked": out["clicked"], "converted": out["converted"]}]
        return out

    def _funnel(
        self, scope: funnel_sql.Scope, buckets: Buckets, params: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Sequence[Any]]]:
        """The funnel but its links, and a campaign's first link rows (see ``funnel_sql.funnel``)."""
        rows: dict[int, list[Sequence[Any]]] = {0: [], 1: [], 2: [], 3: []}
        for kind, *fields in self._funnel_rows(scope, buckets.interval, params):
            rows[kind].append(fields)
        [[_, delivered, clicked, converted, _, (to_click, to_convert), untold, *known]] = rows[0]
        if untold:  # contacts who clicked (converted) before and after: all their times tell
            everyone = len(untold) > MAX_LISTED
            to_clicks, to_conversions = self._gaps(scope, buckets, params, None if everyone else untold)
            if not everyone:
                to_clicks += known[0]
                to_conversions += known[1]
            to_click, to_convert = _median(to_clicks), _median(to_conversions)
        revenue = [(currency, count, value) for currency, count, _, _, value, *_ in rows[3]]
        figures = {
            "delivered": delivered,
            "clicked": clicked,
            "converted": converted,
            "click_rate": _rate(clicked, delivered),
            "conversion_rate": _rate(converted, clicked),
            "conversions": sum(count for _, count, _ in revenue),
            "revenue": [
                {"currency": currency, "value": money(value, currency)}
                for currency, _, value in sorted(revenue, key=lambda row: str(row[0]))
                if currency
            ],
            "median_time_to_click_s": _seconds(to_click),
            "median_time_to_convert_s": _seconds(to_convert),
            "timeseries": _series(buckets, [(step, bucket, n) for _, step, bucket, n, *_ in rows[1]]),
        }
        return figures, [(link_id, x, y) for link_id, x, y, *_ in rows[2]]

    def _funnel_rows(
        self, scope: funnel_sql.Scope, interval: str, params: dict[str, Any]
    ) -> list[Sequence[Any]]:
        """The rows of ``funnel_sql.funnel``: one statement, or its two halves side by side."""
        raw = _raw(params)
        if self.side is None or self._beside is None:
            return list(self._rows(funnel_sql.funnel(scope, interval, raw), params))
        contacts, rest = funnel_sql.funnel_halves(scope, interval, raw)
        others = self._beside.submit(self._rows, rest, params, self.client, self.half_settings)
        return [*self._rows(contacts, params, self.side, self.half_settings), *others.result()]

    def _gaps(
        self, scope: funnel_sql.Scope, buckets: Buckets, params: dict[str, Any], contacts: list[int] | None
    ) -> tuple[list[int], list[int]]:
        """The gaps (ms) of the ``contacts`` (keys; None: of every contact) from all their times."""
        params = {**params, "contacts": contacts or []}
        query = funnel_sql.gaps(scope, buckets.interval, _raw(params), contacts is not None)
        clicks, conversions, unclear = self._rows(query, params)[0]
        if unclear:  # read those rows raw and ask again: then no row hides a click
            again: funnel_sql.Raw = "all" if len(unclear) > MAX_RAW_PAIRS else "some"
            query = funnel_sql.gaps(scope, buckets.interval, again, contacts is not None)
            clicks, conversions, _ = self._rows(query, {**params, "pairs": sorted(set(unclear))})[0]
        return list(clicks), list(conversions)

    def _link_rows(
        self, params: dict[str, Any], rows: Sequence[Sequence[Any]], link_ids: Collection[str]
    ) -> list[dict[str, Any]]:
        """The rows of the campaign's live links ``link_ids``, from the first rows of
        ``funnel_sql.links``, then the links without any (oldest first)."""
        live = link_ids if isinstance(link_ids, set | frozenset) else set(link_ids)
        limit = params["limit"]
        if len(rows) == limit and any(row[0] not in live for row in rows):
            # A link deleted a moment ago took a place: rank them all.
            rows = self._rows(funnel_sql.links(_raw(params)), {**params, "limit": 2**32 - 1})
        shown = [(link_id, clicked, converted) for link_id, clicked, converted in rows if link_id in live]
        # Then the links without a click or conversion in range, oldest (smallest id) first.
        counted = {link_id for link_id, _, _ in shown}
        idle = heapq.nsmallest(
            max(limit - len(shown), 0), (link_id for link_id in live if link_id not in counted)
        )
        shown += [(link_id, 0, 0) for link_id in idle]
        return [
            {"link_id": link_id, "clicked": clicked, "converted": converted}
            for link_id, clicked, converted in shown[:limit]
        ]

    def _rows(
        self,
        query: str,
        params: dict[str, Any],
        client: Client | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Sequence[Sequence[Any]]:
        return (client or self.client).query(query, parameters=params, settings=settings).result_rows


def side_threads(clickhouse_url: str) -> int | None:
    """Threads for each half of a funnel: chDB shares this machine's cores with the
    process, so half of them each (on 2 cores one statement's threads mostly wait on each
    other: two one-thread halves measured 60 to 80 ms against 87 to 97 for the whole); a server
    decides for itself (None)."""
    return max(1, (os.cpu_count() or 2) // 2) if clickhouse_url.startswith("chdb:") else None


def _params(buckets: Buckets, **names: Any) -> dict[str, Any]:
    start, end = to_ms(buckets.start), to_ms(buckets.end)
    # The UTC hours a range end or a bucket boundary cuts: the hourly rollup cannot split
    # them. Hours before 1970 hold no events (and are no UInt32 hour): none is cut there.
    cuts = (start, end, *(to_ms(value) for value in buckets.starts[1:]))
    split = sorted({cut // _HOUR_MS * 3600 for cut in cuts if cut % _HOUR_MS and cut > 0})
    return {**names, "start": start, "end": end, "tz": buckets.tz.key, "split": split, "pairs": []}


def _raw(params: dict[str, Any]) -> funnel_sql.Raw:
    return "some" if params["split"] else "none"


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


def _seconds(ms: float | None) -> float | None:
    return None if ms is None or math.isnan(ms) else ms / 1000


def money(value: Decimal, currency: str) -> str:
    """A sum of a currency as a decimal string: the currency's minor unit (two decimals for
    most), more only where the sum has nonzero digits beyond it (values keep four)."""
    digits = MINOR_DIGITS.get(currency, 2)
    exponent = value.normalize().as_tuple().exponent
    places = max(digits, -exponent if isinstance(exponent, int) else 0)
    return f"{value:.{places}f}"


def _series(buckets: Buckets, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Every bucket with its contacts per step, from (step, bucket, contacts) rows."""
    counts = [[0] * len(buckets.starts) for _ in range(3)]
    for step, bucket, contacts in rows:
        counts[step - 1][buckets.index(bucket)] += contacts
    return [
        {"t": label, "delivered": counts[0][i], "clicked": counts[1][i], "converted": counts[2][i]}
        for i, label in enumerate(buckets.labels())
    ]

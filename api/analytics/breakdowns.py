"""The breakdowns of an analytics page: countries, cities, locations, browsers,
platforms, operating systems and referrers, each most clicks first.

Whole UTC days come from ``campaign_daily_dims`` (0011); the partial days at the ends of a
range are added or taken away from raw clicks (``split_days``), so any time zone is served
by the rollup with at most 12 hours of raw clicks per end. A campaign reads the rollup by
its key range, and the raw clicks of the links it clicked in the partial days only
(``CAMPAIGN_ROLLUP``, ``CAMPAIGN_RAW``); a set of links reads it by their campaigns and
ids. Both queries are kept plain and the merging, ranking and naming happen here, on a
few thousand rows: for queries this small, planning a more elaborate statement costs
ClickHouse more than it saves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from api.analytics.buckets import DaySplit
from smartlinks.city_names import city_of

# Longest list returned per breakdown.
LIMITS = {
    "country": 250,
    "city": 100,
    "location": 1000,
    "browser": 50,
    "platform": 50,
    "os": 50,
    "referrer": 50,
}
UNKNOWN_NAMES = {"browser": "Unknown", "platform": "Unknown", "os": "Unknown", "referrer": "Direct"}
_NAME_LISTS = {"browser": "browsers", "platform": "platforms", "os": "os", "referrer": "referrers"}

_ROLLUP = """
SELECT dimension, toString(country), value, sum(clicks), sum(bots)
FROM {table}
WHERE {where}
    AND day >= {{first_day:Date}} AND day < {{end_day:Date}}
GROUP BY dimension, country, value
"""
_LINKS = "tenant_id = {tenant:String} AND link_id IN {links:Array(String)}"
_CAMPAIGN = "tenant_id = {tenant:String} AND campaign = {campaign:String}"
# The rollup is in campaign order: a set's links are found under their campaigns
# (``campaigns``, see sql.CAMPAIGNS_OF_LINK).
ROLLUP = _ROLLUP.format(
    table="campaign_daily_dims", where=f"{_LINKS} AND campaign IN {{campaigns:Array(String)}}"
)
CAMPAIGN_ROLLUP = _ROLLUP.format(table="campaign_daily_dims", where=_CAMPAIGN)

# Raw clicks of one or two windows, each counted with its sign, grouped as the rollup
# groups them: one GROUPING SETS pass. Locations are grouped as rounded numbers and
# formatted per group with the view's own expression, so both give the same text.
_RAW = """
WITH if(ts < fromUnixTimestamp64Milli({w1_end:Int64}, 'UTC'), {w1_sign:Int8}, {w2_sign:Int8}) AS sign
SELECT
    grouping(country, city, lat, browser, device, os, referrer_host),
    toString(country), city,
    if(lat IS NULL OR lon IS NULL, '',
        concat(toString(assumeNotNull(lat)), ',', toString(assumeNotNull(lon)))),
    browser, device, os, referrer_host,
    sum(sign), sumIf(sign, is_bot)
FROM clicks
WHERE {where}
    AND ((ts >= fromUnixTimestamp64Milli({w1_start:Int64}, 'UTC')
          AND ts < fromUnixTimestamp64Milli({w1_end:Int64}, 'UTC'))
      OR (ts >= fromUnixTimestamp64Milli({w2_start:Int64}, 'UTC')
          AND ts < fromUnixTimestamp64Milli({w2_end:Int64}, 'UTC')))
GROUP BY GROUPING SETS (
    (country), (country, city), (round(latitude, 1) AS lat, round(longitude, 1) AS lon),
    (browser), (device), (os), (referrer_host)
)
"""
_WINDOWS = (
    "((quarter >= toStartOfFifteenMinutes(fromUnixTimestamp64Milli({w1_start:Int64}, 'UTC'))"
    " AND quarter < fromUnixTimestamp64Milli({w1_end:Int64}, 'UTC'))"
    " OR (quarter >= toStartOfFifteenMinutes(fromUnixTimestamp64Milli({w2_start:Int64}, 'UTC'))"
    " AND quarter < fromUnixTimestamp64Milli({w2_end:Int64}, 'UTC')))"
)
RAW = _RAW.replace("{where}", _LINKS)
# The campaign's links with clicks in the windows, from its quarter rows: a handful of a
# campaign's links where a list of all of them cost 30-50 ms to plan.
CAMPAIGN_RAW = _RAW.replace(
    "{where}",
    f"tenant_id = {{tenant:String}} AND link_id IN"
    f" (SELECT link_id FROM visitors_quarter WHERE {_CAMPAIGN} AND {_WINDOWS})",
)

# grouping(country, city, lat, browser, device, os, referrer_host) names the set of a
# raw row: standard SQL sets a bit (first argument highest) for each column NOT in the
# set; servers with force_grouping_standard_compatibility = 0 set the others instead.
_SETS = {
    0b0111111: "country",
    0b0011111: "city",
    0b1101111: "location",
    0b1110111: "browser",
    0b1111011: "platform",
    0b1111101: "os",
    0b1111110: "referrer",
}
_SETS.update({mask ^ 0b1111111: name for mask, name in list(_SETS.items())})

Key = tuple[str, str, str]  # (dimension, country, value) as campaign_daily_dims has them


def query_params(split: DaySplit) -> dict[str, Any]:
    """Parameters of the rollup and raw queries for a split (the second raw window may be empty)."""
    windows = [*split.windows, (0, 0, 1), (0, 0, 1)][:2]
    epoch = date(1970, 1, 1)
    params: dict[str, Any] = {
        "first_day": epoch + timedelta(days=split.first_day),
        "end_day": epoch + timedelta(days=split.end_day),
    }
    for n, (start, end, sign) in enumerate(windows, 1):
        params.update({f"w{n}_start": start, f"w{n}_end": end, f"w{n}_sign": sign})
    return params


def merge(rollup_rows: Iterable[Sequence[Any]], raw_rows: Iterable[Sequence[Any]]) -> dict[Key, list[int]]:
    """Clicks and bots per (dimension, country, value), rollup days plus signed raw windows."""
    figures: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for dimension, country, value, clicks, bots in rollup_rows:
        # Clicks stored before the consumer cut districts off carry them: cut here too.
        entry = figures[(dimension, country, city_of(value) if dimension == "city" else value)]
        entry[0] += clicks
        entry[1] += bots
    for sets, country, city, location, browser, device, os, referrer, clicks, bots in raw_rows:
        dimension = _SETS[sets]
        key = {
            "country": (dimension, country, ""),
            "city": (dimension, country, city_of(city)),
            "location": (dimension, "", location),
            "browser": (dimension, "", browser),
            "platform": (dimension, "", device),
            "os": (dimension, "", os),
            "referrer": (dimension, "", referrer),
        }[dimension]
        entry = figures[key]
        entry[0] += clicks
        entry[1] += bots
    return figures


def lists(
    figures: dict[Key, list[int]], exclude_bots: bool, country_visitors: dict[str, int]
) -> dict[str, list[dict[str, Any]]]:
    """The API's breakdown lists, most clicks first (ties by name), each cut to its limit.

    Clicks without a country, city or location are left out of those lists; an unknown
    browser, platform or OS is "Unknown" and no referrer is "Direct"."""
    ranked = sorted(
        ((clicks - bots if exclude_bots else clicks, key) for key, (clicks, bots) in figures.items()),
        key=lambda item: (-item[0], item[1]),
    )
    out: dict[str, list[dict[str, Any]]] = {
        "countries": [],
        "cities": [],
        "locations": [],
        **{name: [] for name in _NAME_LISTS.values()},
    }
    counts: dict[str, int] = defaultdict(int)
    for clicks, (dimension, country, value) in ranked:
        if clicks <= 0 or dimension not in LIMITS or counts[dimension] >= LIMITS[dimension]:
            continue
        if dimension == "country":
            if not country:
                continue
            out["countries"].append(
                {"country": country, "clicks": clicks, "unique": country_visitors.get(country, 0)}
            )
        elif dimension == "city":
            if not (country and value):
                continue
            out["cities"].append({"country": country, "city": value, "clicks": clicks})
        elif dimension == "location":
            if not value:
                continue
            lat, lon = value.split(",")
            out["locations"].append({"lat": float(lat), "lon": float(lon), "clicks": clicks})
        else:
            out[_NAME_LISTS[dimension]].append({"name": value or UNKNOWN_NAMES[dimension], "clicks": clicks})
        counts[dimension] += 1
    return out

"""The SQL of the time series, the per-country visitors, lifetime totals and the click
log (the breakdowns are in breakdowns.py).

Series and visitors have three sources that give the same figures:

- ``rollup``: ``clicks_hourly``, ``visitors_hourly`` and ``country_visitors_hourly``;
  exact when the range and every bucket boundary are whole UTC hours, i.e. in every
  zone with a whole-hour offset.
- ``quarter``: ``visitors_quarter`` and ``country_visitors_quarter`` (0011), the same
  counts per 15 minutes; exact when the range and every bucket boundary are whole quarter
  hours of UTC: a range of dates or hours in any zone (Asia/Kolkata +05:30,
  Asia/Kathmandu +05:45). 7.6 times the rows of the hourly tables for a busy link
  (524,000 against 69,000 for the bench's link of 5M clicks), so whole-hour zones keep those.
- ``raw``: ``clicks`` itself, for the rest (ranges that start or end between quarter hours).

A campaign's page reads the quarter tables by campaign (``campaign_series``,
``campaign_country_visitors``): a key range, where a list of its 10,000 link ids cost
ClickHouse 30-50 ms per statement to plan, whatever the rows.

Unique visitors are counts, not hash sets: a human click starts a visit in a range
[s, e) when the visitor's previous click on the link is before s (see the comment in
0001_clicks.sql). For a bucket that is ``prev < greatest(bucket start, s)``.

Every other query but the click logs reads a set of links (``link_id IN {links:Array(String)}``,
filled in by ``link_sets.LinkSet``; the primary key still selects the granules of the
links, one link being a one-element set) and sums over it, so
the figures of a set are the sums of its links' figures, uniques included: a visitor of
two links is a unique visitor of each. Bound parameters: tenant (String), links
(Array(String)) or campaign (String); start, end (Unix ms, Int64); tz (String).
"""

from __future__ import annotations

from typing import Literal

Source = Literal["raw", "rollup", "quarter"]

# The start of a click's bucket in the viewer's zone; `{col}` is a UTC time column. A
# DateTime64 is cut to the second first: every bucket starts on a whole second, and the
# zone functions are cheaper on DateTime (300,000 clicks by day in America/Sao_Paulo:
# 41 ms against 58); a DateTime is left as it is.
_SECONDS = "toDateTime({col}, 'UTC')"
BUCKET_START = {
    "hour": f"toStartOfHour({_SECONDS}, {{{{tz:String}}}})",
    "day": f"toStartOfDay({_SECONDS}, {{{{tz:String}}}})",
    "week": f"toDateTime(toMonday({_SECONDS}, {{{{tz:String}}}}), {{{{tz:String}}}})",
    "month": f"toDateTime(toStartOfMonth({_SECONDS}, {{{{tz:String}}}}), {{{{tz:String}}}})",
}

_RANGE = (
    "fromUnixTimestamp64Milli({start:Int64}, 'UTC') AS range_start,"
    " fromUnixTimestamp64Milli({end:Int64}, 'UTC') AS range_end"
)
_LINKS = "tenant_id = {tenant:String} AND link_id IN {links:Array(String)}"
# The quarter tables are in campaign order: a link's rows are found under its campaign
# (``campaigns``: CAMPAIGNS_OF_LINK or CAMPAIGNS_OF_LINKS, asked first).
_QUARTER_LINKS = (
    "tenant_id = {tenant:String} AND campaign IN {campaigns:Array(String)}"
    " AND link_id IN {links:Array(String)}"
)
# A link's campaign from one of its clicks: it never changes. LIMIT 1 reads the first
# granule of the link, where LIMIT 1 BY read all 5M clicks of a busy link (5 ms against 270).
CAMPAIGNS_OF_LINK = (
    "SELECT campaign FROM clicks WHERE tenant_id = {tenant:String} AND link_id = {link:String} LIMIT 1"
)
# A set's from the breakdowns rollup, which has a few rows per link and day where clicks
# has every click (6 ms against 73 for a set holding a link of 5M clicks): every click
# has rows there, so every link with clicks is found.
CAMPAIGNS_OF_LINKS = f"SELECT DISTINCT campaign FROM campaign_daily_dims WHERE {_LINKS}"
CAMPAIGN = "tenant_id = {tenant:String} AND campaign = {campaign:String}"


def series(source: Source, interval: str) -> str:
    """Per bucket: clicks, bots, visitors of the bucket (within the range), and visitors
    of the whole range whose visit starts in the bucket (their sum is the range's)."""
    if source == "raw":
        bucket = BUCKET_START[interval].format(col="ts")
        return f"""
WITH {_RANGE}, {bucket} AS bucket_start
SELECT
    toUnixTimestamp(bucket_start) AS bucket,
    count() AS n_clicks,
    countIf(is_bot) AS n_bots,
    countIf(NOT is_bot AND visitor_prev_ts < greatest(bucket_start, range_start)) AS bucket_unique,
    countIf(NOT is_bot AND visitor_prev_ts < range_start) AS range_unique
FROM clicks
WHERE {_LINKS} AND ts >= range_start AND ts < range_end
GROUP BY bucket
"""
    if source == "quarter":
        return _quarter_series(_QUARTER_LINKS, interval, "bucket")
    bucket = BUCKET_START[interval].format(col="hour")
    return f"""
WITH {_RANGE}
SELECT bucket, sum(n_clicks), sum(n_bots), sum(bucket_unique), sum(range_unique)
FROM
(
    SELECT toUnixTimestamp({bucket}) AS bucket,
        sum(clicks) AS n_clicks, sum(bots) AS n_bots, 0 AS bucket_unique, 0 AS range_unique
    FROM clicks_hourly
    WHERE {_LINKS} AND hour >= range_start AND hour < range_end
    GROUP BY bucket
    UNION ALL
    WITH {bucket} AS bucket_start
    SELECT toUnixTimestamp(bucket_start) AS bucket, 0, 0,
        sumIf(visits, prev_hour < greatest(bucket_start, range_start)),
        sumIf(visits, prev_hour < range_start)
    FROM visitors_hourly
    WHERE {_LINKS} AND hour >= range_start AND hour < range_end
    GROUP BY bucket
)
GROUP BY bucket
"""


def campaign_series(interval: str) -> str:
    """``series`` and ``per_link`` of a campaign in one pass over its quarter rows: rows
    (link_id, bucket, clicks, bots, bucket visitors, range visitors), a bucket's with the
    link '' and a link's with the bucket 0 (no link id is empty, no bucket starts in 1970);
    a link's range visitors are its unique visitors."""
    return _quarter_series(CAMPAIGN, interval, "GROUPING SETS ((link_id), (bucket))", "link_id, ")


def _quarter_series(where: str, interval: str, group: str, head: str = "") -> str:
    # One table: a row's bots share its quarter with its humans (bots under 1970).
    bucket = BUCKET_START[interval].format(col="quarter")
    return f"""
WITH {_RANGE}, {bucket} AS bucket_start
SELECT {head}toUnixTimestamp(bucket_start) AS bucket, sum(visits) + sum(bots), sum(bots),
    sumIf(visits, prev_quarter < greatest(bucket_start, range_start)),
    sumIf(visits, prev_quarter < range_start)
FROM visitors_quarter
WHERE {where} AND quarter >= range_start AND quarter < range_end
GROUP BY {group}
"""


def country_visitors(source: Source) -> str:
    """Unique visitors of the range per country."""
    if source == "raw":
        return f"""
WITH {_RANGE}
SELECT toString(country), countIf(visitor_prev_country_ts < range_start)
FROM clicks
WHERE {_LINKS} AND ts >= range_start AND ts < range_end AND NOT is_bot
GROUP BY country
"""
    if source == "quarter":
        return campaign_country_visitors(_QUARTER_LINKS)
    # Recent returns (previous click within 48 hours) only matter in the first 48 hours.
    return f"""
WITH {_RANGE}
SELECT toString(country), sumIf(visits, prev_hour < range_start)
FROM country_visitors_hourly
WHERE {_LINKS} AND hour >= range_start
    AND ((NOT recent AND hour < range_end)
        OR (recent AND hour < least(range_end, range_start + toIntervalHour(48))))
GROUP BY country
"""


def campaign_country_visitors(where: str = CAMPAIGN) -> str:
    """Unique visitors of the range per country from the quarter rows (of a campaign,
    unless ``where`` says otherwise)."""
    return f"""
WITH {_RANGE}
SELECT toString(country), sumIf(visits, prev_quarter < range_start)
FROM country_visitors_quarter
WHERE {where} AND quarter >= range_start
    AND ((NOT recent AND quarter < range_end)
        OR (recent AND quarter < least(range_end, range_start + toIntervalHour(48))))
GROUP BY country
"""


def per_link(source: Source) -> str:
    """Per link of the set with clicks in the range: clicks, bots and unique visitors."""
    if source == "quarter":
        return f"""
WITH {_RANGE}
SELECT link_id, sum(visits) + sum(bots), sum(bots), sumIf(visits, prev_quarter < range_start)
FROM visitors_quarter
WHERE {_QUARTER_LINKS} AND quarter >= range_start AND quarter < range_end
GROUP BY link_id
"""
    if source == "raw":
        return f"""
WITH {_RANGE}
SELECT link_id, count(), countIf(is_bot), countIf(NOT is_bot AND visitor_prev_ts < range_start)
FROM clicks
WHERE {_LINKS} AND ts >= range_start AND ts < range_end
GROUP BY link_id
"""
    return f"""
WITH {_RANGE}
SELECT link_id, sum(n_clicks), sum(n_bots), sum(n_unique)
FROM
(
    SELECT link_id, sum(clicks) AS n_clicks, sum(bots) AS n_bots, 0 AS n_unique
    FROM clicks_hourly
    WHERE {_LINKS} AND hour >= range_start AND hour < range_end
    GROUP BY link_id
    UNION ALL
    SELECT link_id, 0, 0, sumIf(visits, prev_hour < range_start)
    FROM visitors_hourly
    WHERE {_LINKS} AND hour >= range_start AND hour < range_end
    GROUP BY link_id
)
GROUP BY link_id
"""


LIFETIME = """
SELECT link_id, sum(clicks)
FROM clicks_hourly
WHERE tenant_id = {tenant:String} AND link_id IN {links:Array(String)}
GROUP BY link_id
"""

# Lifetime clicks, bots and unique visitors of groups of links (the campaigns of a page).
# The links come group after group, sizes[n] of group n + 1: the group numbers are spelt
# out here rather than sent, so the links are the only long parameter. A visitor's first
# click on a link has no previous click, so it is counted under prev_hour 1970-01-01.
LIFETIME_BY_GROUP = f"""
WITH arrayFlatten(arrayMap((size, n) -> arrayWithConstant(size, n),
        {{sizes:Array(UInt32)}}, arrayEnumerate({{sizes:Array(UInt32)}}))) AS group_of_link
SELECT transform(link_id, {{links:Array(String)}}, group_of_link, 0) AS link_group,
    sum(n_clicks), sum(n_bots), sum(n_unique)
FROM
(
    SELECT link_id, sum(clicks) AS n_clicks, sum(bots) AS n_bots, 0 AS n_unique
    FROM clicks_hourly
    WHERE {_LINKS}
    GROUP BY link_id
    UNION ALL
    SELECT link_id, 0, 0, sum(visits)
    FROM visitors_hourly
    WHERE {_LINKS} AND prev_hour = toDateTime(0, 'UTC')
    GROUP BY link_id
)
GROUP BY link_group
"""

# Lifetime clicks, bots and unique visitors of campaigns (the campaign list), by their
# keys: a visitor's first click on a link is counted under prev_quarter 1970-01-01, as
# bots are (in their own column).
LIFETIME_BY_CAMPAIGN = """
SELECT campaign, sum(visits) + sum(bots), sum(bots), sumIf(visits, prev_quarter = toDateTime(0, 'UTC'))
FROM visitors_quarter
WHERE tenant_id = {tenant:String} AND campaign IN {campaigns:Array(String)}
GROUP BY campaign
"""

LogKey = Literal["link", "contact"]
_LOG_KEYS = {"link": "link_id = {link:String}", "contact": "contact_id = {contact:String}"}


def click_log(paged: bool, by: LogKey = "link", ranged: bool = False, humans: bool = False) -> str:
    """Newest clicks first of a link or of a contact, keyset-paged by (ts, event_id);
    ``ranged`` keeps those in [start, end), ``humans`` leaves bots out.

    A link's clicks are the table's own order; a contact's are found through the
    contact_id skip index (0005_contacts.sql) and sorted, a few granules per link."""
    within = (
        " AND ts >= fromUnixTimestamp64Milli({start:Int64}, 'UTC')"
        " AND ts < fromUnixTimestamp64Milli({end:Int64}, 'UTC')"
        if ranged
        else ""
    )
    after = (
        " AND ts <= fromUnixTimestamp64Milli({before_ts:Int64}, 'UTC')"
        " AND (ts, event_id)"
        " < (fromUnixTimestamp64Milli({before_ts:Int64}, 'UTC'), toUUID({before_id:String}))"
        if paged
        else ""
    )
    return f"""
SELECT event_id, toUnixTimestamp64Milli(ts), kind, toString(country), city, device, browser, os,
    referrer_host, contact_id, link_id, campaign, bot_reason, variant
FROM clicks
WHERE tenant_id = {{tenant:String}} AND {_LOG_KEYS[by]}{within}{" AND NOT is_bot" if humans else ""}{after}
ORDER BY ts DESC, event_id DESC
LIMIT {{limit:UInt32}}
"""


# Columns each table is read by: the schema test checks them against schemas.clickhouse.
READS: dict[str, set[str]] = {
    "clicks": {
        "tenant_id", "link_id", "ts", "event_id", "kind", "is_bot", "country", "city", "latitude",
        "longitude", "device", "browser", "os", "referrer_host", "contact_id", "campaign",
        "visitor_prev_ts", "visitor_prev_country_ts", "bot_reason",
    },
    "visitors_hourly": {"tenant_id", "link_id", "hour", "prev_hour", "visits"},
    "country_visitors_hourly": {"tenant_id", "link_id", "recent", "hour", "country", "prev_hour", "visits"},
    "campaign_daily_dims": {
        "tenant_id", "campaign", "link_id", "day", "dimension", "country", "value", "clicks", "bots",
    },
    "clicks_hourly": {"tenant_id", "link_id", "hour", "clicks", "bots"},
    "visitors_quarter": {"tenant_id", "campaign", "link_id", "quarter", "prev_quarter", "visits", "bots"},
    "country_visitors_quarter": {
        "tenant_id", "campaign", "link_id", "recent", "quarter", "country", "prev_quarter", "visits",
    },
}  # fmt: skip

"""The SQL of the analytics queries, each written once for both sources.

Two sources answer the same questions with the same figures:

- ``rollup``: ``clicks_hourly_country`` and ``clicks_daily_dims`` (a few thousand rows
  per page); exact when the range and every bucket boundary are whole UTC hours.
- ``raw``: ``clicks`` itself, for the rest (half-hour zones such as Asia/Kolkata,
  ranges that start mid-hour) and for the partial UTC days at the edges of a range.

Unique visitors are counts, not hash sets: a human click starts a visit in a range
[s, e) when the visitor's previous click on the link is before s (see the comment in
0001_clicks.sql). For a bucket that is ``prev < greatest(bucket start, s)``.

Bound parameters: tenant, link (String); start, end (Unix ms, Int64); tz (String).
"""

from __future__ import annotations

from typing import Literal

from schemas.clickhouse import DIMENSIONS_ARRAY

Source = Literal["raw", "rollup"]

# The start of a click's bucket in the viewer's zone; `{col}` is a UTC time column.
BUCKET_START = {
    "hour": "toStartOfHour({col}, {{tz:String}})",
    "day": "toStartOfDay({col}, {{tz:String}})",
    "week": "toDateTime(toMonday({col}, {{tz:String}}), {{tz:String}})",
    "month": "toDateTime(toStartOfMonth({col}, {{tz:String}}), {{tz:String}})",
}

_RANGE = (
    "fromUnixTimestamp64Milli({start:Int64}, 'UTC') AS range_start,"
    " fromUnixTimestamp64Milli({end:Int64}, 'UTC') AS range_end"
)


def by_bucket_and_country(source: Source, interval: str) -> str:
    """Clicks, bots and the three unique counts per (bucket, country).

    ``bucket_unique``: visitors of the bucket (within the range); ``range_unique``:
    visitors of the whole range, summed over all rows; ``country_unique``: visitors of the
    range from that country, summed over buckets.
    """
    if source == "raw":
        table, time, prev, prev_country = "clicks", "ts", "visitor_prev_ts", "visitor_prev_country_ts"
        total = "count()"

        def count_if(condition: str) -> str:
            return f"countIf({condition})"
    else:
        table, time, prev, prev_country = "clicks_hourly_country", "hour", "prev_hour", "prev_country_hour"
        total = "sum(clicks)"

        def count_if(condition: str) -> str:
            return f"sumIf(clicks, {condition})"

    bucket = BUCKET_START[interval].format(col=time)
    return f"""
WITH {_RANGE}, {bucket} AS bucket_start
SELECT
    toUnixTimestamp(bucket_start) AS bucket,
    toString(country) AS country_code,
    {total} AS n_clicks,
    {count_if("is_bot")} AS n_bots,
    {count_if(f"NOT is_bot AND {prev} < greatest(bucket_start, range_start)")} AS bucket_unique,
    {count_if(f"NOT is_bot AND {prev} < range_start")} AS range_unique,
    {count_if(f"NOT is_bot AND {prev_country} < range_start")} AS country_unique
FROM {table}
WHERE tenant_id = {{tenant:String}} AND link_id = {{link:String}}
    AND {time} >= range_start AND {time} < range_end
GROUP BY bucket, country_code
"""


# Raw clicks of up to two time windows (the edges of a range) as dimension rows.
_RAW_DIMENSIONS = f"""
SELECT tupleElement(dim, 1) AS dimension, tupleElement(dim, 2) AS country, tupleElement(dim, 3) AS value,
    count() AS clicks, countIf(is_bot) AS bots
FROM
(
    SELECT is_bot, arrayJoin({DIMENSIONS_ARRAY}) AS dim
    FROM clicks
    WHERE tenant_id = {{tenant:String}} AND link_id = {{link:String}}
        AND ((ts >= fromUnixTimestamp64Milli({{w1_start:Int64}}, 'UTC')
              AND ts < fromUnixTimestamp64Milli({{w1_end:Int64}}, 'UTC'))
          OR (ts >= fromUnixTimestamp64Milli({{w2_start:Int64}}, 'UTC')
              AND ts < fromUnixTimestamp64Milli({{w2_end:Int64}}, 'UTC')))
)
GROUP BY dimension, country, value
"""

# Whole UTC days from the daily rollup.
_ROLLUP_DIMENSIONS = """
SELECT dimension, country, value, sum(clicks) AS clicks, sum(bots) AS bots
FROM clicks_daily_dims
WHERE tenant_id = {tenant:String} AND link_id = {link:String}
    AND day >= {first_day:Date} AND day < {end_day:Date}
GROUP BY dimension, country, value
"""


def dimensions(with_days: bool) -> str:
    """The top values of every breakdown, most clicks first: raw windows, plus whole days
    from the rollup when ``with_days``. ``exclude_bots`` (UInt8) ranks by human clicks;
    cities and locations without a value are left out (they cannot be named or placed)."""
    parts = f"{_ROLLUP_DIMENSIONS}\n    UNION ALL\n{_RAW_DIMENSIONS}" if with_days else _RAW_DIMENSIONS
    return f"""
SELECT dimension, toString(country) AS country_code, value,
    sum(clicks) - {{exclude_bots:UInt8}} * sum(bots) AS n
FROM
(
{parts}
)
GROUP BY dimension, country, value
HAVING n > 0 AND NOT (dimension IN ('city', 'location') AND value = '')
ORDER BY dimension, n DESC, country_code, value
LIMIT {{limit:UInt32}} BY dimension
"""


LIFETIME = """
SELECT link_id, sum(clicks)
FROM clicks_hourly
WHERE tenant_id = {tenant:String} AND link_id IN {links:Array(String)}
GROUP BY link_id
"""


def click_log(paged: bool) -> str:
    """Newest clicks first, keyset-paged by (ts, event_id): the table's own order."""
    after = (
        " AND ts <= fromUnixTimestamp64Milli({before_ts:Int64}, 'UTC')"
        " AND (ts, event_id)"
        " < (fromUnixTimestamp64Milli({before_ts:Int64}, 'UTC'), toUUID({before_id:String}))"
        if paged
        else ""
    )
    return f"""
SELECT event_id, toUnixTimestamp64Milli(ts), kind, toString(country), city, device, browser, os,
    referrer_host, contact_id
FROM clicks
WHERE tenant_id = {{tenant:String}} AND link_id = {{link:String}}{after}
ORDER BY ts DESC, event_id DESC
LIMIT {{limit:UInt32}}
"""


# Columns each table is read by: the schema test checks them against schemas.clickhouse.
READS: dict[str, set[str]] = {
    "clicks": {
        "tenant_id", "link_id", "ts", "event_id", "kind", "is_bot", "country", "city", "latitude",
        "longitude", "device", "browser", "os", "referrer_host", "contact_id", "visitor_prev_ts",
        "visitor_prev_country_ts",
    },
    "clicks_hourly_country": {
        "tenant_id", "link_id", "hour", "country", "is_bot", "prev_hour", "prev_country_hour", "clicks",
    },
    "clicks_daily_dims": {"tenant_id", "link_id", "day", "dimension", "country", "value", "clicks", "bots"},
    "clicks_hourly": {"tenant_id", "link_id", "hour", "clicks"},
}  # fmt: skip

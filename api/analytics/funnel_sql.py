"""The SQL of a funnel: delivered → clicked → converted, in distinct contacts.

Every statement reads one union of the range's funnel events (``events``), a row each:
``step`` (1 delivered, 2 clicked, 3 converted), ``contact_id``, ``link_id``, ``at`` (Unix
ms; for a row of the hourly rollup, the first click of its hour), ``n`` (the clicks the
row stands for) and ``bucket`` (the Unix second its bucket starts, in ``tz``).

- Deliveries and conversions are read as they are: both are ordered by (tenant,
  campaign, ts), so a campaign's range is one contiguous read in any zone.
- A campaign's clicks come from ``campaign_contacts_hourly`` (each contact's human clicks
  on the campaign's links per hour; 0006_funnel.sql), except the hours the rollup cannot
  answer (``Raw``), which come from ``clicks``: ``split`` (UTC hour starts, Unix
  seconds) holds the hours a range end or a bucket boundary cuts (a mid-hour range, a
  half-hour zone), and ``pairs`` the (link, hour) rows that hide the first click after a
  delivery (see ``contacts``). The raw clicks are those of the links the rollup has in
  those hours, so the primary key finds them.
- A link's events are its own clicks (raw: one link's range is one read), its
  conversions (``link_id``'s skip index) and its campaign's deliveries to its contact.

Bound parameters: tenant, campaign (String); start, end (Unix ms, Int64); tz (String);
split (Array(UInt32)) and pairs (Array(Tuple(String, UInt32))) when some hours are read
raw; link and contact (String) for a link.
"""

from __future__ import annotations

from typing import Literal

from api.analytics.sql import BUCKET_START

Scope = Literal["campaign", "link"]
# Which of a campaign's clicks are read raw: none (whole hours, in the rollup), some
# hours (split and pairs), or all of them.
Raw = Literal["none", "some", "all"]

_RANGE = (
    "fromUnixTimestamp64Milli({start:Int64}, 'UTC') AS range_start,"
    " fromUnixTimestamp64Milli({end:Int64}, 'UTC') AS range_end"
)
_IN_RANGE = "ts >= range_start AND ts < range_end"
_CAMPAIGN = "tenant_id = {tenant:String} AND campaign = {campaign:String}"
_LINK = "tenant_id = {tenant:String} AND link_id = {link:String}"
_HOURS = "hour >= toStartOfHour(range_start) AND hour < range_end"
# Whether the hour (Unix seconds) of a link's clicks is read raw, for Raw "some".
_RAW_HOUR = "({hour} IN {split:Array(UInt32)} OR (link_id, {hour}) IN {pairs:Array(Tuple(String, UInt32))})"


def _branch(step: int, source: str, where: str, interval: str, rollup: bool = False) -> str:
    """One source of events: ``at`` and ``bucket`` from ``ts``, or from an hourly row."""
    if rollup:
        at, n, bucket = "toUnixTimestamp64Milli(first_ts)", "toUInt64(clicks)", "hour"
    else:
        at, n, bucket = "toUnixTimestamp64Milli(ts)", "toUInt64(1)", "ts"
    link = "''" if source == "deliveries" else "link_id"
    return f"""
    SELECT {step} AS step, contact_id, {link} AS link_id, {at} AS at, {n} AS n,
        toUnixTimestamp({BUCKET_START[interval].format(col=bucket)}) AS bucket
    FROM {source}
    WHERE {where}"""


def _campaign_clicks(interval: str, raw: Raw) -> list[str]:
    """The campaign's human clicks of contacts: hourly rows, raw clicks, or both."""
    hourly, in_raw = f"{_CAMPAIGN} AND {_HOURS}", "1"
    if raw == "some":
        in_raw = _RAW_HOUR.replace("{hour}", "toUnixTimestamp(toStartOfHour(ts))")
        hourly += " AND NOT " + _RAW_HOUR.replace("{hour}", "toUnixTimestamp(hour)")
    branches = [] if raw == "all" else [_branch(2, "campaign_contacts_hourly", hourly, interval, rollup=True)]
    if raw != "none":
        links = f"SELECT link_id FROM campaign_contacts_hourly WHERE {_CAMPAIGN} AND {_HOURS}"
        if raw == "some":
            links += " AND " + _RAW_HOUR.replace("{hour}", "toUnixTimestamp(hour)")
        where = (
            f"tenant_id = {{tenant:String}} AND link_id IN ({links}) AND {_IN_RANGE}"
            f" AND campaign = {{campaign:String}} AND NOT is_bot AND contact_id != '' AND {in_raw}"
        )
        branches.append(_branch(2, "clicks", where, interval))
    return branches


def events(scope: Scope, interval: str, raw: Raw = "none", deliveries: bool = True) -> str:
    """The union of a campaign's or a link's funnel events in the range (deliveries
    left out when not wanted)."""
    if scope == "campaign":
        delivered = _branch(1, "deliveries", f"{_CAMPAIGN} AND {_IN_RANGE}", interval)
        clicked = _campaign_clicks(interval, raw)
        converted = _branch(3, "conversions", f"{_CAMPAIGN} AND {_IN_RANGE}", interval)
    else:
        delivered = _branch(
            1,
            "deliveries",
            f"{_CAMPAIGN} AND campaign != '' AND contact_id = {{contact:String}} AND {_IN_RANGE}",
            interval,
        )
        clicked = [_branch(2, "clicks", f"{_LINK} AND {_IN_RANGE} AND NOT is_bot", interval)]
        converted = _branch(3, "conversions", f"{_LINK} AND {_IN_RANGE}", interval)
    return "\nUNION ALL".join([*([delivered] if deliveries else []), *clicked, converted])


def contacts(scope: Scope, interval: str, raw: Raw = "none") -> str:
    """One row: contacts delivered, clicked and converted; the median milliseconds from a
    contact's first delivery to their first click after it, and from their first click to
    their first conversion after it (NULL for none); and the (link, hour) rows to read raw.

    A row of the hourly rollup knows only the first of its hour's clicks. When that is no
    later than the contact's first delivery, in the delivery's hour, and the row stands for
    more clicks, one of them may be the first click after the delivery: the row is returned
    and the caller asks again with it read raw."""
    return f"""
WITH {_RANGE}
SELECT
    countIf(delivered), countIf(clicked), countIf(converted),
    quantileExactInclusive(0.5)(to_click), quantileExactInclusive(0.5)(to_convert),
    groupArrayArray(unclear)
FROM
(
    SELECT
        countIf(step = 1) > 0 AS delivered,
        countIf(step = 2) > 0 AS clicked,
        countIf(step = 3) > 0 AS converted,
        minIf(at, step = 1) AS delivered_at,
        minIf(at, step = 2) AS clicked_at,
        arrayFilter(t -> t > delivered_at, groupArrayIf(at, step = 2)) AS clicked_after,
        arrayFilter(t -> t > clicked_at, groupArrayIf(at, step = 3)) AS converted_after,
        if(delivered AND notEmpty(clicked_after), arrayMin(clicked_after) - delivered_at, NULL) AS to_click,
        if(clicked AND notEmpty(converted_after), arrayMin(converted_after) - clicked_at, NULL) AS to_convert,
        intDiv(delivered_at, 3600000) AS delivered_hour,
        if(delivered,
            arrayMap(row -> (row.3, toUInt32(delivered_hour * 3600)),
                arrayFilter(row -> row.1 <= delivered_at AND intDiv(row.1, 3600000) = delivered_hour,
                    groupArrayIf((at, n, link_id), step = 2 AND n > 1))),
            []) AS unclear
    FROM ({events(scope, interval, raw)})
    WHERE contact_id != ''
    GROUP BY contact_id
)
"""


def series(scope: Scope, interval: str, raw: Raw = "none") -> str:
    """Per step and bucket with any: the distinct contacts."""
    return f"""
WITH {_RANGE}
SELECT step, bucket, uniqExact(contact_id)
FROM ({events(scope, interval, raw)})
WHERE contact_id != ''
GROUP BY step, bucket
"""


def links(raw: Raw = "none") -> str:
    """Per link of the campaign with clicks or conversions in range: the distinct contacts
    who clicked it and who converted through it, most clicked first (then most converted,
    then by id), at most ``limit`` rows."""
    return f"""
WITH {_RANGE}
SELECT link_id, countIf(step = 2) AS clicked, countIf(step = 3) AS converted
FROM
(
    SELECT DISTINCT link_id, contact_id, step
    FROM ({events("campaign", "hour", raw, deliveries=False)})
    WHERE link_id != '' AND contact_id != ''
)
GROUP BY link_id
ORDER BY clicked DESC, converted DESC, link_id
LIMIT {{limit:UInt32}}
"""


def revenue(scope: Scope) -> str:
    """Conversions in range per currency ('' for none): their number and summed value."""
    return f"""
WITH {_RANGE}
SELECT currency, count(), sum(value)
FROM conversions
WHERE {_CAMPAIGN if scope == "campaign" else _LINK} AND {_IN_RANGE}
GROUP BY currency
"""


# Whether a campaign has any delivery or conversion at all (a campaign without live links).
ANY_EVENT = f"""
SELECT 1 FROM deliveries WHERE {_CAMPAIGN} LIMIT 1
UNION ALL
SELECT 1 FROM conversions WHERE {_CAMPAIGN} LIMIT 1
"""

# Columns each table is read by: the schema test checks them against schemas.clickhouse.
READS: dict[str, set[str]] = {
    "deliveries": {"tenant_id", "campaign", "ts", "contact_id"},
    "conversions": {"tenant_id", "campaign", "ts", "contact_id", "link_id", "currency", "value"},
    "campaign_contacts_hourly": {
        "tenant_id", "campaign", "hour", "contact_id", "link_id", "first_ts", "clicks",
    },
    "clicks": {"tenant_id", "link_id", "ts", "campaign", "is_bot", "contact_id"},
}  # fmt: skip

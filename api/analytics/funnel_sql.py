"""The SQL of a funnel: delivered → clicked → converted, in distinct contacts.

Every statement reads one union of the range's funnel events (``events``), a row each:
``step`` (1 delivered, 2 clicked, 3 converted), ``contact`` (the contact's 64-bit key,
``contact_key``; rows without a contact are left out), ``link_id``, ``at`` (Unix ms; for a
row of the hourly rollup, the first click of its hour), ``n`` (the clicks the row stands
for) and ``bucket`` (the Unix second its bucket starts, in ``tz``). Contacts are counted
by key: a number hashes and compares in a fraction of a string's time (0008_contact_keys.sql).

- Deliveries and conversions are read as they are: both are ordered by (tenant,
  campaign, ts), so a campaign's range is one contiguous read in any zone.
- A campaign's clicks come from ``campaign_contacts_hourly`` (each contact's human clicks
  on the campaign's links per hour; 0006_funnel.sql), except the hours the rollup cannot
  answer (``Raw``), which come from ``clicks``: ``split`` (UTC hour starts, Unix
  seconds) holds the hours a range end or a bucket boundary cuts (a mid-hour range, a
  half-hour zone), and ``pairs`` the (link, hour) rows that hide the first click after a
  delivery (see ``gaps``). The raw clicks are those of the links the rollup has in
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
# The key of no contact (''): the tables store contact_key as cityHash64(contact_id).
_NO_CONTACT = "cityHash64('')"


def _branch(step: int, source: str, where: str, interval: str, rollup: bool = False) -> str:
    """One source of events: ``at`` and ``bucket`` from ``ts``, or from an hourly row."""
    if rollup:
        at, n, bucket = "toUnixTimestamp64Milli(first_ts)", "toUInt64(clicks)", "hour"
    else:
        at, n, bucket = "toUnixTimestamp64Milli(ts)", "toUInt64(1)", "ts"
    link = "''" if source == "deliveries" else "link_id"
    # Raw clicks have no stored key; they are read for a few hours or one link only.
    key = "cityHash64(contact_id)" if source == "clicks" else "contact_key"
    return f"""
    SELECT {step} AS step, {key} AS contact, {link} AS link_id, {at} AS at, {n} AS n,
        toUnixTimestamp({BUCKET_START[interval].format(col=bucket)}) AS bucket
    FROM {source}
    WHERE {where} AND contact != {_NO_CONTACT}"""


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


def events(scope: Scope, interval: str, raw: Raw = "none") -> str:
    """The union of a campaign's or a link's funnel events in the range."""
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
    return "\nUNION ALL".join([delivered, *clicked, converted])


def _with(scope: Scope, interval: str, raw: Raw) -> str:
    """The range and the events, named once for every part of a statement (the SQL text
    stays short: clickhouse-connect reads it character by character to bind parameters)."""
    return f"WITH {_RANGE}, events AS ({events(scope, interval, raw)})\n"


_CONTACTS = """
SELECT
    countIf(delivered) AS delivered_contacts, countIf(clicked) AS clicked_contacts,
    countIf(converted) AS converted_contacts,
    [quantileExactInclusiveIf(0.5)(clicked_at - delivered_at, click_told),
     quantileExactInclusiveIf(0.5)(converted_at - clicked_at, conversion_told)] AS medians,
    groupArrayIf(contact, untold) AS untold_contacts,
    if(countIf(untold) > 0, groupArrayIf(clicked_at - delivered_at, click_told), []) AS click_gaps,
    if(countIf(untold) > 0, groupArrayIf(converted_at - clicked_at, conversion_told), []) AS conversion_gaps
FROM
(
    SELECT
        contact,
        countIf(step = 1) > 0 AS delivered,
        countIf(step = 2) > 0 AS clicked,
        countIf(step = 3) > 0 AS converted,
        minIf(at, step = 1) AS delivered_at,
        minIf(at, step = 2) AS clicked_at,
        minIf(at, step = 3) AS converted_at,
        (delivered AND clicked AND clicked_at <= delivered_at
            AND (maxIf(at, step = 2) > delivered_at OR maxIf(n, step = 2) > 1))
        OR (clicked AND converted AND converted_at <= clicked_at
            AND maxIf(at, step = 3) > clicked_at) AS untold,
        delivered AND clicked AND clicked_at > delivered_at AND NOT untold AS click_told,
        clicked AND converted AND converted_at > clicked_at AND NOT untold AS conversion_told
    FROM events
    GROUP BY contact
)"""

_SERIES = """
SELECT step, bucket, uniqExact(contact) AS contacts
FROM events
GROUP BY step, bucket"""

_LINKS = """
SELECT link_id, countIf(step = 2) AS clicked, countIf(step = 3) AS converted
FROM (SELECT DISTINCT link_id, contact, step FROM events WHERE step != 1)
GROUP BY link_id
ORDER BY clicked DESC, converted DESC, link_id
LIMIT {limit:UInt32}"""

_NO_ARRAYS = ", ".join(f"CAST([], 'Array({kind})')" for kind in ("Float64", "String", "Int64", "Int64"))


def funnel(scope: Scope, interval: str, raw: Raw = "none") -> str:
    """A funnel in one statement, whose parts ClickHouse reads side by side: rows (kind,
    name, x, y, z, value, medians, untold, click_gaps, conversion_gaps) of four kinds (the
    columns a kind does not use hold zeros and empty arrays):

    0. One row: the contacts delivered, clicked and converted as (x, y, z); ``medians``,
       the median milliseconds from a contact's first delivery to their first click after
       it and from their first click to their first conversion after it (NaN for none),
       over the contacts whose first events tell them; ``untold``, the contacts whose
       first events do not (``gaps`` finds theirs); and, only when there are such
       contacts, the gaps of the others, to take the medians with theirs.
    1. Per step and bucket with any, the distinct contacts: (step, bucket, contacts) as
       (x, y, z).
    2. For a campaign, the first ``limit`` rows of ``links``: (link_id, clicked,
       converted) as (name, x, y).
    3. Per currency ('' for none), the conversions and their summed value: (currency,
       conversions, value) as (name, x, value).

    The first click after the first delivery is the first click when that comes later,
    and none when every click (every rollup row standing for one click) comes before; so
    only a contact who clicked both before and after their first delivery needs the times
    of all their clicks. The same holds for conversions after the first click. The cheap
    aggregates of kind 0 are all that most contacts need."""
    return _with(scope, interval, raw) + "\nUNION ALL\n".join(_parts(scope))


def funnel_halves(scope: Scope, interval: str, raw: Raw = "none") -> tuple[str, str]:
    """``funnel`` as two statements of about equal work to run side by side on two
    connections: the row of kind 0, and the rows of kinds 1 to 3. On a small machine
    ClickHouse runs the parts of one statement's UNION ALL mostly one after another."""
    contacts, *rest = _parts(scope)
    head = _with(scope, interval, raw)
    return head + contacts, head + "\nUNION ALL\n".join(rest)


def _parts(scope: Scope) -> list[str]:
    parts = [
        "SELECT 0 AS kind, '' AS name, delivered_contacts AS x, clicked_contacts AS y,"
        " converted_contacts AS z, toDecimal128(0, 4) AS value, medians, untold_contacts AS untold,"
        f" click_gaps, conversion_gaps FROM ({_CONTACTS})",
        f"SELECT 1, '', step, bucket, contacts, 0, {_NO_ARRAYS} FROM ({_SERIES})",
        f"SELECT 3, currency, conversions, 0, 0, total, {_NO_ARRAYS} FROM ({_revenue(scope)})",
    ]
    if scope == "campaign":
        parts.append(f"SELECT 2, link_id, clicked, converted, 0, 0, {_NO_ARRAYS} FROM ({_LINKS})")
    return parts


def links(raw: Raw = "none") -> str:
    """Per link of the campaign with clicks or conversions in range: the distinct contacts
    who clicked it and who converted through it, most clicked first (then most converted,
    then by id), at most ``limit`` rows."""
    return _with("campaign", "hour", raw) + _LINKS


def gaps(scope: Scope, interval: str, raw: Raw = "none", listed: bool = True) -> str:
    """One row: the milliseconds from each contact's first delivery to their first click
    after it, and from their first click to their first conversion after it, of the
    contacts listed (``{contacts:Array(UInt64)}``, contact keys) or of every
    contact; and the (link, hour) rows to read raw.

    A row of the hourly rollup knows only the first of its hour's clicks. When that is no
    later than the contact's first delivery, in the delivery's hour, and the row stands for
    more clicks, one of them may be the first click after the delivery: the row is returned
    and the caller asks again with it read raw."""
    chosen = " WHERE contact IN {contacts:Array(UInt64)}" if listed else ""
    return (
        _with(scope, interval, raw)
        + f"""
SELECT groupArray(to_click), groupArray(to_convert), groupArrayArray(unclear)
FROM
(
    SELECT
        countIf(step = 1) > 0 AS delivered,
        countIf(step = 2) > 0 AS clicked,
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
    FROM events{chosen}
    GROUP BY contact
)
"""
    )


def _revenue(scope: Scope) -> str:
    return f"""
SELECT currency, count() AS conversions, sum(value) AS total
FROM conversions
WHERE {_CAMPAIGN if scope == "campaign" else _LINK} AND {_IN_RANGE}
GROUP BY currency"""


# Whether a campaign has any delivery or conversion at all (a campaign without live links).
ANY_EVENT = f"""
SELECT 1 FROM deliveries WHERE {_CAMPAIGN} LIMIT 1
UNION ALL
SELECT 1 FROM conversions WHERE {_CAMPAIGN} LIMIT 1
"""

# Columns each table is read by: the schema test checks them against schemas.clickhouse.
READS: dict[str, set[str]] = {
    "deliveries": {"tenant_id", "campaign", "ts", "contact_id", "contact_key"},
    "conversions": {"tenant_id", "campaign", "ts", "contact_key", "link_id", "currency", "value"},
    "campaign_contacts_hourly": {
        "tenant_id", "campaign", "hour", "contact_key", "link_id", "first_ts", "clicks",
    },
    "clicks": {"tenant_id", "link_id", "ts", "campaign", "is_bot", "contact_id"},
}  # fmt: skip

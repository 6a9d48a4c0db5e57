"""The clicks of a set of links as CSV rows, read from ClickHouse a page at a time.

An export may hold millions of clicks, so nothing holds them all: each page is one query
of at most ``PAGE`` rows, oldest first, keyset-paged by (ts, event_id) as the click log
is (``api.analytics.sql.click_log``), which works the same on chDB and on a server. A
page is read, turned into CSV and dropped before the next is asked for.

Columns (``COLUMNS``): the stored click as it is. A tenant that turned metadata
collection off has its clicks stored without location, device, browser, OS and referrer
(``consumer.enrich.privacy``), so those cells are empty for them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from api.analytics.link_sets import LinkSet
from api.export_csv import Cell
from smartlinks.city_names import city_of
from smartlinks.clickhouse import Client
from smartlinks.models import from_ms, rfc3339, to_ms

PAGE = 5000

# (column, what it holds): the header row, and the OpenAPI document's description.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("time", "When the click happened: RFC 3339 in UTC to the millisecond, with `Z`."),
    ("click_id", "The click's event id (32 hex digits)."),
    ("link_id", "The link clicked."),
    ("code", "The link's code when it was clicked."),
    ("campaign", "The link's campaign, empty for none."),
    ("contact_id", "The link's contact, empty for none."),
    ("visitor", "`unique` (the visitor's first click on the link), `repeat`, or `bot`."),
    ("is_bot", "`true` or `false`."),
    ("bot_kind", "What kind of bot (`head`, `preview`, `crawler`, ...), empty for people."),
    ("bot_reason", "The rule that found the bot, empty for people."),
    ("country", "ISO 3166-1 alpha-2 code."),
    ("region", "First subdivision's English name."),
    ("city", "City."),
    ("latitude", "Approximate latitude, 4 decimals."),
    ("longitude", "Approximate longitude, 4 decimals."),
    ("device", "`desktop`, `mobile`, `tablet` or `other`."),
    ("browser", "Browser family."),
    ("browser_version", "Browser major version."),
    ("os", "Operating system family."),
    ("os_version", "Operating system major version."),
    ("referrer", "The referring site's host, empty for none."),
    ("method", "HTTP method of the click (`GET`, `HEAD`)."),
    ("variant", "The A/B variant's destination URL, empty for none."),
)
HEADER = tuple(name for name, _ in COLUMNS)

_SELECT = """
SELECT toUnixTimestamp64Milli(ts), event_id, link_id, code, campaign, contact_id, kind, is_bot,
    bot_kind, bot_reason, toString(country), region, city, latitude, longitude, device, browser,
    browser_version, os, os_version, referrer_host, method, variant
FROM clicks
WHERE tenant_id = {tenant:String} AND link_id IN {links:Array(String)}
    AND ts >= fromUnixTimestamp64Milli({start:Int64}, 'UTC')
    AND ts < fromUnixTimestamp64Milli({end:Int64}, 'UTC')"""
_HUMANS = " AND NOT is_bot"
# ts >= first lets the primary key skip what earlier pages read; the tuple picks up after
# the last click of the page, even among clicks of the same millisecond.
_AFTER = """
    AND ts >= fromUnixTimestamp64Milli({after_ts:Int64}, 'UTC')
    AND (ts, event_id) > (fromUnixTimestamp64Milli({after_ts:Int64}, 'UTC'), toUUID({after_id:String}))"""
_ORDER = "\nORDER BY ts, event_id\nLIMIT {limit:UInt32}"


def click_pages(
    client: Client,
    tenant_id: str,
    link_ids: Sequence[str],
    start: datetime,
    end: datetime,
    exclude_bots: bool,
    page: int = PAGE,
) -> Iterator[list[tuple[Cell, ...]]]:
    """The CSV rows (without the header) of the clicks on ``link_ids`` in [start, end),
    oldest first, ``page`` at a time. Synchronous: iterate it from a worker thread, one
    ``next`` per page."""
    links = LinkSet(link_ids)
    if not links:
        return
    params: dict[str, Any] = {"tenant": tenant_id, "start": to_ms(start), "end": to_ms(end), "limit": page}
    after: tuple[int, str] | None = None
    while True:
        query = _SELECT + (_HUMANS if exclude_bots else "") + ("" if after is None else _AFTER) + _ORDER
        if after is not None:
            params.update(after_ts=after[0], after_id=after[1])
        bound, all_params = links.bind(query, params)
        rows = client.query(bound, parameters=all_params).result_rows
        if rows:
            yield [_row(row) for row in rows]
        if len(rows) < page:
            return
        after = (rows[-1][0], rows[-1][1].hex)


_CITY = HEADER.index("city")


def _row(row: Sequence[Any]) -> tuple[Cell, ...]:
    ms, event_id, *rest = row
    cells = [rfc3339(from_ms(ms)), event_id.hex, *rest]
    # Rows stored before the consumer cut DB-IP's districts: one city, as the breakdown shows it.
    cells[_CITY] = city_of(cells[_CITY])
    return tuple(cells)

"""A link's A/B variants side by side: clicks, unique visitors and, for a link that tracks
conversions, the conversions attributed to each variant's clicks.

Read from the raw ``clicks`` table for the one link (its primary key's prefix: tenant and
link, so the read is the link's own granules) and, for conversions, from ``conversions``
(``link_id``'s skip index), joined on the click id the conversion was attributed to.
Every variant the link names is listed, in its order, with zeros when it has no clicks;
a variant removed since, that still has clicks in the range, follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from smartlinks.clickhouse import Client
from smartlinks.models import to_ms

_CLICKS = (
    "SELECT variant, count(), uniqExactIf(visitor_id, NOT is_bot) FROM clicks"
    " WHERE tenant_id = {tenant:String} AND link_id = {link:String} AND variant != ''"
    " AND ts >= fromUnixTimestamp64Milli({start:Int64}, 'UTC')"
    " AND ts < fromUnixTimestamp64Milli({end:Int64}, 'UTC')"
)
_HUMANS = " AND NOT is_bot"
_BY_VARIANT = " GROUP BY variant"
# A conversion counts in the range it happened in, for the variant of the click it was
# attributed to (by click id or as the contact's last click); that click may be older.
_CONVERSIONS = (
    "SELECT k.variant, count() FROM conversions AS c INNER JOIN ("
    " SELECT lower(hex(event_id)) AS click_id, variant FROM clicks"
    " WHERE tenant_id = {tenant:String} AND link_id = {link:String} AND variant != ''"
    ") AS k ON c.click_id = k.click_id"
    " WHERE c.tenant_id = {tenant:String} AND c.link_id = {link:String}"
    " AND c.ts >= fromUnixTimestamp64Milli({start:Int64}, 'UTC')"
    " AND c.ts < fromUnixTimestamp64Milli({end:Int64}, 'UTC')"
    " GROUP BY k.variant"
)


def variant_breakdown(
    client: Client,
    tenant_id: str,
    link_id: str,
    variants: Sequence[str],
    start: datetime,
    end: datetime,
    exclude_bots: bool,
    conversions: bool,
) -> list[dict[str, Any]]:
    """``[{destination_url, clicks, unique, conversions}]``: conversions is None when the
    link does not track them."""
    params = {"tenant": tenant_id, "link": link_id, "start": to_ms(start), "end": to_ms(end)}
    sql = _CLICKS + (_HUMANS if exclude_bots else "") + _BY_VARIANT
    clicks = {str(v): (int(n), int(u)) for v, n, u in client.query(sql, parameters=params).result_rows}
    converted: dict[str, int] = {}
    if conversions:
        rows = client.query(_CONVERSIONS, parameters=params).result_rows
        converted = {str(v): int(n) for v, n in rows}
    names = list(dict.fromkeys([*variants, *sorted(clicks)]))
    return [
        {
            "destination_url": name,
            "clicks": clicks.get(name, (0, 0))[0],
            "unique": clicks.get(name, (0, 0))[1],
            "conversions": converted.get(name, 0) if conversions else None,
        }
        for name in names
    ]

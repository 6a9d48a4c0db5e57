"""Generated clicks and the analytics they must give, computed the slow, obvious way.

The expected figures never use the code under test: buckets come from each click's local
time (zoneinfo), uniques from Python sets of visitor ids.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from consumer.enrich.row import ClickRow
from smartlinks.ids import uuid7_int

TENANT = "0190000000007000800000000000000a"
LINK = "0190000000007000800000000000000b"
OTHER_LINK = "0190000000007000800000000000000c"

Place = tuple[str, str, float | None, float | None]  # (country, city, lat, lon)

# Coordinates kept away from .x5 so rounding to 0.1 degree is the same in Float32
# (ClickHouse) and float64 (Python).
PLACES: list[Place] = [
    ("BR", "São Paulo", -23.5329, -46.6395),
    ("BR", "Rio de Janeiro", -22.9110, -43.2094),
    ("IN", "Mumbai", 19.0728, 72.8826),
    ("DE", "Berlin", 52.5244, 13.4105),
    ("US", "", 37.7510, -97.8220),  # a country-level location, no city
    ("", "", None, None),  # no location at all
]
BROWSERS = ["Chrome", "Safari", "Firefox", ""]
DEVICES = ["mobile", "desktop", "tablet", "other", ""]
SYSTEMS = ["Android", "iOS", "Windows", ""]
REFERRERS = ["", "wa.me", "t.co", "google.com"]


def local(tz: str, year: int, month: int, day: int) -> datetime:
    """Midnight of that date in zone ``tz``."""
    return datetime(year, month, day, tzinfo=ZoneInfo(tz))


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def click(ts: int, visitor: str, link: str = LINK, **fields: Any) -> ClickRow:
    return ClickRow(
        event_id=f"{uuid7_int(ts):032x}",
        ts=ts,
        tenant_id=TENANT,
        link_id=link,
        code="abc1234",
        visitor_id=visitor,
        **fields,
    )


def crowd_click(
    rng: random.Random,
    ts: int,
    visitor: str,
    place: Place,
    profile: tuple[str, str, str],
    referrers: list[str],
    **fields: Any,
) -> ClickRow:
    """One generated click by ``visitor`` from ``place`` with a (browser, device, os)
    ``profile``: a tenth are link previews (bots, half of them HEAD, each with the kind and
    reason the consumer gives it), the referrer is one of
    ``referrers``; ``fields`` name the tenant, link, code and any other column."""
    country, city, lat, lon = place
    browser, device, system = profile
    bot = rng.random() < 0.1
    method = "HEAD" if bot and rng.random() < 0.5 else "GET"
    return ClickRow(
        event_id=f"{uuid7_int(ts):032x}",
        ts=ts,
        visitor_id=visitor,
        is_bot=bot,
        bot_kind=("head" if method == "HEAD" else "preview") if bot else "",
        bot_reason=("head" if method == "HEAD" else "preview") if bot else "",
        method=method,
        country=country,
        city=city,
        latitude=lat,
        longitude=lon,
        browser=browser,
        device=device,
        os=system,
        referrer_host=rng.choice(referrers),
        **fields,
    )


def generate(seed: int = 7) -> list[ClickRow]:
    """About 4,000 clicks on LINK (and some on OTHER_LINK) from 2025-02-20 to 2025-04-10,
    with a quiet week, plus a few around the October DST change; time-ordered."""
    rng = random.Random(seed)
    visitors = [f"visitor{n:04d}" for n in range(900)]
    home = {visitor: rng.choice(PLACES) for visitor in visitors}
    profile = {
        visitor: (rng.choice(BROWSERS), rng.choice(DEVICES), rng.choice(SYSTEMS)) for visitor in visitors
    }
    start = ms(datetime(2025, 2, 20, tzinfo=UTC))
    span = ms(datetime(2025, 4, 10, tzinfo=UTC)) - start
    quiet = (ms(datetime(2025, 3, 10, tzinfo=UTC)), ms(datetime(2025, 3, 17, tzinfo=UTC)))
    stamps = [start + rng.randrange(span) for _ in range(4200)]
    stamps = [ts for ts in stamps if not quiet[0] <= ts < quiet[1]]
    october = ms(datetime(2025, 10, 25, 12, tzinfo=UTC))
    stamps += [october + rng.randrange(48 * 3600 * 1000) for _ in range(150)]
    rows = []
    for ts in sorted(stamps):
        visitor = rng.choice(visitors)
        place = home[visitor] if rng.random() < 0.9 else rng.choice(PLACES)
        link = LINK if rng.random() < 0.9 else OTHER_LINK
        contact = rng.choice(["", "contact-1", "contact-2"])
        fields = {"tenant_id": TENANT, "link_id": link, "code": "abc1234", "contact_id": contact}
        rows.append(crowd_click(rng, ts, visitor, place, profile[visitor], REFERRERS, **fields))
    return rows


def batches(rows: list[ClickRow], size: int, seed: int = 1) -> list[list[ClickRow]]:
    """Time-ordered batches, each shuffled inside (as a consumer may see them)."""
    rng = random.Random(seed)
    out = []
    for i in range(0, len(rows), size):
        chunk = [replace(row) for row in rows[i : i + size]]
        rng.shuffle(chunk)
        out.append(chunk)
    return out


def bucket_of(ts: int, interval: str, zone: ZoneInfo) -> datetime:
    local = datetime.fromtimestamp(ts / 1000, UTC).astimezone(zone)
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.date()
    if interval == "week":
        day -= timedelta(days=day.weekday())
    elif interval == "month":
        day = date(day.year, day.month, 1)
    return datetime.combine(day, time(0), tzinfo=zone)


def expected(
    rows: list[ClickRow],
    start: datetime,
    end: datetime,
    interval: str,
    tz: str,
    exclude_bots: bool,
    link: str = LINK,
) -> dict[str, Any]:
    """The analytics of ``link`` over [start, end) as API.md defines them."""
    zone = ZoneInfo(tz)
    chosen = [row for row in rows if row.link_id == link and ms(start) <= row.ts < ms(end)]
    counted = [row for row in chosen if not (exclude_bots and row.is_bot)]
    humans = [row for row in chosen if not row.is_bot]

    series: dict[str, list[Any]] = defaultdict(lambda: [0, set(), 0])
    for row in chosen:
        bucket = bucket_of(row.ts, interval, zone).isoformat()
        # The contract writes a bucket with its zone's offset, Z in UTC.
        figures = series[bucket.replace("+00:00", "Z") if tz == "UTC" else bucket]
        if not row.is_bot:
            figures[0] += 1
            figures[1].add(row.visitor_id)
        elif not exclude_bots:
            figures[0] += 1
            figures[2] += 1

    countries: dict[str, list[Any]] = defaultdict(lambda: [0, set()])
    for row in counted:
        if row.country:
            countries[row.country][0] += 1
            if not row.is_bot:
                countries[row.country][1].add(row.visitor_id)

    def names(attribute: str, unknown: str) -> dict[str, int]:
        return dict(Counter(getattr(row, attribute) or unknown for row in counted))

    return {
        "totals": {
            "total": len(counted),
            "unique": len({row.visitor_id for row in humans}),
            "bots": sum(row.is_bot for row in chosen),
        },
        "timeseries": {t: (n, len(visitors), bots) for t, (n, visitors, bots) in series.items() if n},
        "countries": {c: (n, len(visitors)) for c, (n, visitors) in countries.items()},
        "cities": dict(Counter((row.country, row.city) for row in counted if row.city)),
        "locations": dict(
            Counter(
                (round(row.latitude, 1), round(row.longitude, 1))
                for row in counted
                if row.latitude is not None and row.longitude is not None
            )
        ),
        "browsers": names("browser", "Unknown"),
        "platforms": names("device", "Unknown"),
        "os": names("os", "Unknown"),
        "referrers": names("referrer_host", "Direct"),
    }


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    """An analytics response in the shape of ``expected`` (empty buckets dropped)."""
    return {
        "totals": result["totals"],
        "timeseries": {
            item["t"]: (item["total"], item["unique"], item["bots"])
            for item in result["timeseries"]
            if item["total"] or item["unique"] or item["bots"]
        },
        "countries": {item["country"]: (item["clicks"], item["unique"]) for item in result["countries"]},
        "cities": {(item["country"], item["city"]): item["clicks"] for item in result["cities"]},
        "locations": {(item["lat"], item["lon"]): item["clicks"] for item in result["locations"]},
        **{
            key: {item["name"]: item["clicks"] for item in result[key]}
            for key in ("browsers", "platforms", "os", "referrers")
        },
    }

"""A link's analytics and click log, as the API shows them. The figures come from the
ClickHouse queries (api/analytics/) as plain dicts in these shapes; the tests read every
response back through these Structs."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, field

from api.bodies.fields import Body, Count, Id, NextCursor, Time
from api.bodies.links import Link

Interval = Literal["hour", "day", "week", "month"]


class Range(Body):
    start: Time = field(name="from")
    end: Time = field(name="to")
    interval: Interval
    tz: str
    exclude_bots: bool


class Totals(Body):
    total: Count
    unique: Count
    bots: Count


class Bucket(Body):
    t: Annotated[str, Meta(description="The bucket's start in `tz`, with its offset.")]
    total: Count
    unique: Count
    bots: Count


class CountryCount(Body):
    country: str
    clicks: Count
    unique: Count


class CityCount(Body):
    country: str
    city: str
    clicks: Count


class LocationCount(Body):
    lat: float
    lon: float
    clicks: Count


class NamedCount(Body):
    name: str
    clicks: Count


Timeseries = Annotated[
    list[Bucket], Meta(description="Every bucket of the range in order, empty ones included.")
]


class Breakdowns(Body):
    """What a link's and a campaign's analytics share: the range and every figure but the totals."""

    range: Range
    timeseries: Timeseries
    countries: list[CountryCount]
    cities: list[CityCount]
    locations: list[LocationCount]
    browsers: list[NamedCount]
    platforms: list[NamedCount]
    os: list[NamedCount]
    referrers: list[NamedCount]


class Analytics(Breakdowns):
    """`unique` is exact: distinct human visitors (a bot is never unique). `totals.total` =
    humans + bots and `totals.bots` counts bots whatever `exclude_bots` says; with
    `exclude_bots` every other figure leaves bots out."""

    link: Link
    totals: Totals


class ClickFields(Body):
    """What every view of a click shows."""

    id: Id
    ts: Time
    kind: Literal["unique", "repeat", "bot"]
    country: Annotated[str | None, Meta(description="ISO 3166-1 alpha-2.")]
    city: str | None
    device: Literal["desktop", "mobile", "tablet", "other"] | None
    browser: str | None
    os: str | None
    referrer: str | None


class Click(ClickFields):
    contact_id: str | None


class ClickList(Body):
    items: list[Click]
    next_cursor: NextCursor

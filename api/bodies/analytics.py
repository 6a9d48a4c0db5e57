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
    t: Annotated[str, Meta(description="The bucket's start in `tz`, with its offset (`Z` in UTC).")]
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


class VariantCount(Body):
    destination_url: Annotated[str, Meta(description="The variant's destination_url, as the link names it.")]
    clicks: Count
    unique: Count
    conversions: Annotated[
        Count | None,
        Meta(
            description="Conversions attributed to this variant's clicks, in the range; null when the"
            " link does not track conversions."
        ),
    ]


class Analytics(Breakdowns):
    """`unique` is exact: distinct human visitors (a bot is never unique). `totals.total` =
    humans + bots and `totals.bots` counts bots whatever `exclude_bots` says; with
    `exclude_bots` every other figure leaves bots out."""

    link: Link
    totals: Totals
    variants: Annotated[
        list[VariantCount] | None,
        Meta(
            description="A link with A/B variants only: each variant the link names, in its order (zeros"
            " included), then any removed since that has clicks in the range."
        ),
    ] = None


# The codes are the consumer's (smartlinks.bots.bots.BOT_REASONS); a test holds this
# description to naming each of them.
BOT_REASON_CODES = {
    "head": "a HEAD request: link checkers and preview fetchers probing, never a person's click",
    "empty_ua": "no user agent at all",
    "preview": "the link-preview fetcher of a messenger or social network (WhatsApp, facebookexternalhit,"
    " Slackbot, Twitterbot, ...)",
    "probe": "the user agent is an attack (log4shell, shell, SQL or script injection)",
    "cli": "an HTTP library or command-line tool (curl, python-requests, Go-http-client, ...)",
    "crawlerdetect": "a crawler the crawlerdetect list names",
    "crawler_list": "a crawler the crawler-user-agents list names (CDN and proxy fetchers, monitors,"
    " SEO and AI crawlers)",
    "pattern_list": "a client isbot's pattern list names (monitors, recorders, scanners and tools, often"
    " appended to a browser's user agent)",
    "not_browser": "a user agent shaped like no client a person holds (a custom client, a bare product"
    " token)",
    "forged_browser": "a browser's user agent with what no browser writes: the client's own web address,"
    " a product named for an automated role, text inside (KHTML, like Gecko)",
    "feed_media": "a feed reader, podcast app or media framework",
    "tenant_ua": "your own rule: the user agent contains one of your settings' bot user agents",
    "tenant_ip": "your own rule: the client is in one of your settings' bot networks",
}
BotReason = Annotated[
    str | None,
    Meta(
        description="Why the click counts as a bot (kind `bot`), a short code; null for a person's click"
        " (and for bots recorded before reasons were). "
        + "; ".join(f"`{code}`: {meaning}" for code, meaning in BOT_REASON_CODES.items())
        + ". More codes may come: show an unknown one as it is.",
        examples=["preview"],
    ),
]


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
    bot_reason: BotReason


class Click(ClickFields):
    contact_id: str | None
    variant: Annotated[
        str | None,
        Meta(description="The A/B variant the click landed on (its destination_url); null for none."),
    ]


class ClickList(Body):
    items: list[Click]
    next_cursor: NextCursor

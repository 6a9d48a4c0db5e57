"""How fast a link's analytics page is at scale: 20M clicks, 5M of them on one link; and a
campaign's, over 10,000 per-contact links.

    .venv/bin/python bench/analytics_bench.py [--rows 20000000] [--big 5000000] [--repeat 10]
                                              [--campaign-links 10000] [--campaign-clicks 300000]
                                              [--data DIR]

Clicks are generated inside ClickHouse (INSERT ... SELECT from numbers(), so the
materialized views fill the rollups as they would from the consumer) into a chDB
database in a temporary directory, with the columns the sink would write, including
each visitor's previous-click times (computed with window functions).

The big link is a 90-day campaign: 1.6M visitors, each first clicking at a random time
and clicking again (about 3 clicks each in all) at exponentially spread gaps of a few
hours; 8% bot clicks; a visitor keeps its country, city, device and browser, 2% of
clicks come from elsewhere. The other clicks are spread over 3,000 links of 20 tenants
and 180 days. The campaign is a message to 10,000 contacts, each with a link of their
own, over the last 30 days of the big link's: 30 clicks a link (one or two people and
their link previews). Then: link_analytics of the big link (median of --repeat runs),
lifetime totals of 50 links, the first page of the click log, the campaign's analytics
with its per-link table (``campaign_analytics``, as the campaign page asks: the campaign's
rollups by its key, its 10,000 link ids at hand for ranges those cannot answer) and its
lifetime figures, and a contact's clicks. Then the same pages in zones of every kind of
offset (whole hours, DST, +05:30, +05:45, +08:45, -03:30, +13:45), one row a zone: its
first page in this table (once; a zone none of the cases above asked is new to the
process), then medians of a link's 30 days by day and 7 days by hour (dates in the
zone), of 7 days back from a moment that is no quarter hour (as the presets ask: the raw
table), and of the campaign's 30 days by day. Prints the tables and writes
bench/results/analytics.json. With --data the chDB data stays in DIR, and a later run
with the same DIR and sizes measures again without generating.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clickhouse_data import heavy, settle  # noqa: E402
from report import measure, options, print_timings, write  # noqa: E402

from api.analytics import AnalyticsQueries  # noqa: E402
from schemas.clickhouse import CLICK_DATA_TABLES  # noqa: E402
from smartlinks.clickhouse import Client, connect, migrate  # noqa: E402

TENANT = "0190000000007000800000000000aaaa"
BIG_LINK = "0190000000007000800000000000bbbb"
START = datetime(2025, 1, 1, tzinfo=UTC)  # the big link's campaign starts here
END = START + timedelta(days=90)
LINK_PREFIX, TENANT_PREFIX = "0190000000007000800000", "0190000000007000800000000000"
CAMPAIGN_LINK_PREFIX = "0190000000007000800001"  # then 10 digits: the campaign's links
CAMPAIGN = "welcome"
BIG_CAMPAIGN = "spring"  # the big link's, which the API has at hand from the link store

# Weighted countries (a visitor's home), each with 40 cities around a centre point.
COUNTRIES = str(
    ["BR"] * 4
    + ["IN"] * 2
    + ["US", "MX", "DE", "GB", "ES", "AR", "CO", "PT", "FR", "ID", "NG", "ZA", "TR", "IT"]
)
BROWSERS = str(
    ["Chrome"] * 3 + ["Safari"] * 2 + ["Samsung Internet", "Instagram", "Facebook", "Firefox", "Edge"]
)
SYSTEMS = str(["Android"] * 3 + ["iOS"] * 2 + ["Windows", "Mac OS X", "Linux"])
DEVICES = str(["mobile"] * 4 + ["desktop"] * 2 + ["tablet", "other"])
REFERRERS = str(
    [""] * 3 + ["wa.me", "l.facebook.com", "t.co", "google.com", "l.instagram.com", "linkedin.com"]
)

# One SELECT yields raw clicks (without the previous-click columns) for a link family.
# {n} rows; per row: link, visitor, a bot flag, and a time around the visitor's first click.
CLICKS = """
SELECT
    generateUUIDv7(number) AS event_id,
    ts, tenant_id, link_id, 'c0de123' AS code, campaign, contact_id,
    if(bot, 'HEAD', 'GET') AS method, bot AS is_bot, if(bot, 'preview', '') AS bot_kind,
    if(bot, 'head_request', '') AS bot_reason,
    if(cityHash64(number, 'away') % 50 = 0, {countries}[1 + cityHash64(number, 'c') % 20], home) AS country,
    concat(country, '-region') AS region,
    concat(country, '-city-', toString(city_no)) AS city,
    toFloat32(-30 + (cityHash64(country) % 60) + city_no / 10 + 0.0123) AS latitude,
    toFloat32(-90 + (cityHash64(country, 1) % 180) + city_no / 7 + 0.0123) AS longitude,
    {devices}[1 + cityHash64(visitor, 'd') % 8] AS device,
    {browsers}[1 + cityHash64(visitor, 'b') % 10] AS browser, '120' AS browser_version,
    {systems}[1 + cityHash64(visitor, 'o') % 8] AS os, '14' AS os_version,
    {referrers}[1 + cityHash64(number, 'r') % 9] AS referrer_host,
    visitor AS visitor_id
FROM
(
    SELECT number, bot, link_id, tenant_id, campaign, contact_id,
        if(bot, concat('bot-', toString(cityHash64(number) % 500)), visitor_base) AS visitor,
        {countries}[1 + cityHash64(visitor_base, 'home') % 20] AS home,
        cityHash64(visitor_base, 'city') % 40 AS city_no,
        first_click + toIntervalMillisecond(
            if(cityHash64(number, 'again') % 3 = 0, cityHash64(number, 'soon') % 60000,
               toInt64(-log((cityHash64(number, 'gap') % 1000000 + 1) / 1000001) * {gap_ms}))) AS ts
    FROM
    (
        SELECT number, cityHash64(number, 'bot') % 100 < 8 AS bot,
            {link} AS link_id, {tenant} AS tenant_id, {campaign} AS campaign, {contact} AS contact_id,
            concat('v', toString(cityHash64(number, 'who') % {visitors}), '-', link_id) AS visitor_base,
            {start} + toIntervalMillisecond(cityHash64(visitor_base, 'first') % {span_ms}) AS first_click
        FROM numbers({offset}, {n})
    )
)
"""

# The sink's previous-click columns and kind, from the visitor's earlier clicks.
WITH_HISTORY = """
INSERT INTO clicks
SELECT event_id, ts, tenant_id, link_id, code, campaign, contact_id, method,
    if(is_bot, 'bot', if(prev = 0, 'unique', 'repeat')) AS kind,
    is_bot, bot_kind, bot_reason, country, region, city, latitude, longitude, device, browser,
    browser_version, os, os_version, referrer_host, visitor_id,
    fromUnixTimestamp64Milli(prev, 'UTC') AS visitor_prev_ts,
    fromUnixTimestamp64Milli(prev_country, 'UTC') AS visitor_prev_country_ts,
    '' AS variant  -- no A/B variants (0012, the table's last column)
FROM
(
    SELECT *,
        if(is_bot, 0, lagInFrame(toUnixTimestamp64Milli(ts), 1, 0)
            OVER (PARTITION BY link_id, visitor_id, is_bot ORDER BY ts, event_id
                  ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)) AS prev,
        if(is_bot, 0, lagInFrame(toUnixTimestamp64Milli(ts), 1, 0)
            OVER (PARTITION BY link_id, visitor_id, is_bot, country ORDER BY ts, event_id
                  ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)) AS prev_country
    FROM ({clicks})
)
"""


def generate(
    client: Client, rows: int, big: int, campaign_links: int, campaign_clicks: int
) -> dict[str, float]:
    """Fill ``clicks`` (and through the views every rollup); returns seconds per step."""
    timings = {}
    started = time.perf_counter()
    common = {
        "countries": COUNTRIES,
        "browsers": BROWSERS,
        "systems": SYSTEMS,
        "devices": DEVICES,
        "referrers": REFERRERS,
    }
    big_sql = CLICKS.format(
        **common,
        n=big,
        offset=0,
        link=f"'{BIG_LINK}'",
        tenant=f"'{TENANT}'",
        campaign=f"'{BIG_CAMPAIGN}'",
        contact="''",
        visitors=int(big / 3.1),
        gap_ms=6 * 3_600_000,
        start=f"toDateTime64('{START:%Y-%m-%d %H:%M:%S}', 3, 'UTC')",
        span_ms=90 * 86_400_000 - 2 * 86_400_000,  # so that the gaps stay inside the 90 days
    )
    client.command(WITH_HISTORY.format(clicks=big_sql), settings=heavy())
    timings["big_link_seconds"] = time.perf_counter() - started
    rest, chunk = rows - big, 3_000_000
    started = time.perf_counter()
    for offset in range(0, rest, chunk):
        n = min(chunk, rest - offset)
        # 3,000 links of 20 tenants; a chunk holds whole links so windows stay per chunk.
        link = f"concat('{LINK_PREFIX}', leftPad(toString({offset} + number % {n // 5000}), 10, '0'))"
        other_sql = CLICKS.format(
            **common,
            n=n,
            offset=offset,
            link=link,
            tenant=f"concat('{TENANT_PREFIX}', leftPad(toString(cityHash64(link_id) % 20), 4, '0'))",
            campaign="concat('campaign-', toString(cityHash64(link_id) % 100))",
            contact="''",
            visitors=1_000_000,
            gap_ms=24 * 3_600_000,
            start=f"toDateTime64('{START - timedelta(days=90):%Y-%m-%d %H:%M:%S}', 3, 'UTC')",
            span_ms=180 * 86_400_000,
        )
        client.command(WITH_HISTORY.format(clicks=other_sql), settings=heavy())
    timings["other_links_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    campaign_sql = CLICKS.format(
        **common,
        n=campaign_clicks,
        offset=rows,
        link=f"concat('{CAMPAIGN_LINK_PREFIX}', leftPad(toString(number % {campaign_links}), 10, '0'))",
        tenant=f"'{TENANT}'",
        campaign=f"'{CAMPAIGN}'",
        contact=f"concat('contact-', toString(number % {campaign_links}))",
        visitors=2,  # the contact, and now and then someone they forwarded the message to
        gap_ms=24 * 3_600_000,
        start=f"toDateTime64('{END - timedelta(days=30):%Y-%m-%d %H:%M:%S}', 3, 'UTC')",
        span_ms=28 * 86_400_000,
    )
    client.command(WITH_HISTORY.format(clicks=campaign_sql), settings=heavy())
    timings["campaign_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    for table in CLICK_DATA_TABLES:
        client.command(f"OPTIMIZE TABLE {table} FINAL")
    timings["optimize_seconds"] = time.perf_counter() - started
    settle(client)
    return timings


def sizes(client: Client) -> dict[str, dict[str, float]]:
    result = client.query(
        "SELECT table, sum(rows), sum(data_compressed_bytes) FROM system.parts"
        " WHERE database = currentDatabase() AND active GROUP BY table ORDER BY table"
    )
    big = {
        table: client.query(
            f"SELECT count() FROM {table} WHERE link_id = {{link:String}}", parameters={"link": BIG_LINK}
        ).result_rows[0][0]
        for table in CLICK_DATA_TABLES
    }
    return {
        table: {"rows": rows, "mb": round(size / 1e6, 1), "big_link_rows": big.get(table, 0)}
        for table, rows, size in result.result_rows
    }


def main() -> None:
    args = options(
        __doc__,
        rows=20_000_000,
        big=5_000_000,
        repeat=10,
        campaign_links=10_000,
        campaign_clicks=300_000,
        data=Path,
    )

    with tempfile.TemporaryDirectory(prefix="analytics-bench-") as scratch:
        data = args.data.resolve() if args.data else Path(scratch)
        sizes_name = f"{args.rows}_{args.big}_{args.campaign_links}_{args.campaign_clicks}"
        client = connect(f"chdb://{data}", f"bench_{sizes_name}")
        migrate(client)
        stored = client.query("SELECT count() FROM clicks").result_rows[0][0]
        if stored == args.rows + args.campaign_clicks:
            timings: dict[str, float] = {}
            print(f"reusing {stored:,} clicks in {data}")
        else:
            client.command("TRUNCATE TABLE clicks")
            for table in CLICK_DATA_TABLES:
                client.command(f"TRUNCATE TABLE {table}")
            timings = generate(client, args.rows, args.big, args.campaign_links, args.campaign_clicks)
        if timings:
            spent = sum(
                timings[step] for step in ("big_link_seconds", "other_links_seconds", "campaign_seconds")
            )
            print(
                f"generated {args.rows:,} clicks ({args.big:,} on one link) and {args.campaign_clicks:,}"
                f" on a campaign of {args.campaign_links:,} links in"
                f" {spent:.0f} s, merged in {timings['optimize_seconds']:.0f} s"
            )
        queries = AnalyticsQueries(client)
        raw = AnalyticsQueries(client, use_rollups=False)

        def page(
            days: int, interval: str = "day", tz: str = "UTC", exclude: bool = False, source: Any = None
        ) -> Callable[[], object]:
            def call() -> object:
                return (source or queries).link_analytics(
                    TENANT, BIG_LINK, END - timedelta(days=days), END, interval, tz, exclude, BIG_CAMPAIGN
                )

            return call

        def zoned(end: datetime, days: int, interval: str, tz: str) -> Callable[[], object]:
            start = end - timedelta(days=days)
            return lambda: queries.link_analytics(
                TENANT, BIG_LINK, start, end, interval, tz, campaign=BIG_CAMPAIGN
            )

        local_end = END.replace(tzinfo=None)
        sao_paulo = datetime(
            local_end.year, local_end.month, local_end.day, tzinfo=_zone("America/Sao_Paulo")
        )
        kolkata = datetime(local_end.year, local_end.month, local_end.day, tzinfo=_zone("Asia/Kolkata"))
        kathmandu = datetime(local_end.year, local_end.month, local_end.day, tzinfo=_zone("Asia/Kathmandu"))
        links = [
            row[0]
            for row in client.query(
                "SELECT link_id FROM clicks_hourly WHERE link_id != {big:String} GROUP BY link_id LIMIT 49",
                parameters={"big": BIG_LINK},
            ).result_rows
        ]
        cases: dict[str, Callable[[], object]] = {
            "30d by day, UTC": page(30),
            "90d by day, UTC": page(90),
            "7d by hour, UTC": page(7, "hour"),
            "30d by day, exclude_bots": page(30, exclude=True),
            "90d by week, Europe/Berlin": page(90, "week", "Europe/Berlin"),
            "30d by day, America/Sao_Paulo": zoned(sao_paulo, 30, "day", "America/Sao_Paulo"),
            "30d by day, Asia/Kolkata": zoned(kolkata, 30, "day", "Asia/Kolkata"),
            "90d by day, Asia/Kolkata": zoned(kolkata, 90, "day", "Asia/Kolkata"),
            "7d by hour, Asia/Kolkata": zoned(kolkata, 7, "hour", "Asia/Kolkata"),
            "90d by hour, UTC": page(90, "hour"),
            "30d by hour, Asia/Kathmandu": zoned(kathmandu, 30, "hour", "Asia/Kathmandu"),
            "30d by day, raw table only": page(30, source=raw),
            "90d by day, raw table only": page(90, source=raw),
            "lifetime_clicks, 50 links": lambda: queries.lifetime_clicks(TENANT, [BIG_LINK, *links]),
            "click_log, first 50": lambda: queries.click_log(TENANT, BIG_LINK, 50),
            **campaign_cases(queries, args.campaign_links, sao_paulo),
        }
        results = {name: measure(call, args.repeat) for name, call in cases.items()}
        zones = zone_table(queries, args.campaign_links, args.repeat)
        totals = queries.link_analytics(TENANT, BIG_LINK, START, END)["totals"]
        table_sizes = sizes(client)
        client.close()

    print_timings(results)
    print_zones(zones)
    print(f"\nbig link, 90 days: {totals}")
    print("\ntable                    rows     MB  big link rows")
    for table, figures in table_sizes.items():
        print(f"{table:<22} {figures['rows']:>10,} {figures['mb']:6.1f} {figures['big_link_rows']:>14,}")

    out = {
        "rows": args.rows,
        "big_link_rows": args.big,
        "campaign_links": args.campaign_links,
        "campaign_clicks": args.campaign_clicks,
        "repeat": args.repeat,
        "generate": timings,
        "queries": results,
        "zones": zones,
        "big_link_totals_90d": totals,
        "tables": table_sizes,
    }
    write("analytics", out)


def campaign_cases(
    queries: AnalyticsQueries, n_links: int, sao_paulo: datetime
) -> dict[str, Callable[[], object]]:
    """What a campaign's page and the campaign list ask, each timed with the making of its
    parameters (a request makes them afresh)."""
    ids = [f"{CAMPAIGN_LINK_PREFIX}{n:010d}" for n in range(n_links)]
    kolkata = datetime(END.year, END.month, END.day, tzinfo=_zone("Asia/Kolkata"))
    label = f"campaign, {n_links:,} links"

    def page(start: datetime, end: datetime, interval: str = "day", tz: str = "UTC") -> Callable[[], object]:
        def call() -> object:
            return queries.campaign_analytics(TENANT, CAMPAIGN, ids, start, end, interval, tz)

        return call

    return {
        f"{label}: 30d by day + per-link table": page(END - timedelta(days=30), END),
        f"{label}: 7d by hour, Europe/Berlin": page(END - timedelta(days=7), END, "hour", "Europe/Berlin"),
        f"{label}: 30d by day, America/Sao_Paulo": page(
            sao_paulo - timedelta(days=30), sao_paulo, "day", "America/Sao_Paulo"
        ),
        f"{label}: 30d by day, Asia/Kolkata": page(
            kolkata - timedelta(days=30), kolkata, "day", "Asia/Kolkata"
        ),
        f"{label}: lifetime figures (list)": lambda: queries.lifetime_by_campaign(TENANT, [CAMPAIGN]),
        "contact view, first 50": lambda: queries.contact_log(TENANT, "contact-1234", 50),
    }


# Every kind of offset: whole hours (with and without DST), half and three-quarter hours,
# negative ones, and a 45-minute zone with DST.
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Eucla",
    "America/St_Johns",
    "Pacific/Chatham",
]
ZONE_CASES = ("first ask", "link 30d by day", "link 7d by hour", "link 7d preset", "campaign 30d by day")


def zone_table(queries: AnalyticsQueries, n_links: int, repeat: int) -> dict[str, dict[str, float]]:
    """Milliseconds of the pages of ``ZONE_CASES`` in each of ``ZONES``: the first ask once,
    the others the median of ``repeat``."""
    ids = [f"{CAMPAIGN_LINK_PREFIX}{n:010d}" for n in range(n_links)]
    # A preset is a range back from now, to the millisecond: no rollup can answer its edges.
    preset_end = END - timedelta(hours=5, minutes=7, seconds=3, milliseconds=211)
    table = {}
    for tz in ZONES:
        end = datetime(END.year, END.month, END.day, tzinfo=_zone(tz))

        def link(start: datetime, end: datetime, interval: str, tz: str = tz) -> Callable[[], object]:
            return lambda: queries.link_analytics(
                TENANT, BIG_LINK, start, end, interval, tz, campaign=BIG_CAMPAIGN
            )

        def campaign(start: datetime, end: datetime, tz: str = tz) -> Callable[[], object]:
            return lambda: queries.campaign_analytics(TENANT, CAMPAIGN, ids, start, end, "day", tz)

        started = time.perf_counter()
        link(end - timedelta(days=30), end, "day")()
        row = {"first ask": (time.perf_counter() - started) * 1000}
        pages = {
            "link 30d by day": link(end - timedelta(days=30), end, "day"),
            "link 7d by hour": link(end - timedelta(days=7), end, "hour"),
            "link 7d preset": link(preset_end - timedelta(days=7), preset_end, "day"),
            "campaign 30d by day": campaign(end - timedelta(days=30), end),
        }
        row.update({name: measure(call, repeat)["median_ms"] for name, call in pages.items()})
        table[tz] = row
    return table


def print_zones(zones: dict[str, dict[str, float]]) -> None:
    width = max(map(len, zones))
    print(f"\n{'zone (ms)':<{width}}  " + "  ".join(ZONE_CASES))
    for tz, row in zones.items():
        cells = "  ".join(f"{row[case]:>{len(case)}.1f}" for case in ZONE_CASES)
        print(f"{tz:<{width}}  {cells}")


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


if __name__ == "__main__":
    main()

"""How fast a campaign's funnel is: a message to 100,000 contacts, a link each, among a few
million rows of other campaigns and tenants.

    .venv/bin/python bench/funnel_bench.py [--contacts 100000] [--other 3000000] [--repeat 10]
                                           [--data DIR]

Everything is generated inside chDB (INSERT ... SELECT from numbers(); clicks go into
``clicks``, so the materialized views fill ``campaign_contacts_hourly`` as from the
consumer) in a temporary directory:

- The campaign: every contact gets the message over the first 20 days of the 30 measured
  (5 % of them twice, a reminder); 30 % click their link, 1 to 5 times, the first click
  minutes to hours after the delivery; link previews (bots) hit 40 % of the links; 5 % of
  the contacts convert (some twice), with a value in BRL or USD or none.
- Other traffic, ``--other`` rows in all: deliveries, clicks and conversions of 20 other
  campaigns of the same tenant and of 20 other tenants, over 90 days.

Then the campaign's funnel over the 30 days by day (``FunnelQueries.campaign_funnel``
with the campaign's 100,000 link ids, as the API calls it), median of --repeat runs after
a warm-up, and a few variations. Prints a table and writes bench/results/funnel.json.
With --data the chDB data stays in DIR, and a later run with the same DIR and sizes
measures again without generating.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clickhouse_data import heavy, settle  # noqa: E402
from report import measure, options, print_timings, write  # noqa: E402

from api.analytics.funnel import FunnelQueries, side_threads  # noqa: E402
from smartlinks.clickhouse import Client, connect, migrate  # noqa: E402

TENANT = "0190000000007000800000000000aaaa"
OTHER_TENANT_PREFIX = "0190000000007000800000000000"  # then 4 digits
LINK_PREFIX = "0190000000007000800002"  # then 10 digits: the campaign's links
OTHER_LINK_PREFIX = "0190000000007000800003"
CAMPAIGN = "launch"
START = datetime(2025, 4, 1, tzinfo=UTC)  # the measured 30 days start here
END = START + timedelta(days=30)
GOAL_MS = 100.0

_START = f"toDateTime64('{START:%Y-%m-%d %H:%M:%S}', 3, 'UTC')"
_OTHER_START = f"toDateTime64('{START - timedelta(days=30):%Y-%m-%d %H:%M:%S}', 3, 'UTC')"

# Contact n's first delivery: somewhere in the first 20 days.
_DELIVERED_AT = f"{_START} + toIntervalMillisecond(cityHash64({{n}}, 'sent') % (20 * 86400000))"

DELIVERIES = f"""
INSERT INTO deliveries
SELECT {{tenant}}, {{campaign}}, ts, concat('d-', toString(number)), contact_id,
    concat('m-', toString(number)), ts
FROM
(
    SELECT number, {{contact}} AS contact_id,
        {_DELIVERED_AT.format(n="n")} + toIntervalHour(if(number >= {{count}}, 48, 0)) AS ts
    FROM (SELECT number, number % {{count}} AS n FROM numbers({{rows}}))
)
"""

# The first click of clicker n, seconds after its delivery.
_FIRST_GAP = "toUInt64(-log((cityHash64(n, 'gap') % 1000000 + 1) / 1000001) * 7200)"

# Clicks of the campaign: for clicker n (30 % of contacts), k = 0..4 clicks after the
# delivery, the first within a few hours, the rest up to two days later; and previews
# (bots) of 40 % of the links, clickers or not, two seconds after the delivery.
CAMPAIGN_CLICKS = f"""
INSERT INTO clicks (event_id, ts, tenant_id, link_id, code, campaign, contact_id, method, kind,
    is_bot, bot_kind, country, device, browser, os, visitor_id, visitor_prev_ts, visitor_prev_country_ts)
SELECT generateUUIDv7(number), ts, '{TENANT}', concat('{LINK_PREFIX}', leftPad(toString(n), 10, '0')),
    'c0de123', '{CAMPAIGN}', concat('contact-', toString(n)), if(bot, 'HEAD', 'GET'),
    if(bot, 'bot', if(k = 0, 'unique', 'repeat')), bot, if(bot, 'preview', ''), 'BR', 'mobile',
    'Chrome', 'Android', concat('v-', toString(n)), toDateTime64(0, 3, 'UTC'), toDateTime64(0, 3, 'UTC')
FROM
(
    SELECT number, n, k, bot,
        {_DELIVERED_AT.format(n="n")} + toIntervalSecond(
            if(bot, 2, {_FIRST_GAP} + k * 3600 * (cityHash64(n, k) % 48))) AS ts
    FROM
    (
        SELECT number, intDiv(number, 6) AS n, number % 6 AS k, k = 5 AS bot
        FROM numbers({{contacts}} * 6)
    )
    WHERE (bot AND cityHash64(n, 'preview') % 10 < 4)
        OR (NOT bot AND cityHash64(n, 'clicks') % 10 < 3 AND k < 1 + cityHash64(n, 'many') % 5)
)
"""

# A sixth of the clickers (5 % of the contacts) convert, a quarter of them twice, after
# their first click; a tenth of the conversions carry no value.
CONVERSIONS = f"""
INSERT INTO conversions
SELECT '{TENANT}', '{CAMPAIGN}', ts, concat('x-', toString(number)), 'purchase',
    concat('contact-', toString(n)), concat('{LINK_PREFIX}', leftPad(toString(n), 10, '0')), '', ts,
    'last_click', if(no_value, toDecimal64(0, 4), toDecimal64(cityHash64(number, 'v') % 50000, 4) / 100),
    if(no_value, '', if(n % 3 = 0, 'USD', 'BRL')), 'BR', 'mobile', 'Chrome', 'Android', ts
FROM
(
    SELECT number, n, cityHash64(number, 'v') % 10 = 0 AS no_value,
        {_DELIVERED_AT.format(n="n")}
            + toIntervalSecond({_FIRST_GAP} + 60 + cityHash64(number, 'buy') % 86400) AS ts
    FROM (SELECT number, intDiv(number, 2) AS n, number % 2 AS k FROM numbers({{contacts}} * 2))
    WHERE cityHash64(n, 'clicks') % 10 < 3 AND cityHash64(n, 'buys') % 6 = 0
        AND (k = 0 OR cityHash64(n, 'again') % 4 = 0)
)
"""

# Other traffic: {rows} rows over 90 days, spread over 20 other campaigns of the tenant and
# 20 other tenants (10 campaigns each), a link per 3 rows.
OTHER_TENANT = (
    f"if(number % 2 = 0, '{TENANT}', concat('{OTHER_TENANT_PREFIX}', leftPad(toString(number % 20), 4, '0')))"
)
OTHER_CAMPAIGN = "concat('other-', toString(cityHash64(number, 'campaign') % 20))"
OTHER_TS = f"{_OTHER_START} + toIntervalMillisecond(cityHash64(number, 'ts') % (90 * 86400000))"
OTHER_CONTACT = "concat('someone-', toString(cityHash64(number, 'who') % 2000000))"
OTHER_LINK = f"concat('{OTHER_LINK_PREFIX}', leftPad(toString(intDiv(number, 3)), 10, '0'))"

OTHER_DELIVERIES = f"""
INSERT INTO deliveries
SELECT {OTHER_TENANT}, {OTHER_CAMPAIGN}, {OTHER_TS}, concat('od-', toString(number)), {OTHER_CONTACT}, '',
    {OTHER_TS}
FROM numbers({{rows}})
"""

OTHER_CLICKS = f"""
INSERT INTO clicks (event_id, ts, tenant_id, link_id, code, campaign, contact_id, kind, is_bot, visitor_id)
SELECT generateUUIDv7(number), {OTHER_TS}, {OTHER_TENANT}, {OTHER_LINK}, 'c0de123', {OTHER_CAMPAIGN},
    {OTHER_CONTACT}, if(number % 10 = 0, 'bot', 'unique'), number % 10 = 0, toString(number)
FROM numbers({{rows}})
"""

OTHER_CONVERSIONS = f"""
INSERT INTO conversions (tenant_id, campaign, ts, id, name, contact_id, link_id, attribution, value, currency)
SELECT {OTHER_TENANT}, {OTHER_CAMPAIGN}, {OTHER_TS}, concat('ox-', toString(number)), 'purchase',
    {OTHER_CONTACT}, {OTHER_LINK}, 'last_click', toDecimal64(19.9, 4), 'EUR'
FROM numbers({{rows}})
"""

TABLES = ("deliveries", "clicks", "conversions")
DERIVED = ("link_visitors", "clicks_hourly", "visitors_hourly", "country_visitors_hourly",
           "campaign_daily_dims", "campaign_contacts_hourly")  # fmt: skip


def generate(client: Client, contacts: int, other: int) -> dict[str, float]:
    """Fill the tables; returns seconds per step."""
    timings = {}
    started = time.perf_counter()
    campaign = {"tenant": f"'{TENANT}'", "campaign": f"'{CAMPAIGN}'", "count": contacts}
    client.command(
        DELIVERIES.format(**campaign, rows=contacts * 105 // 100, contact="concat('contact-', toString(n))"),
        settings=heavy(),
    )
    client.command(CAMPAIGN_CLICKS.format(contacts=contacts), settings=heavy())
    client.command(CONVERSIONS.format(contacts=contacts), settings=heavy())
    timings["campaign_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    for statement, share in ((OTHER_DELIVERIES, 0.4), (OTHER_CLICKS, 0.5), (OTHER_CONVERSIONS, 0.1)):
        client.command(statement.format(rows=int(other * share)), settings=heavy())
    timings["other_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    for table in (*TABLES, *DERIVED):
        client.command(f"OPTIMIZE TABLE {table} FINAL")
    timings["optimize_seconds"] = time.perf_counter() - started
    settle(client)
    return timings


def counts(client: Client) -> dict[str, dict[str, int]]:
    """Rows per table: all of them, and the campaign's."""
    out = {}
    for table in (*TABLES, "campaign_contacts_hourly"):
        total, mine = client.query(
            f"SELECT count(), countIf(tenant_id = {{tenant:String}} AND campaign = {{campaign:String}})"
            f" FROM {table}",
            parameters={"tenant": TENANT, "campaign": CAMPAIGN},
        ).result_rows[0]
        out[table] = {"rows": total, "campaign_rows": mine}
    return out


def main() -> None:
    args = options(__doc__, contacts=100_000, other=3_000_000, repeat=10, data=Path)

    with tempfile.TemporaryDirectory(prefix="funnel-bench-") as scratch:
        data = args.data.resolve() if args.data else Path(scratch)
        url, database = f"chdb://{data}", f"funnel_{args.contacts}_{args.other}"
        client = connect(url, database)
        side = connect(url, database)  # as the API runs it: half of each funnel on each
        migrate(client)
        generated = client.query("SELECT count() FROM deliveries").result_rows[0][0]
        timings: dict[str, float] = {}
        if generated == args.contacts * 105 // 100 + int(args.other * 0.4):
            print(f"reusing the data in {data}")
        else:
            for table in (*TABLES, *DERIVED):
                client.command(f"TRUNCATE TABLE {table}")
            timings = generate(client, args.contacts, args.other)
            print(f"generated in {sum(timings.values()):.0f} s")
        rows = counts(client)
        queries = FunnelQueries(client, side, side_threads(url))
        links = {f"{LINK_PREFIX}{n:010d}" for n in range(args.contacts)}  # as the API passes them

        def funnel(
            start: datetime, end: datetime, interval: str = "day", tz: str = "UTC"
        ) -> Callable[[], object]:
            return lambda: queries.campaign_funnel(TENANT, CAMPAIGN, links, start, end, interval, tz)

        kolkata = datetime(END.year, END.month, END.day, tzinfo=ZoneInfo("Asia/Kolkata"))
        main_case = "campaign funnel, 30d by day, UTC"
        cases: dict[str, Callable[[], object]] = {
            main_case: funnel(START, END),
            "campaign funnel, 7d by hour, UTC": funnel(START, START + timedelta(days=7), "hour"),
            "campaign funnel, 30d by day, Asia/Kolkata": funnel(
                kolkata - timedelta(days=30), kolkata, "day", "Asia/Kolkata"
            ),
            "campaign funnel, 30d by day, from mid-hour": funnel(START + timedelta(minutes=17), END),
            # Reminders fall in range after clicks in range: those contacts' gaps are looked up.
            "campaign funnel, 7d by day, mid-campaign": funnel(
                START + timedelta(days=5), START + timedelta(days=12)
            ),
        }
        results = {name: measure(call, args.repeat) for name, call in cases.items()}
        figures = queries.campaign_funnel(TENANT, CAMPAIGN, links, START, END)
        queries.close()
        side.close()
        client.close()

    print_timings(results)
    median = results[main_case]["median_ms"]
    print(f"\ngoal: {main_case} ≤ {GOAL_MS:.0f} ms median: {'met' if median <= GOAL_MS else 'MISSED'}")
    summary = {key: figures[key] for key in figures if key not in ("timeseries", "links")}
    print(f"the campaign, 30 days: {summary}")
    print("\ntable                          rows  campaign rows")
    for table, sizes in rows.items():
        print(f"{table:<24} {sizes['rows']:>12,} {sizes['campaign_rows']:>14,}")

    out = {
        "contacts": args.contacts,
        "other_rows": args.other,
        "repeat": args.repeat,
        "goal_ms": GOAL_MS,
        "generate": timings,
        "queries": results,
        "funnel_30d": summary,
        "tables": rows,
    }
    write("funnel", out)


if __name__ == "__main__":
    main()

"""The funnel of a campaign and of a link over real HTTP, against figures computed here the
slow, obvious way from the generated events (Python sets, sorted lists, zoneinfo).

The events: a campaign's per-contact links (two contacts with two links, one link of no
contact), deliveries (repeated, some without a contact, some out of range), human clicks
through the consumer's sink (so ``campaign_contacts_hourly`` fills as in the product),
bot clicks (one contact only ever clicked by a link preview), conversions in and out of
range in EUR, JPY or with no value; and the same names in another campaign and tenant.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from jsonschema import Draft202012Validator

from api import funnel as funnel_routes
from api.analytics import funnel as funnel_queries
from api.analytics import funnel_sql
from api.analytics.funnel import FunnelQueries
from api.contact_funnel import FUNNEL_SHOWN
from consumer.enrich.row import ClickRow
from schemas.clickhouse import CONVERSION_COLUMNS, DELIVERY_COLUMNS
from smartlinks.ids import uuid7_int
from smartlinks.models import from_ms, to_ms
from tests.api import test_campaigns
from tests.api.conftest import error_of
from tests.api.test_campaigns import BAD_RANGES, Account, AnalyticsApi, create, get
from tests.clickhouse.truth import bucket_of

pytestmark = pytest.mark.clickhouse

analytics_api = test_campaigns.analytics_api  # the API with chDB, served for this module

WINDOW = (datetime(2025, 3, 7, tzinfo=UTC), datetime(2025, 3, 23, tzinfo=UTC))  # the events
NAME = "Launch ✿ / 2025"
MINUTE, HOUR = 60_000, 3_600_000
DIGITS = {"EUR": 2, "JPY": 0}
ANY_TS = to_ms(datetime(2025, 3, 12, 12, tzinfo=UTC))  # a time inside every range tested


@dataclass
class Delivery:
    campaign: str
    contact: str
    ts: int


@dataclass
class Conversion:
    campaign: str
    contact: str
    link: str
    ts: int
    value: Decimal
    currency: str


@dataclass
class Events:
    """What a tenant's sender and its contacts did."""

    deliveries: list[Delivery] = field(default_factory=list)
    clicks: list[ClickRow] = field(default_factory=list)
    conversions: list[Conversion] = field(default_factory=list)


@dataclass
class Funnel:
    account: Account
    client: httpx.Client
    links: list[dict[str, Any]]  # the campaign's
    others: list[dict[str, Any]]  # another campaign's, and one of no campaign
    events: Events


def click(link: dict[str, Any], ts: int, bot: bool = False) -> ClickRow:
    return ClickRow(
        event_id=f"{uuid7_int(ts):032x}",
        ts=ts,
        tenant_id="",  # set by write()
        link_id=link["id"],
        code=link["code"],
        campaign=link["campaign"] or "",
        contact_id=link["contact_id"] or "",
        method="HEAD" if bot else "GET",
        is_bot=bot,
        bot_kind="preview" if bot else "",
        visitor_id=f"visitor-{link['contact_id']}-{bot}",
    )


def write(api: AnalyticsApi, tenant_id: str, events: Events) -> None:
    """Deliveries and conversions straight into their tables (as the consumer writes them,
    de-duplicated), clicks through the sink."""
    client = api.sink.client
    deliveries = [
        {
            "tenant_id": tenant_id,
            "campaign": d.campaign,
            "ts": from_ms(d.ts),
            "id": f"delivery-{n}",
            "contact_id": d.contact,
            "message_id": f"message-{n}",
            "received_at": from_ms(d.ts + 5000),
        }
        for n, d in enumerate(events.deliveries)
    ]
    conversions = [
        {
            "tenant_id": tenant_id,
            "campaign": c.campaign,
            "ts": from_ms(c.ts),
            "id": f"conversion-{n}",
            "name": "purchase",
            "contact_id": c.contact,
            "link_id": c.link,
            "click_id": "",
            "click_ts": from_ms(0),
            "attribution": "last_click" if c.link else "sent",
            "value": c.value,
            "currency": c.currency,
            "country": "",
            "device": "",
            "browser": "",
            "os": "",
            "received_at": from_ms(c.ts + 5000),
        }
        for n, c in enumerate(events.conversions)
    ]
    if deliveries:
        client.insert(
            "deliveries", [[row[k] for k in DELIVERY_COLUMNS] for row in deliveries], DELIVERY_COLUMNS
        )
    if conversions:
        client.insert(
            "conversions", [[row[k] for k in CONVERSION_COLUMNS] for row in conversions], CONVERSION_COLUMNS
        )
    for row in events.clicks:
        row.tenant_id = tenant_id
    api.write(events.clicks)


def generate(links: list[dict[str, Any]], others: list[dict[str, Any]], seed: int) -> Events:
    """Random events over WINDOW for the campaign's ``links`` and the ``others``."""
    rng = random.Random(seed)
    first, span = to_ms(WINDOW[0]), to_ms(WINDOW[1]) - to_ms(WINDOW[0])
    events = Events()
    by_contact: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for link in links:
        by_contact[link["contact_id"] or ""].append(link)
    for contact, own in by_contact.items():
        if contact == "c-late":  # see unclear_hour
            continue
        if contact == "c-preview":  # delivered; only ever clicked by a link preview
            events.deliveries.append(Delivery(NAME, contact, first + rng.randrange(span)))
            events.clicks += [click(own[0], first + rng.randrange(span), bot=True) for _ in range(4)]
            continue
        for _ in range(rng.choice([1, 1, 2, 3]) if contact else 0):
            events.deliveries.append(Delivery(NAME, contact, first + rng.randrange(span)))
        for _ in range(rng.choice([0, 0, 1, 3, 6])):
            at = first + rng.randrange(span)
            # Now and then a few clicks within the hour: a rollup row standing for several.
            for _ in range(rng.choice([1, 1, 2, 3])):
                events.clicks.append(
                    click(rng.choice(own), min(at + rng.randrange(40 * MINUTE), first + span - 1))
                )
        for _ in range(rng.randrange(3)):
            events.clicks.append(click(rng.choice(own), first + rng.randrange(span), bot=True))
        for _ in range(rng.choice([0, 0, 1, 2])):
            currency = rng.choice(["EUR", "JPY", ""])
            value = (
                Decimal(0) if not currency else Decimal(rng.randrange(1, 100_000)) / 10 ** DIGITS[currency]
            )
            link = rng.choice([*own, None]) if contact else own[0]
            events.conversions.append(
                Conversion(
                    NAME, contact, link["id"] if link else "", first + rng.randrange(span), value, currency
                )
            )
    # Deliveries and a conversion without a contact; a value beyond the currency's cents.
    events.deliveries += [Delivery(NAME, "", first + rng.randrange(span)) for _ in range(3)]
    events.conversions.append(Conversion(NAME, "", "", first + 3 * 86_400_000, Decimal("0.0005"), "EUR"))
    # A contact who got the message but has no link; the same contacts in another campaign.
    events.deliveries.append(Delivery(NAME, "c-linkless", first + 5 * 86_400_000))
    for link in others:
        contact = link["contact_id"] or ""
        events.deliveries.append(Delivery(link["campaign"] or "", contact, ANY_TS))
        events.clicks += [click(link, first + rng.randrange(span)) for _ in range(3)]
        events.conversions.append(
            Conversion(
                link["campaign"] or "", contact, link["id"], first + rng.randrange(span), Decimal(7), "EUR"
            )
        )
    return events


def unclear_hour(links: list[dict[str, Any]]) -> Events:
    """c-late: first delivered at 12:30, clicked at 12:10 and 12:50 of the same hour: the
    rollup's row for that hour says 12:10 and two clicks, so only the raw clicks tell that
    the first click after the delivery is at 12:50."""
    [link] = [link for link in links if link["contact_id"] == "c-late"]
    noon = to_ms(datetime(2025, 3, 12, 12, tzinfo=UTC))
    return Events(
        deliveries=[Delivery(NAME, "c-late", noon + 30 * MINUTE), Delivery(NAME, "c-late", noon + 26 * HOUR)],
        clicks=[
            click(link, noon + 10 * MINUTE),
            click(link, noon + 50 * MINUTE),
            click(link, noon + 3 * HOUR),
        ],
        conversions=[Conversion(NAME, "c-late", link["id"], noon + 2 * HOUR, Decimal("12.5"), "EUR")],
    )


@pytest.fixture(scope="module")
def launch(analytics_api: AnalyticsApi) -> Iterator[Funnel]:
    account = analytics_api.new_account("funnel sender")
    client = analytics_api.client(account)
    contacts = [f"c{n}" for n in range(30)] + ["c-preview", "c-late"]
    links = [create(client, campaign=NAME, contact_id=contact) for contact in contacts]
    links += [create(client, campaign=NAME, contact_id=contact) for contact in ("c0", "c1")]
    links.append(create(client, campaign=NAME))  # a link of no contact (a broadcast)
    others = [create(client, campaign="autumn", contact_id="c0"), create(client, contact_id="c2")]
    events = generate(links, others, seed=2025)
    late = unclear_hour(links)
    for name in ("deliveries", "clicks", "conversions"):
        getattr(events, name).extend(getattr(late, name))
    write(analytics_api, account.id, events)
    # The same campaign name in another tenant: none of it may show.
    rival = analytics_api.new_account("rival sender")
    with analytics_api.client(rival) as rival_client:
        rival_links = [create(rival_client, campaign=NAME, contact_id=f"c{n}") for n in range(3)]
        write(analytics_api, rival.id, generate(rival_links, [], seed=7))
    try:
        yield Funnel(account, client, links, others, events)
    finally:
        client.close()


# -- the figures as the contract defines them ----------------------------------------------


def label(bucket: datetime, zone: ZoneInfo) -> str:
    """A bucket as the contract writes it: with its zone's offset, ``Z`` in UTC."""
    text = bucket.isoformat()
    return text.replace("+00:00", "Z") if zone.key == "UTC" else text


def every_bucket(start: datetime, end: datetime, interval: str, zone: ZoneInfo) -> list[str]:
    """The buckets overlapping [start, end): each is at least 30 minutes long, so stepping
    by 15 minutes meets them all."""
    found: dict[str, None] = {}
    at = to_ms(start)
    while at < to_ms(end):
        found[label(bucket_of(at, interval, zone), zone)] = None
        at += 15 * MINUTE
    found[label(bucket_of(to_ms(end) - 1, interval, zone), zone)] = None
    return list(found)


def expected(
    events: Events,
    start: datetime,
    end: datetime,
    interval: str,
    tz: str,
    link: dict[str, Any] | None = None,
    campaign_links: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The funnel of the campaign NAME (with ``campaign_links``' rows), or of ``link``."""
    lo, hi = to_ms(start), to_ms(end)
    if link is None:
        deliveries = [d for d in events.deliveries if d.campaign == NAME]
        clicks = [c for c in events.clicks if c.campaign == NAME]
        conversions = [c for c in events.conversions if c.campaign == NAME]
    else:
        deliveries = [
            d
            for d in events.deliveries
            if link["campaign"] and d.campaign == link["campaign"] and d.contact == (link["contact_id"] or "")
        ]
        clicks = [c for c in events.clicks if c.link_id == link["id"]]
        conversions = [c for c in events.conversions if c.link == link["id"]]
    deliveries = [d for d in deliveries if lo <= d.ts < hi]
    clicks = [c for c in clicks if lo <= c.ts < hi and not c.is_bot]
    conversions = [c for c in conversions if lo <= c.ts < hi]

    steps: list[dict[str, list[int]]] = [defaultdict(list), defaultdict(list), defaultdict(list)]
    for step, items in enumerate(
        [
            [(d.contact, d.ts) for d in deliveries],
            [(c.contact_id, c.ts) for c in clicks],
            [(c.contact, c.ts) for c in conversions],
        ]
    ):
        for contact, ts in items:
            if contact:
                steps[step][contact].append(ts)
    delivered, clicked, converted = steps

    def median_gap(before: dict[str, list[int]], after: dict[str, list[int]]) -> float | None:
        gaps = []
        for contact, times in before.items():
            later = [ts for ts in after.get(contact, []) if ts > min(times)]
            if later:
                gaps.append(min(later) - min(times))
        return statistics.median(gaps) / 1000 if gaps else None

    zone = ZoneInfo(tz)
    labels = every_bucket(start, end, interval, zone)
    per_bucket: list[dict[str, set[str]]] = [defaultdict(set) for _ in steps]
    for contacts, step in zip(per_bucket, steps, strict=True):
        for contact, times in step.items():
            for ts in times:
                contacts[label(bucket_of(ts, interval, zone), zone)].add(contact)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for conversion in conversions:
        if conversion.currency:
            revenue[conversion.currency] += conversion.value
    rows = []
    for row_link in campaign_links if link is None else [link]:
        rows.append(
            {
                "link_id": row_link["id"],
                "code": row_link["code"],
                "clicked": len(
                    {c.contact_id for c in clicks if c.link_id == row_link["id"] and c.contact_id}
                ),
                "converted": len({c.contact for c in conversions if c.link == row_link["id"] and c.contact}),
            }
        )
    rows.sort(key=lambda row: (-row["clicked"], -row["converted"], row["link_id"]))
    return {
        "delivered": len(delivered),
        "clicked": len(clicked),
        "converted": len(converted),
        "click_rate": len(clicked) / len(delivered) if delivered else None,
        "conversion_rate": len(converted) / len(clicked) if clicked else None,
        "conversions": len(conversions),
        "revenue": [
            {"currency": currency, "value": exact(total, DIGITS[currency])}
            for currency, total in sorted(revenue.items())
        ],
        "median_time_to_click_s": median_gap(delivered, clicked),
        "median_time_to_convert_s": median_gap(clicked, converted),
        "timeseries": [
            {
                "t": label,
                "delivered": len(per_bucket[0][label]),
                "clicked": len(per_bucket[1][label]),
                "converted": len(per_bucket[2][label]),
            }
            for label in labels
        ],
        "links": rows,
        "links_truncated": False,
    }


def exact(total: Decimal, digits: int) -> str:
    """A sum with the currency's decimals, or with every decimal it has if it has more."""
    shown = total.quantize(Decimal(1).scaleb(-digits))
    return str(shown) if shown == total else str(total.normalize())


def funnel_path(name: str) -> str:
    return f"/api/v1/campaigns/{quote(name, safe='')}/funnel"


def without_range(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "range"}


# (params, start, end, why): whole UTC days, a half-hour zone by day and by hour (every
# hour cut in two), a range starting and ending mid-hour, weeks across a DST change.
KOLKATA, BERLIN = ZoneInfo("Asia/Kolkata"), ZoneInfo("Europe/Berlin")
CASES = [
    (
        {"from": "2025-03-10", "to": "2025-03-19"},
        datetime(2025, 3, 10, tzinfo=UTC),
        datetime(2025, 3, 20, tzinfo=UTC),
        "UTC days",
    ),
    (
        {"from": "2025-03-10", "to": "2025-03-19", "tz": "Asia/Kolkata"},
        datetime(2025, 3, 10, tzinfo=KOLKATA),
        datetime(2025, 3, 20, tzinfo=KOLKATA),
        "Kolkata days",
    ),
    (
        {"from": "2025-03-11", "to": "2025-03-13", "tz": "Asia/Kolkata", "interval": "hour"},
        datetime(2025, 3, 11, tzinfo=KOLKATA),
        datetime(2025, 3, 14, tzinfo=KOLKATA),
        "Kolkata hours",
    ),
    (
        {"from": "2025-03-08T10:17:05Z", "to": "2025-03-21T03:00:59.5Z"},
        datetime(2025, 3, 8, 10, 17, 5, tzinfo=UTC),
        datetime(2025, 3, 21, 3, 0, 59, 500_000, tzinfo=UTC),
        "mid-hour ends",
    ),
    (
        {"from": "2025-03-03", "to": "2025-03-30", "tz": "Europe/Berlin", "interval": "week"},
        datetime(2025, 3, 3, tzinfo=BERLIN),
        datetime(2025, 3, 31, tzinfo=BERLIN),
        "Berlin weeks, DST",
    ),
]


@pytest.mark.parametrize(("params", "start", "end", "why"), CASES, ids=[case[3] for case in CASES])
def test_the_campaign_funnel_is_its_events_counted(
    launch: Funnel, params: dict[str, str], start: datetime, end: datetime, why: str
) -> None:
    body = get(launch.client, funnel_path(NAME), **params)
    interval, tz = params.get("interval", "day"), params.get("tz", "UTC")
    assert body["range"] == {
        "from": start.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "to": end.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "interval": interval,
        "tz": tz,
    }
    truth = expected(launch.events, start, end, interval, tz, campaign_links=launch.links)
    assert without_range(body) == truth
    # The data is rich enough to mean something.
    assert min(body["delivered"], body["clicked"], body["converted"]) > 1
    assert body["median_time_to_click_s"] and body["median_time_to_convert_s"]
    if why == "UTC days":
        assert body["conversions"] > body["converted"] and len(body["revenue"]) == 2
        assert sum(row["clicked"] > 0 for row in body["links"]) > 5


@pytest.mark.parametrize(("params", "start", "end", "why"), CASES, ids=[case[3] for case in CASES])
def test_a_link_funnel_is_its_own_events_counted(
    launch: Funnel, params: dict[str, str], start: datetime, end: datetime, why: str
) -> None:
    interval, tz = params.get("interval", "day"), params.get("tz", "UTC")
    for link in [*launch.links, *launch.others]:
        body = get(launch.client, f"/api/v1/links/{link['id']}/funnel", **params)
        assert without_range(body) == expected(launch.events, start, end, interval, tz, link=link), link
        assert body["range"]["tz"] == tz
    # A link of no campaign has no deliveries, though its contact got a message of none.
    assert Delivery("", "c2", ANY_TS) in launch.events.deliveries
    assert get(launch.client, f"/api/v1/links/{launch.others[1]['id']}/funnel", **params)["delivered"] == 0


def test_bots_never_make_a_contact_clicked(launch: Funnel) -> None:
    [link] = [link for link in launch.links if link["contact_id"] == "c-preview"]
    window = {"from": "2025-03-01", "to": "2025-03-31"}
    body = get(launch.client, f"/api/v1/links/{link['id']}/funnel", **window)
    assert body["delivered"] == 1 and body["clicked"] == 0 and body["click_rate"] == 0
    assert [row["clicked"] for row in body["links"]] == [0]
    campaign = get(launch.client, funnel_path(NAME), **window)
    assert [row["clicked"] for row in campaign["links"] if row["link_id"] == link["id"]] == [0]
    preview_clicks = [c for c in launch.events.clicks if c.link_id == link["id"]]
    assert preview_clicks and all(c.is_bot for c in preview_clicks)


def test_the_first_click_after_a_delivery_is_found_inside_a_rollup_hour(
    analytics_api: AnalyticsApi, launch: Funnel, monkeypatch: pytest.MonkeyPatch
) -> None:
    [link] = [link for link in launch.links if link["contact_id"] == "c-late"]
    # The rollup holds 12:10 and two clicks for that hour: it cannot say 12:50 alone.
    [(first, clicks)] = analytics_api.queries.client.query(
        "SELECT min(first_ts), sum(clicks) FROM campaign_contacts_hourly"
        " WHERE link_id = {link:String} AND hour = '2025-03-12 12:00:00'",
        parameters={"link": link["id"]},
    ).result_rows
    assert (first.minute, clicks) == (10, 2)
    day = {"from": "2025-03-12", "to": "2025-03-12"}
    body = get(launch.client, f"/api/v1/links/{link['id']}/funnel", **day)
    assert body["median_time_to_click_s"] == 20 * 60  # 12:30 → 12:50
    assert body["median_time_to_convert_s"] == 110 * 60  # 12:10 → 14:00
    # The campaign's first statement leaves c-late's gaps untold; the next finds the row,
    # and asks again with it read raw.
    asked: list[tuple[str, str, bool]] = []
    original = funnel_sql.gaps

    def spy(scope: Any, interval: str, raw: Any = "none", listed: bool = True) -> str:
        asked.append((scope, raw, listed))
        return original(scope, interval, raw, listed)

    monkeypatch.setattr(funnel_sql, "gaps", spy)
    queries = FunnelQueries(analytics_api.queries.client)
    start, end = datetime(2025, 3, 12, tzinfo=UTC), datetime(2025, 3, 13, tzinfo=UTC)
    ids = {x["id"] for x in launch.links}
    figures = queries.campaign_funnel(launch.account.id, NAME, ids, start, end)
    assert asked == [("campaign", "none", True), ("campaign", "some", True)]
    truth = expected(launch.events, start, end, "day", "UTC", campaign_links=launch.links)
    assert figures["median_time_to_click_s"] is not None
    assert without_range(figures) == {
        **{k: v for k, v in truth.items() if k != "links_truncated"},  # told by the HTTP side
        "links": [{k: v for k, v in row.items() if k != "code"} for row in truth["links"]],
    }
    # With too many such rows every hour is read raw, with too many such contacts every
    # contact is looked at: the same figures.
    monkeypatch.setattr(funnel_queries, "MAX_RAW_PAIRS", 0)
    monkeypatch.setattr(funnel_queries, "MAX_LISTED", 0)
    asked.clear()
    assert queries.campaign_funnel(launch.account.id, NAME, ids, start, end) == figures
    assert asked == [("campaign", "none", False), ("campaign", "all", False)]


def test_the_link_table_is_capped_most_clicked_first(launch: Funnel, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(funnel_routes, "LINK_TABLE_LIMIT", 3)
    window = {"from": "2025-03-01", "to": "2025-03-31"}
    start, end = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)
    body = get(launch.client, funnel_path(NAME), **window)
    truth = expected(launch.events, start, end, "day", "UTC", campaign_links=launch.links)
    assert body["links"] == truth["links"][:3]
    assert body["links_truncated"] is True and len(launch.links) > 3
    monkeypatch.setattr(funnel_routes, "LINK_TABLE_LIMIT", len(launch.links))
    assert get(launch.client, funnel_path(NAME), **window)["links_truncated"] is False
    assert body["links"][0]["clicked"] >= body["links"][1]["clicked"] >= body["links"][2]["clicked"] > 0


def test_a_link_deleted_a_moment_ago_gives_its_place_to_the_next(
    analytics_api: AnalyticsApi, launch: Funnel
) -> None:
    """The store no longer has a link whose figures ClickHouse still holds: its row goes,
    and the table is still the first rows of the links that are left."""
    start, end = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)
    truth = expected(launch.events, start, end, "day", "UTC", campaign_links=launch.links)
    gone = truth["links"][1]["link_id"]
    live = [link for link in launch.links if link["id"] != gone]
    queries = FunnelQueries(analytics_api.queries.client)
    figures = queries.campaign_funnel(launch.account.id, NAME, {x["id"] for x in live}, start, end, limit=3)
    left = expected(launch.events, start, end, "day", "UTC", campaign_links=live)["links"][:3]
    assert figures["links"] == [{k: v for k, v in row.items() if k != "code"} for row in left]
    assert gone not in {row["link_id"] for row in figures["links"]}


def test_an_empty_range_has_zeros_and_no_rates(launch: Funnel) -> None:
    body = get(launch.client, funnel_path(NAME), **{"from": "2024-01-01", "to": "2024-01-03"})
    assert body | {"timeseries": None, "links": None, "range": None} == {
        "delivered": 0, "clicked": 0, "converted": 0, "click_rate": None, "conversion_rate": None,
        "conversions": 0, "revenue": [], "median_time_to_click_s": None, "median_time_to_convert_s": None,
        "timeseries": None, "links": None, "range": None, "links_truncated": False,
    }  # fmt: skip
    assert [point["t"] for point in body["timeseries"]] == [
        "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z",
    ]  # fmt: skip
    assert all(
        point["delivered"] == point["clicked"] == point["converted"] == 0 for point in body["timeseries"]
    )
    assert len(body["links"]) == len(launch.links) and all(row["clicked"] == 0 for row in body["links"])
    # The default range is the last 7 days, by day.
    recent = get(launch.client, funnel_path(NAME))
    assert (
        recent["delivered"] == 0 and len(recent["timeseries"]) == 8 and recent["range"]["interval"] == "day"
    )


def test_a_campaign_known_only_from_deliveries_or_conversions(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("no links")
    at = to_ms(datetime(2025, 3, 10, 9, tzinfo=UTC))
    write(
        analytics_api,
        account.id,
        Events(
            deliveries=[Delivery("sms only", "p1", at), Delivery("sms only", "p2", at + HOUR)],
            conversions=[Conversion("sold", "p1", "", at, Decimal("1.5"), "KWD")],
        ),
    )
    with analytics_api.client(account) as client:
        window = {"from": "2025-03-10", "to": "2025-03-10"}
        body = get(client, funnel_path("sms only"), **window)
        assert (body["delivered"], body["clicked"], body["click_rate"], body["links"]) == (2, 0, 0.0, [])
        assert body["links_truncated"] is False
        sold = get(client, funnel_path("sold"), **window)
        assert (sold["converted"], sold["conversions"], sold["conversion_rate"]) == (1, 1, None)
        assert sold["revenue"] == [{"currency": "KWD", "value": "1.500"}]
        for path in ("nothing", "SMS%20ONLY", "x" * 201, "%0A", "a%00b"):
            response = client.get(f"/api/v1/campaigns/{path}/funnel")
            assert error_of(response) == (404, "campaign_not_found", "campaign")


def test_tenants_see_only_their_own(analytics_api: AnalyticsApi, launch: Funnel) -> None:
    account = analytics_api.new_account("stranger")
    with analytics_api.client(account) as client:
        assert error_of(client.get(funnel_path(NAME))) == (404, "campaign_not_found", "campaign")
        link = launch.links[0]["id"]
        assert error_of(client.get(f"/api/v1/links/{link}/funnel"))[:2] == (404, "link_not_found")
    assert error_of(launch.client.get("/api/v1/links/nope/funnel"))[:2] == (404, "link_not_found")
    for path in (funnel_path(NAME), f"/api/v1/links/{launch.links[0]['id']}/funnel"):
        assert error_of(httpx.get(analytics_api.url + path))[:2] == (401, "unauthorized")


def test_a_deleted_link_leaves_the_funnel(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("deleter")
    with analytics_api.client(account) as client:
        links = [create(client, campaign="gone", contact_id=f"p{n}") for n in range(2)]
        at = to_ms(datetime(2025, 3, 10, 9, tzinfo=UTC))
        write(
            analytics_api,
            account.id,
            Events(
                deliveries=[Delivery("gone", "p0", at), Delivery("gone", "p1", at)],
                clicks=[click(link, at + MINUTE) for link in links],
                conversions=[Conversion("gone", "p0", links[0]["id"], at + HOUR, Decimal(3), "EUR")],
            ),
        )
        window = {"from": "2025-03-10", "to": "2025-03-10"}
        before = get(client, funnel_path("gone"), **window)
        assert (before["delivered"], before["clicked"], before["converted"]) == (2, 2, 1)
        assert client.delete(f"/api/v1/links/{links[0]['id']}").status_code == 204
        after = get(client, funnel_path("gone"), **window)
        # Its clicks go with it; the conversion stays the campaign's and the contact's.
        assert (after["delivered"], after["clicked"], after["converted"]) == (2, 1, 1)
        assert [row["link_id"] for row in after["links"]] == [links[1]["id"]]


@pytest.mark.parametrize(("params", "code"), BAD_RANGES)
def test_bad_queries_are_refused_like_analytics(launch: Funnel, params: dict[str, str], code: str) -> None:
    for path in (funnel_path(NAME), f"/api/v1/links/{launch.links[0]['id']}/funnel"):
        assert error_of(launch.client.get(path, params=params))[:2] == (400, code)
    analytics = launch.client.get(f"/api/v1/links/{launch.links[0]['id']}/analytics", params=params)
    assert error_of(analytics)[:2] == (400, code)


def test_responses_match_the_documented_schema(analytics_api: AnalyticsApi, launch: Funnel) -> None:
    document = httpx.get(analytics_api.url + "/api/v1/openapi.json").json()
    validator = Draft202012Validator({**document, "$ref": "#/components/schemas/Funnel"})
    for params, *_ in CASES:
        validator.validate(get(launch.client, funnel_path(NAME), **params))
        validator.validate(get(launch.client, f"/api/v1/links/{launch.links[0]['id']}/funnel", **params))
    validator.validate(get(launch.client, funnel_path(NAME), **{"from": "2024-01-01", "to": "2024-01-02"}))


def test_a_contacts_deliveries_and_conversions_read_past_the_first_page(analytics_api: AnalyticsApi) -> None:
    """The contact view holds the newest FUNNEL_SHOWN of each; the rest follow, keyset-paged,
    newest first (ties in time by id), none skipped or repeated, whatever the page size."""
    account = analytics_api.new_account("busy contact")
    at = to_ms(datetime(2025, 3, 10, 9, tzinfo=UTC))
    many = FUNNEL_SHOWN + 30
    # Pairs at the same millisecond: the order within a pair is the ids'.
    deliveries = [Delivery("drip", "pat", at + (n // 2) * MINUTE) for n in range(many)]
    conversions = [
        Conversion("drip", "pat", "", at + n * HOUR, Decimal(n), "EUR") for n in range(FUNNEL_SHOWN + 3)
    ]
    noise = Events(
        deliveries=[Delivery("drip", "sam", at)],
        conversions=[Conversion("drip", "sam", "", at, Decimal(1), "EUR")],
    )
    write(analytics_api, account.id, Events(deliveries=deliveries, conversions=conversions))
    # The events of another contact and of another tenant's "pat" are never on pat's pages.
    stranger = analytics_api.new_account("another sender")
    write(analytics_api, stranger.id, Events(deliveries=[Delivery("drip", "pat", at)]))
    truth = {
        "deliveries": sorted(((d.ts, f"delivery-{n}") for n, d in enumerate(deliveries)), reverse=True),
        "conversions": sorted(((c.ts, f"conversion-{n}") for n, c in enumerate(conversions)), reverse=True),
    }
    document = httpx.get(analytics_api.url + "/api/v1/openapi.json").json()
    with analytics_api.client(account) as client:
        write(analytics_api, account.id, noise)
        first = get(client, "/api/v1/contacts/pat/clicks")
        for kind, schema in (("deliveries", "ContactDeliveryList"), ("conversions", "ContactConversionList")):
            expected_ids = [event_id for _, event_id in truth[kind]]
            assert [item["id"] for item in first[kind]] == expected_ids[:FUNNEL_SHOWN]
            assert first[f"{kind}_truncated"] is True and first[f"{kind}_next_cursor"]
            validator = Draft202012Validator({**document, "$ref": f"#/components/schemas/{schema}"})
            # The rest, from the contact view's cursor, 7 at a time.
            seen, cursor = [item["id"] for item in first[kind]], first[f"{kind}_next_cursor"]
            while cursor:
                page = get(client, f"/api/v1/contacts/pat/{kind}", limit="7", cursor=cursor)
                validator.validate(page)
                assert page["contact_id"] == "pat" and 0 < len(page["items"]) <= 7
                seen += [item["id"] for item in page["items"]]
                cursor = page["next_cursor"]
            assert seen == expected_ids
            # From the start, in pages of the largest size: the same items as the view's.
            whole = get(client, f"/api/v1/contacts/pat/{kind}", limit="200")
            assert [item["id"] for item in whole["items"]] == expected_ids and whole["next_cursor"] is None
            assert whole["items"][:FUNNEL_SHOWN] == first[kind]
            assert get(client, f"/api/v1/contacts/nobody/{kind}") == {
                "contact_id": "nobody", "items": [], "next_cursor": None,
            }  # fmt: skip
            for params, code in (({"cursor": "nope"}, "invalid_cursor"), ({"limit": "0"}, "invalid_limit")):
                refused = client.get(f"/api/v1/contacts/pat/{kind}", params=params)
                assert error_of(refused) == (400, code, "cursor" if code == "invalid_cursor" else "limit")
        last = get(
            client, "/api/v1/contacts/pat/deliveries", limit="2", cursor=first["deliveries_next_cursor"]
        )
        assert [item["id"] for item in last["items"]] == [event_id for _, event_id in truth["deliveries"]][
            100:102
        ]
        assert get(client, "/api/v1/contacts/sam/clicks")["deliveries_next_cursor"] is None
    with analytics_api.client(stranger) as client:
        assert [item["id"] for item in get(client, "/api/v1/contacts/pat/deliveries")["items"]] == [
            "delivery-0"
        ]


def test_money_keeps_the_currency_precision_and_every_digit() -> None:
    assert funnel_queries.money(Decimal("12.5000"), "EUR") == "12.50"
    assert funnel_queries.money(Decimal("1200.0000"), "JPY") == "1200"
    assert funnel_queries.money(Decimal("1.5000"), "KWD") == "1.500"
    assert funnel_queries.money(Decimal("0.0005"), "EUR") == "0.0005"
    assert funnel_queries.money(Decimal("10.1000"), "JPY") == "10.1"
    assert funnel_queries.money(Decimal("0.0000"), "XYZ") == "0.00"


def test_a_range_before_1970_is_empty_not_an_error(launch: Funnel) -> None:
    # Found by schemathesis: a cut hour before the epoch is no UInt32, and failed the query.
    response = launch.client.get(
        f"/api/v1/campaigns/{NAME}/funnel",
        params={"tz": "Asia/Dacca", "from": "0089-09-22T18:02:27+22:05", "to": "0089-09-22"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["delivered"], body["clicked"], body["converted"]) == (0, 0, 0)
    assert [bucket["t"] for bucket in body["timeseries"]] == ["0089-09-22T00:00:00+06:01:40"]

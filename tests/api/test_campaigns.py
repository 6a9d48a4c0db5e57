"""Campaign list and campaign analytics over real HTTP: the API on a SQLite store and chDB,
clicks written by the consumer's sink, deletions applied by the analytics side as in the
product.

The central check: a campaign's analytics are its links' analytics added up, figure by
figure, for any range, interval, zone and bot setting.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from jsonschema import Draft202012Validator

from api import campaigns
from api.analytics import breakdowns, sql
from api.analytics.buckets import split_days
from api.analytics.funnel import FunnelQueries, side_threads
from api.analytics.link_sets import LinkSet
from api.analytics.query import AnalyticsQueries
from api.analytics_routes import AnalyticsClickCounter
from api.app import ApiContext, create_api
from consumer.enrich.row import ClickRow
from consumer.ingest import ClickIngest
from consumer.link_changes import AnalyticsLinkChanges
from smartlinks.changes import InProcessChangeFeed
from smartlinks.clickhouse import Client, connect, migrate
from smartlinks.outbox import ChangeRelay
from smartlinks.query_parameters import MAX_PARAMETER_CHARS
from smartlinks.settings import Settings
from smartlinks.store.sqlite import SQLiteLinkStore
from tests.api.conftest import Account, ServedStore, create, error_of
from tests.clickhouse.databases import new_database
from tests.clickhouse.truth import Place, crowd_click
from tests.support.lifespan import WithStore
from tests.support.server import serve

pytestmark = pytest.mark.clickhouse

BASE_URL = "https://sl.example"
START = datetime(2025, 3, 1, tzinfo=UTC)  # the generated clicks span 30 days from here
PLACES: list[Place] = [
    ("BR", "São Paulo", -23.5329, -46.6395),
    ("IN", "Mumbai", 19.0728, 72.8826),
    ("DE", "Berlin", 52.5244, 13.4105),
    ("US", "", 37.7510, -97.8220),
    ("", "", None, None),
]
PROFILES = [
    ("Chrome", "mobile", "Android"),
    ("Safari", "mobile", "iOS"),
    ("Firefox", "desktop", "Windows"),
    ("", "", ""),
]
REFERRERS = ["", "wa.me", "t.co"]


@dataclass
class AnalyticsApi(ServedStore):
    """The API with analytics, served for a test module; every test makes its own tenants."""

    url: str
    store: SQLiteLinkStore
    sink: ClickIngest
    queries: AnalyticsQueries
    loop: asyncio.AbstractEventLoop
    clicks: list[ClickRow] = field(default_factory=list)  # every click written, in order

    def client(self, account: Account) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {account.key}"}, timeout=30)

    def write(self, rows: list[ClickRow]) -> None:
        """Clicks into ClickHouse through the consumer's sink, oldest first, as it gets them."""
        rows = sorted(rows, key=lambda row: row.ts)
        for start in range(0, len(rows), 1000):
            self.sink.insert(rows[start : start + 1000])
        self.clicks.extend(rows)


@pytest.fixture(scope="module")
def analytics_api(tmp_path_factory: pytest.TempPathFactory, clickhouse_url: str) -> Iterator[AnalyticsApi]:
    data_dir = tmp_path_factory.mktemp("campaigns")
    with new_database(clickhouse_url) as database:
        sink_client: Client = connect(clickhouse_url, database)
        migrate(sink_client)
        query_client: Client = connect(clickhouse_url, database)
        store = SQLiteLinkStore(data_dir / "links.sqlite3")
        sink = ClickIngest(sink_client)
        feed = InProcessChangeFeed()
        feed.subscribe(AnalyticsLinkChanges(store, sink_client).apply)  # a deleted link's clicks go
        queries = AnalyticsQueries(query_client)
        # As the product runs them: half of each funnel on a second connection (the tests
        # that build FunnelQueries on one client cover the single statement).
        side_client: Client = connect(clickhouse_url, database)
        funnel = FunnelQueries(query_client, side_client, side_threads(clickhouse_url))
        ctx = ApiContext(
            Settings(data_dir=data_dir, public_url=BASE_URL),
            store,
            ChangeRelay(store, feed),
            AnalyticsClickCounter(queries),
            queries,
            funnel=funnel,
        )
        app = WithStore(create_api(ctx), store)
        with serve(app) as url:
            yield AnalyticsApi(url, store, sink, queries, app.loop)
        funnel.close()
        side_client.close()
        query_client.close()
        sink_client.close()


def generate(
    tenant_id: str, links: list[dict[str, Any]], n: int, seed: int, start: datetime = START, days: int = 30
) -> list[ClickRow]:
    """``n`` clicks on ``links`` from a small crowd (so visitors return, and click several
    links), about a tenth of them bots, spread over ``days`` from ``start``."""
    rng = random.Random(seed)
    visitors = [f"visitor-{seed}-{i}" for i in range(40)]
    home = {visitor: rng.choice(PLACES) for visitor in visitors}
    profile = {visitor: rng.choice(PROFILES) for visitor in visitors}
    first = int(start.timestamp() * 1000)
    rows = []
    for _ in range(n):
        ts = first + rng.randrange(days * 86_400_000)
        link = rng.choice(links)
        visitor = rng.choice(visitors)
        fields = {"tenant_id": tenant_id, "link_id": link["id"], "code": link["code"]}
        fields |= {"campaign": link["campaign"] or "", "contact_id": link["contact_id"] or ""}
        rows.append(crowd_click(rng, ts, visitor, home[visitor], profile[visitor], REFERRERS, **fields))
    return rows


@dataclass
class Campaign:
    """A tenant with a campaign of per-contact links (and some other links) and clicks."""

    account: Account
    client: httpx.Client
    name: str
    links: list[dict[str, Any]]
    other: list[dict[str, Any]]  # another campaign and links without one
    rows: list[ClickRow]


@pytest.fixture(scope="module")
def spring(analytics_api: AnalyticsApi) -> Iterator[Campaign]:
    account = analytics_api.new_account("spring sender")
    client = analytics_api.client(account)
    name = "Spring sale / 2025 ✿"  # a slash and a non-ASCII character, as users write them
    links = [
        create(client, campaign=name, contact_id=f"contact-{n % 4}", title=f"offer {n}") for n in range(6)
    ]
    other = [create(client, campaign="autumn", contact_id="contact-0"), create(client)]
    rows = generate(account.id, links + other, 1500, seed=11)
    analytics_api.write(rows)
    try:
        yield Campaign(account, client, name, links, other, rows)
    finally:
        client.close()


def campaign_path(name: str) -> str:
    return f"/api/v1/campaigns/{quote(name, safe='')}/analytics"


def get(client: httpx.Client, path: str, **params: str) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def added_up(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several links' analytics summed: what their campaign must show."""
    totals: Counter[str] = Counter()
    series: dict[str, Counter[str]] = defaultdict(Counter)
    lists: dict[str, Counter[Any]] = defaultdict(Counter)
    for page in pages:
        totals.update(page["totals"])
        for point in page["timeseries"]:
            series[point["t"]].update({k: v for k, v in point.items() if k != "t"})
        for item in page["countries"]:
            lists["countries"][(item["country"], "clicks")] += item["clicks"]
            lists["countries"][(item["country"], "unique")] += item["unique"]
        for item in page["cities"]:
            lists["cities"][(item["country"], item["city"])] += item["clicks"]
        for item in page["locations"]:
            lists["locations"][(item["lat"], item["lon"])] += item["clicks"]
        for name in ("browsers", "platforms", "os", "referrers"):
            for item in page[name]:
                lists[name][item["name"]] += item["clicks"]
    return {"totals": dict(totals), "series": series, "lists": lists}


def figures_of(page: dict[str, Any]) -> dict[str, Any]:
    summed = added_up([page])
    summed["totals"] = {key: page["totals"][key] for key in ("total", "unique", "bots")}
    return summed


# (params, why): ranges and buckets the rollups answer, ones needing raw edges, and ones
# only raw clicks answer (a half-hour zone; a range starting mid-hour).
CASES = [
    ({"from": "2025-03-01", "to": "2025-03-30", "interval": "day"}, "whole UTC days"),
    ({"from": "2025-03-03", "to": "2025-03-20", "interval": "week", "tz": "Europe/Berlin"}, "weeks, DST"),
    ({"from": "2025-03-10", "to": "2025-03-12", "interval": "hour", "tz": "America/Sao_Paulo"}, "hours"),
    ({"from": "2025-03-01", "to": "2025-03-31", "interval": "day", "tz": "Asia/Kolkata"}, "half-hour zone"),
    ({"from": "2025-03-05T10:17:05Z", "to": "2025-03-19T03:00:59Z", "interval": "day"}, "mid-hour"),
    ({"from": "2025-01-01", "to": "2025-06-30", "interval": "month"}, "months"),
]


@pytest.mark.parametrize(("params", "why"), CASES, ids=[why for _, why in CASES])
@pytest.mark.parametrize("exclude_bots", ["false", "true"])
def test_campaign_analytics_are_the_sum_of_its_links(
    spring: Campaign, params: dict[str, str], why: str, exclude_bots: str
) -> None:
    query = {**params, "exclude_bots": exclude_bots}
    campaign = get(spring.client, campaign_path(spring.name), **query)
    pages = [get(spring.client, f"/api/v1/links/{link['id']}/analytics", **query) for link in spring.links]
    assert campaign["totals"]["total"] > 0 and campaign["countries"] and campaign["browsers"]
    assert figures_of(campaign) == added_up(pages)
    assert [point["t"] for point in campaign["timeseries"]] == [
        point["t"] for point in pages[0]["timeseries"]
    ]
    assert campaign["range"] == pages[0]["range"]
    assert campaign["campaign"] == {"campaign": spring.name, "links": 6}
    # The per-link table holds each link's own totals, most clicks first.
    rows = {row["id"]: row for row in campaign["links"]}
    assert len(rows) == 6 and not campaign["links_truncated"]
    for link, page in zip(spring.links, pages, strict=True):
        row = rows[link["id"]]
        assert (row["total"], row["unique"], row["bots"]) == (
            page["totals"]["total"],
            page["totals"]["unique"],
            page["totals"]["bots"],
        )
        assert row["code"] == link["code"] and row["contact_id"] == link["contact_id"]
        assert row["short_url"] == f"{BASE_URL}/{link['code']}"
    totals = [row["total"] for row in campaign["links"]]
    assert totals == sorted(totals, reverse=True)
    # Contacts: the distinct contacts among the range's clicks (people only, when asked).
    start = datetime.fromisoformat(campaign["range"]["from"]).timestamp() * 1000
    end = datetime.fromisoformat(campaign["range"]["to"]).timestamp() * 1000
    ids = {link["id"] for link in spring.links}
    contacts = {
        row.contact_id
        for row in spring.rows
        if row.link_id in ids and start <= row.ts < end and not (exclude_bots == "true" and row.is_bot)
    }
    assert campaign["totals"]["contacts"] == len(contacts) > 0


def test_campaign_totals_match_the_clicks(spring: Campaign) -> None:
    ids = {link["id"] for link in spring.links}
    mine = [row for row in spring.rows if row.link_id in ids]
    body = get(spring.client, campaign_path(spring.name), **{"from": "2025-02-01", "to": "2025-04-30"})
    visitors = {(row.link_id, row.visitor_id) for row in mine if not row.is_bot}
    assert body["totals"] == {
        "total": len(mine),
        "unique": len(visitors),  # each link's visitors, added up
        "bots": sum(row.is_bot for row in mine),
        "contacts": len({row.contact_id for row in mine}),
    }
    assert body["totals"]["unique"] > len({visitor for _, visitor in visitors})  # a crowd across links


def test_the_campaign_list_has_lifetime_figures_newest_campaign_first(
    analytics_api: AnalyticsApi, spring: Campaign
) -> None:
    items = get(spring.client, "/api/v1/campaigns")["items"]
    assert [item["campaign"] for item in items] == ["autumn", spring.name]  # autumn's link came last
    for item, links in ((items[0], spring.other[:1]), (items[1], spring.links)):
        ids = {link["id"] for link in links}
        mine = [row for row in spring.rows if row.link_id in ids]
        assert item == {
            "campaign": item["campaign"],
            "links": len(links),
            "total": len(mine),
            "unique": len({(row.link_id, row.visitor_id) for row in mine if not row.is_bot}),
            "bots": sum(row.is_bot for row in mine),
            "first_link_at": links[0]["created_at"],
            "last_link_at": links[-1]["created_at"],
        }
    assert get(spring.client, "/api/v1/campaigns")["next_cursor"] is None


def test_the_campaign_list_pages(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("many campaigns")
    with analytics_api.client(account) as client:
        names = [f"c{n}" for n in range(5)]
        for name in names:
            create(client, campaign=name)
        create(client, campaign="c1")  # c1 is used again: it comes first now
        create(client, campaign="")  # an empty campaign is none
        seen, cursor = [], None
        while True:
            page = get(client, "/api/v1/campaigns", limit="2", **({"cursor": cursor} if cursor else {}))
            assert len(page["items"]) <= 2
            seen += [item["campaign"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ["c1", "c4", "c3", "c2", "c0"]
        assert error_of(client.get("/api/v1/campaigns", params={"cursor": "nope"})) == (
            400,
            "invalid_cursor",
            "cursor",
        )
        assert error_of(client.get("/api/v1/campaigns", params={"limit": "0"}))[1] == "invalid_limit"


def test_the_per_link_table_is_capped(spring: Campaign, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(campaigns, "LINK_TABLE_LIMIT", 2)
    body = get(spring.client, campaign_path(spring.name), **{"from": "2025-03-01", "to": "2025-03-30"})
    assert len(body["links"]) == 2 and body["links_truncated"]
    assert body["campaign"]["links"] == 6


def test_links_without_clicks_in_range_show_with_zeros(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("quiet")
    with analytics_api.client(account) as client:
        links = [create(client, campaign="quiet", contact_id="x") for _ in range(2)]
        analytics_api.write(generate(account.id, links[:1], 20, seed=5))
        body = get(client, campaign_path("quiet"), **{"from": "2025-03-01", "to": "2025-03-30"})
        assert [row["id"] for row in body["links"]] == [links[0]["id"], links[1]["id"]]
        assert body["links"][1] | {"total": 0, "unique": 0, "bots": 0} == body["links"][1]
        assert body["totals"]["contacts"] == 1
        empty = get(client, campaign_path("quiet"), **{"from": "2024-01-01", "to": "2024-01-31"})
        assert empty["totals"] == {"total": 0, "unique": 0, "bots": 0, "contacts": 0}
        assert all(point["total"] == 0 for point in empty["timeseries"])


def test_tenants_see_only_their_own_campaigns(analytics_api: AnalyticsApi, spring: Campaign) -> None:
    account = analytics_api.new_account("rival")
    with analytics_api.client(account) as client:
        assert get(client, "/api/v1/campaigns")["items"] == []
        assert error_of(client.get(campaign_path(spring.name))) == (404, "campaign_not_found", "campaign")
        # The same name in another tenant is another campaign.
        link = create(client, campaign=spring.name, contact_id="contact-0")
        analytics_api.write(generate(account.id, [link], 30, seed=9))
        body = get(client, campaign_path(spring.name), **{"from": "2025-03-01", "to": "2025-03-30"})
        assert body["campaign"] == {"campaign": spring.name, "links": 1}
        assert [row["id"] for row in body["links"]] == [link["id"]]
        assert body["totals"]["total"] == 30
        [item] = get(client, "/api/v1/campaigns")["items"]
        assert (item["links"], item["total"]) == (1, 30)


def test_a_deleted_links_clicks_leave_its_campaign(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("deleter")
    with analytics_api.client(account) as client:
        links = [create(client, campaign="gone", contact_id=f"p{n}") for n in range(3)]
        rows = generate(account.id, links, 300, seed=3)
        analytics_api.write(rows)
        window = {"from": "2025-03-01", "to": "2025-03-30"}
        before = get(client, campaign_path("gone"), **window)
        assert before["totals"]["total"] == 300
        assert client.delete(f"/api/v1/links/{links[0]['id']}").status_code == 204
        after = get(client, campaign_path("gone"), **window)
        kept = [row for row in rows if row.link_id != links[0]["id"]]
        assert after["totals"]["total"] == len(kept)
        assert after["totals"]["contacts"] == 2
        assert after["campaign"]["links"] == 2
        assert links[0]["id"] not in {row["id"] for row in after["links"]}
        [item] = get(client, "/api/v1/campaigns")["items"]
        assert (item["links"], item["total"]) == (2, len(kept))
        for link in links[1:]:
            assert client.delete(f"/api/v1/links/{link['id']}").status_code == 204
        assert error_of(client.get(campaign_path("gone")))[:2] == (404, "campaign_not_found")
        assert get(client, "/api/v1/campaigns")["items"] == []


@pytest.mark.parametrize(
    "name",
    ["a/b", "50% off", "  spaced  ", "ünïcödé ✓", "x" * 200, "analytics", "a/analytics", "?#&="],
)
def test_any_campaign_name_is_a_path_segment(analytics_api: AnalyticsApi, name: str) -> None:
    account = analytics_api.new_account("names")
    with analytics_api.client(account) as client:
        create(client, campaign=name)
        body = get(client, campaign_path(name))
        assert body["campaign"] == {"campaign": name, "links": 1}
        assert get(client, "/api/v1/campaigns")["items"][0]["campaign"] == name


@pytest.mark.parametrize("path", ["x" * 201, "a%00b", "%0A", "", "no-such-campaign"])
def test_names_no_link_can_have_are_not_found(spring: Campaign, path: str) -> None:
    response = spring.client.get(f"/api/v1/campaigns/{path}/analytics")
    assert error_of(response)[:2] == (404, "campaign_not_found")


# Ranges, intervals and zones every analytics request refuses (a funnel's too), with the code.
BAD_RANGES = [
    ({"interval": "fortnight"}, "invalid_interval"),
    ({"tz": "Mars/Olympus"}, "invalid_tz"),
    ({"preset": "1y"}, "invalid_preset"),
    ({"from": "2025-03-02", "to": "2025-03-01"}, "invalid_range"),
    ({"from": "2024-01-01", "to": "2025-12-31", "interval": "hour"}, "invalid_range"),
    ({"from": "yesterday"}, "invalid_datetime"),
    ({"preset": "30d", "from": "2025-03-01"}, "invalid_range"),
    ({"to": "2025-03-01"}, "invalid_range"),
    ({"from": "20250301T000000Z"}, "invalid_datetime"),  # ISO 8601's basic form is not RFC 3339
    ({"from": "2025-03-01T00:00:00"}, "invalid_datetime"),  # no offset
    ({"from": "0001-01-01T00:00:00+05:00"}, "invalid_datetime"),  # before year 1 in UTC
    ({"from": "2025-01-01", "to": "9999-12-31"}, "invalid_datetime"),  # its end is after 9999
]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        *BAD_RANGES,
        ({"exclude_bots": "maybe"}, "invalid_boolean"),
        ({"exclude_bots": ""}, "invalid_boolean"),  # a boolean: an empty value is neither
    ],
)
def test_bad_queries_are_refused_like_link_analytics(
    spring: Campaign, params: dict[str, str], code: str
) -> None:
    response = spring.client.get(campaign_path(spring.name), params=params)
    assert error_of(response)[:2] == (400, code)
    link = spring.client.get(f"/api/v1/links/{spring.links[0]['id']}/analytics", params=params)
    assert error_of(link)[:2] == (400, code)


def test_rfc_3339_timestamps_in_either_case_are_read(spring: Campaign) -> None:
    for start, end in (("2025-03-01t00:00:00z", "2025-03-02T00:00:00Z"), ("2025-03-01 00:00:00+01:00", "")):
        response = spring.client.get(campaign_path(spring.name), params={"from": start, "to": end})
        assert response.status_code == 200, response.text


def test_an_unauthenticated_request_is_refused(analytics_api: AnalyticsApi) -> None:
    for path in ("/api/v1/campaigns", campaign_path("x")):
        assert error_of(httpx.get(analytics_api.url + path))[:2] == (401, "unauthorized")


def test_a_set_larger_than_one_parameter_is_read_whole(analytics_api: AnalyticsApi, spring: Campaign) -> None:
    """Thousands of ids go as several parameters joined in SQL: the same figures."""
    ids = [link["id"] for link in spring.links]
    padding = [f"{n:032x}" for n in range(2 * MAX_PARAMETER_CHARS // 35)]  # links without clicks
    big = LinkSet([*padding[: len(padding) // 2], *ids, *padding[len(padding) // 2 :]])
    assert len(big.params) >= 2
    assert all(len(str(value)) <= MAX_PARAMETER_CHARS for value in big.params.values())
    start, end = START, START + timedelta(days=30)
    queries = analytics_api.queries
    assert queries.analytics(spring.account.id, big, start, end) == queries.analytics(
        spring.account.id, ids, start, end
    )
    assert queries.per_link(spring.account.id, big, start, end) == queries.per_link(
        spring.account.id, ids, start, end
    )
    # Ids that need escaping go as arrays, beside the others (no link has these).
    odd = LinkSet(["it's", "a,b", "back\\slash", "", *ids, "ü"])
    assert len(odd.params) == 3
    assert queries.per_link(spring.account.id, odd, start, end) == queries.per_link(
        spring.account.id, ids, start, end
    )
    [whole] = queries.lifetime_by_group(spring.account.id, [big.ids])
    assert whole == queries.lifetime_by_group(spring.account.id, [ids])[0]
    assert whole.clicks == sum(row.link_id in set(ids) for row in spring.rows)


def test_responses_match_the_documented_schemas(analytics_api: AnalyticsApi, spring: Campaign) -> None:
    document = httpx.get(analytics_api.url + "/api/v1/openapi.json").json()

    def check(schema: str, body: Any) -> None:
        Draft202012Validator({**document, "$ref": f"#/components/schemas/{schema}"}).validate(body)

    check("CampaignList", get(spring.client, "/api/v1/campaigns"))
    for params in (
        {},
        {"from": "2025-03-01", "to": "2025-03-30", "exclude_bots": "true", "tz": "Asia/Kolkata"},
    ):
        check("CampaignAnalytics", get(spring.client, campaign_path(spring.name), **params))
    check("ContactClickList", get(spring.client, "/api/v1/contacts/contact-1/clicks", limit="5"))
    check("ContactClickList", get(spring.client, "/api/v1/contacts/nobody/clicks"))
    check("Error", spring.client.get(campaign_path("nothing")).json())


def test_random_requests_never_fail(spring: Campaign) -> None:
    """Whatever the path and query say, the answer is a success or a JSON 4xx."""
    rng = random.Random(20250301)
    texts = ["", " ", "%", "%2F", "%ff%fe", "%00", "..", "/", "\\", "'", '"', "😀" * 80, "x" * 300,
             "\u202e", "\ufeff", "a%2Fb", "2025-03-01", "2025-03-01T00:00:00Z", "2025-13-45", "99999-01-01",
             "-1", "0", "201", "1e3", "true", "maybe", "UTC", "Asia/Kolkata", "../../etc",
             "Etc/GMT+14"]  # fmt: skip
    names = ["from", "to", "preset", "interval", "tz", "exclude_bots", "limit", "cursor"]
    for _ in range(300):
        segment = "".join(rng.choice(texts) for _ in range(rng.randrange(1, 3)))
        target = rng.choice(
            [
                f"/api/v1/campaigns/{segment}/analytics",
                f"/api/v1/contacts/{segment}/clicks",
                "/api/v1/campaigns",
            ]
        )
        params = {rng.choice(names): rng.choice(texts) for _ in range(rng.randrange(4))}
        response = spring.client.get(target, params=params)
        assert response.status_code < 500, (target, params, response.text)
        if response.status_code >= 400:
            assert set(response.json()["error"]) >= {"code", "message"}


SET_QUERIES = {
    **{f"series {source}": sql.series(source, "day") for source in ("rollup", "quarter", "raw")},
    **{f"country visitors {source}": sql.country_visitors(source) for source in ("rollup", "quarter", "raw")},
    **{f"per link {source}": sql.per_link(source) for source in ("rollup", "quarter", "raw")},
    "breakdowns rollup": breakdowns.ROLLUP,
    "breakdowns raw": breakdowns.RAW,
    "lifetime": sql.LIFETIME,
    "lifetime by group": sql.LIFETIME_BY_GROUP,
}


@pytest.mark.parametrize("name", SET_QUERIES)
@pytest.mark.parametrize("size", [1, 9000])  # one parameter, and several
def test_every_read_of_a_set_selects_its_links_by_primary_key(
    analytics_api: AnalyticsApi, spring: Campaign, name: str, size: int
) -> None:
    ids = [link["id"] for link in spring.links] + [f"{n:032x}" for n in range(size)]
    start, end = int(START.timestamp() * 1000), int((START + timedelta(days=30)).timestamp() * 1000)
    params = {
        "tenant": spring.account.id,
        "start": start,
        "end": end,
        "tz": "UTC",
        "sizes": [len(ids)],
        "campaigns": [spring.name],
        **breakdowns.query_params(split_days(start + 3_600_000, end - 3_600_000)),
    }
    query, bound = LinkSet(ids).bind(SET_QUERIES[name], params)
    plan = "\n".join(
        row[0]
        for row in analytics_api.queries.client.query(
            f"EXPLAIN indexes = 1 {query}", parameters=bound
        ).result_rows
    )
    reads = plan.split("ReadFromMergeTree")[1:]
    assert reads, plan
    for read in reads:
        key = read[read.index("PrimaryKey") :]
        assert re.search(rf"Condition: [^\n]*\(link_id in {len(ids)}-element set\)", key), read


CAMPAIGN_QUERIES = {
    "series and links": sql.campaign_series("day"),
    "country visitors": sql.campaign_country_visitors(),
    "breakdowns rollup": breakdowns.CAMPAIGN_ROLLUP,
    "breakdowns raw": breakdowns.CAMPAIGN_RAW,
    "lifetime": sql.LIFETIME_BY_CAMPAIGN,
}


@pytest.mark.parametrize("name", CAMPAIGN_QUERIES)
def test_every_read_of_a_campaign_selects_it_by_primary_key(
    analytics_api: AnalyticsApi, spring: Campaign, name: str
) -> None:
    """A campaign is a key range of the campaign-ordered rollups, never a list of its links."""
    start, end = int(START.timestamp() * 1000), int((START + timedelta(days=30)).timestamp() * 1000)
    params = {
        "tenant": spring.account.id,
        "campaign": spring.name,
        "campaigns": [spring.name],
        "start": start,
        "end": end,
        "tz": "UTC",
        **breakdowns.query_params(split_days(start + 3_600_000, end - 3_600_000)),
    }
    plan = "\n".join(
        row[0]
        for row in analytics_api.queries.client.query(
            f"EXPLAIN indexes = 1 {CAMPAIGN_QUERIES[name]}", parameters=params
        ).result_rows
    )
    reads = plan.split("ReadFromMergeTree")[1:]
    assert reads, plan
    for read in reads:
        table = read.split(")", 1)[0]
        condition = re.search(r"PrimaryKey.*?Condition: ([^\n]*)", read, re.S)
        assert condition is not None, read
        # Raw clicks of the partial days: the links the campaign's rows name, by key.
        column = "link_id" if table.endswith(".clicks") else "campaign"
        assert f"({column} in " in condition[1], read

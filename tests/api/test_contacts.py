"""The contact view over real HTTP: one contact's clicks across links and campaigns, newest
first, paged, each with its link, and beside them its newest deliveries and conversions;
the same API, store and chDB as the campaign tests (the funnel written by the consumer's
funnel sink)."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from jsonschema import Draft202012Validator

from consumer.enrich.row import ClickRow
from consumer.funnel import FunnelSink
from schemas.events import CONVERSION, DELIVERED
from smartlinks.ids import uuid7_int
from tests.api.conftest import error_of
from tests.api.test_campaigns import BASE_URL, AnalyticsApi, analytics_api, create, generate, get
from tests.support.funnel_events import DAY_MS, funnel_event

__all__ = ["analytics_api"]  # the module's server, shared with the campaign tests' setup

pytestmark = pytest.mark.clickhouse


def path(contact_id: str) -> str:
    return f"/api/v1/contacts/{quote(contact_id, safe='')}/clicks"


def rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def everything(client: httpx.Client, contact_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """Every page of a contact's clicks, following the cursors."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        page = get(client, path(contact_id), **params)
        assert page["contact_id"] == contact_id
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def newest_first(rows: list[ClickRow]) -> list[ClickRow]:
    return sorted(rows, key=lambda row: (row.ts, row.event_id), reverse=True)


def test_a_contacts_clicks_across_campaigns_newest_first(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("messenger")
    with analytics_api.client(account) as client:
        spring = create(client, campaign="spring", contact_id="ana", title="Spring")
        autumn = create(client, campaign="autumn", contact_id="ana", destination_url="https://example.com/a")
        plain = create(client, contact_id="ana")  # no campaign
        someone_else = create(client, campaign="spring", contact_id="bob")
        rows = generate(account.id, [spring, autumn, plain, someone_else], 400, seed=21)
        analytics_api.write(rows)
        mine = newest_first([row for row in rows if row.contact_id == "ana"])

        items = get(client, path("ana"), limit="200")["items"]
        assert len(items) == 200
        assert [item["id"] for item in items] == [row.event_id for row in mine[:200]]
        by_id = {link["id"]: link for link in (spring, autumn, plain)}
        for item, row in zip(items, mine, strict=False):
            link = by_id[row.link_id]
            assert item == {
                "id": row.event_id,
                "ts": rfc3339(row.ts),
                "kind": item["kind"],
                "link": {
                    "id": link["id"],
                    "code": link["code"],
                    "short_url": f"{BASE_URL}/{link['code']}",
                    "destination_url": link["destination_url"],
                    "title": link["title"],
                },
                "campaign": link["campaign"],
                "country": row.country or None,
                "city": row.city or None,
                "device": row.device or None,
                "browser": row.browser or None,
                "os": row.os or None,
                "referrer": row.referrer_host or None,
                "bot_reason": row.bot_reason or None,
            }
        # Kinds as the link click logs tell them: one first click per visitor and link.
        whole = everything(client, "ana")
        assert [item["id"] for item in whole] == [row.event_id for row in mine]
        kinds = Counter(item["kind"] for item in whole)
        humans = [row for row in mine if not row.is_bot]
        assert kinds == {
            "bot": len(mine) - len(humans),
            "unique": len({(row.link_id, row.visitor_id) for row in humans}),
            "repeat": len(humans) - len({(row.link_id, row.visitor_id) for row in humans}),
        }
        logged = {}
        for link in (spring, autumn, plain):
            log = get(client, f"/api/v1/links/{link['id']}/clicks", limit="200")
            logged.update({item["id"]: item["kind"] for item in log["items"]})
        assert all(logged[item["id"]] == item["kind"] for item in whole if item["id"] in logged)
        assert {item["campaign"] for item in whole} == {"spring", "autumn", None}


@pytest.mark.parametrize("limit", [1, 7, 50])
def test_pages_follow_each_other_without_gaps_or_repeats(analytics_api: AnalyticsApi, limit: int) -> None:
    account = analytics_api.new_account(f"pager {limit}")
    with analytics_api.client(account) as client:
        links = [create(client, campaign=f"c{n}", contact_id="carla") for n in range(3)]
        rows = generate(account.id, links, 60, seed=limit)
        # Clicks in the same millisecond on different links: the cursor keeps them apart.
        rows += [
            ClickRow(f"{uuid7_int(rows[0].ts):032x}", rows[0].ts, account.id, link["id"], "x",
                     contact_id="carla", visitor_id="same-ms")
            for link in links
        ]  # fmt: skip
        analytics_api.write(rows)
        items = everything(client, "carla", limit)
        assert [item["id"] for item in items] == [row.event_id for row in newest_first(rows)]


def test_an_unknown_contact_has_no_clicks(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("nobody")
    with analytics_api.client(account) as client:
        assert get(client, path("never-seen")) == {
            "contact_id": "never-seen",
            "items": [],
            "next_cursor": None,
            "deliveries": [],
            "deliveries_truncated": False,
            "deliveries_next_cursor": None,
            "conversions": [],
            "conversions_truncated": False,
            "conversions_next_cursor": None,
        }


def test_a_contact_id_no_link_can_have_is_refused(analytics_api: AnalyticsApi) -> None:
    # The document says 1-200 characters without control characters; anything else is a
    # mistake of the client, not a contact without clicks.
    account = analytics_api.new_account("nobody")
    with analytics_api.client(account) as client:
        for contact_id in ("y" * 201, "y" * 5000, "tab\there"):
            response = client.get(path(contact_id))
            assert response.status_code == 400, contact_id
            assert response.json()["error"] == {
                "code": "invalid_contact_id",
                "message": "contact_id must be 1 to 200 characters without control characters.",
                "field": "contact_id",
            }
        assert get(client, path("y" * 200))["items"] == []


def test_tenants_see_only_their_own_contacts_clicks(analytics_api: AnalyticsApi) -> None:
    first, second = analytics_api.new_account("first"), analytics_api.new_account("second")
    with analytics_api.client(first) as a, analytics_api.client(second) as b:
        link = create(a, campaign="x", contact_id="shared-id")
        analytics_api.write(generate(first.id, [link], 10, seed=2))
        assert len(get(a, path("shared-id"))["items"]) == 10
        assert get(b, path("shared-id"))["items"] == []
        own = create(b, contact_id="shared-id")
        analytics_api.write(generate(second.id, [own], 3, seed=4))
        assert {item["link"]["id"] for item in get(b, path("shared-id"))["items"]} == {own["id"]}


def test_a_deleted_links_clicks_leave_the_contact_view(analytics_api: AnalyticsApi) -> None:
    account = analytics_api.new_account("forgetful")
    with analytics_api.client(account) as client:
        kept, dropped = (create(client, campaign=name, contact_id="dora") for name in ("a", "b"))
        rows = generate(account.id, [kept, dropped], 80, seed=8)
        analytics_api.write(rows)
        assert len(everything(client, "dora")) == 80
        assert client.delete(f"/api/v1/links/{dropped['id']}").status_code == 204
        left = everything(client, "dora")
        assert [item["id"] for item in left] == [
            row.event_id for row in newest_first(rows) if row.link_id == kept["id"]
        ]


def test_a_click_whose_link_is_gone_shows_without_it(analytics_api: AnalyticsApi) -> None:
    """Between a deletion and its purge (across processes: moments), the link is null."""
    account = analytics_api.new_account("racy")
    with analytics_api.client(account) as client:
        ghost = {"id": f"{0x0190000000007000800000000000dead:032x}", "code": "gone123", "campaign": "c",
                 "contact_id": "eve"}  # fmt: skip
        analytics_api.write(generate(account.id, [ghost], 2, seed=1))
        items = get(client, path("eve"))["items"]
        assert [(item["link"], item["campaign"]) for item in items] == [(None, "c"), (None, "c")]


@pytest.mark.parametrize("contact_id", ["a/b", "+49 151 234", "ünï ✓", "clicks", "x/clicks"])
def test_any_contact_id_is_a_path_segment(analytics_api: AnalyticsApi, contact_id: str) -> None:
    account = analytics_api.new_account("ids")
    with analytics_api.client(account) as client:
        link = create(client, contact_id=contact_id)
        analytics_api.write(generate(account.id, [link], 2, seed=6))
        body = get(client, path(contact_id))
        assert body["contact_id"] == contact_id and len(body["items"]) == 2


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [("limit", "0", "invalid_limit"), ("limit", "201", "invalid_limit"), ("cursor", "x", "invalid_cursor")],
)
def test_bad_pages_are_refused(analytics_api: AnalyticsApi, name: str, value: str, code: str) -> None:
    account = analytics_api.new_account("bad pages")
    with analytics_api.client(account) as client:
        assert error_of(client.get(path("someone"), params={name: value})) == (400, code, name)
    assert error_of(httpx.get(analytics_api.url + path("someone")))[:2] == (401, "unauthorized")


def test_the_contact_index_narrows_the_read(analytics_api: AnalyticsApi) -> None:
    """The bloom filters on contact_id (0005_contacts.sql, 0006_funnel.sql) exist and
    ClickHouse uses them for the view."""
    client = analytics_api.queries.client
    now = int(time.time() * 1000)
    FunnelSink(analytics_api.sink.client).insert(  # the tables have parts to skip
        [
            funnel_event(DELIVERED, "t", "index-d", now, campaign="x", contact_id="someone"),
            funnel_event(CONVERSION, "t", "index-c", now, name="buy", campaign="x", contact_id="someone"),
        ]
    )
    [(kind, expression)] = client.query(
        "SELECT type, expr FROM system.data_skipping_indices"
        " WHERE database = currentDatabase() AND table = 'clicks' AND name = 'contact_id_bloom'"
    ).result_rows
    assert (kind, expression) == ("bloom_filter", "contact_id")
    for table, column in (("clicks", "event_id"), ("deliveries", "id"), ("conversions", "id")):
        plan = "\n".join(
            row[0]
            for row in client.query(
                f"EXPLAIN indexes = 1 SELECT {column} FROM {table} WHERE tenant_id = 't' AND contact_id = 'c'"
            ).result_rows
        )
        assert "contact_id_bloom" in plan, table


# -- deliveries and conversions ------------------------------------------------------------

MINUTE = 60_000
DAY = DAY_MS


def human_click(tenant_id: str, link: dict[str, Any], ts: int) -> ClickRow:
    return ClickRow(
        f"{uuid7_int(ts):032x}", ts, tenant_id, link["id"], link["code"], campaign=link["campaign"],
        contact_id=link["contact_id"], visitor_id="v",
    )  # fmt: skip


def test_a_contacts_deliveries_and_conversions_newest_first(analytics_api: AnalyticsApi) -> None:
    account, other = analytics_api.new_account("funnel"), analytics_api.new_account("funnel too")
    sink = FunnelSink(analytics_api.sink.client)
    now = int(time.time() * 1000)
    rng = random.Random(11)
    with analytics_api.client(account) as client:
        spring = create(client, campaign="spring", contact_id="ana")
        autumn = create(client, campaign="autumn", contact_id="ana")
        clicked, earlier = (
            human_click(account.id, spring, now - 60 * MINUTE),
            human_click(account.id, autumn, now - 120 * MINUTE),
        )
        analytics_api.write([clicked, earlier])
        deliveries = [
            funnel_event(
                DELIVERED, account.id, f"wamid.{n:03d}", now - rng.randrange(60 * DAY),
                campaign=rng.choice(["spring", "autumn"]), contact_id="ana",
                message_id=None if n % 7 == 0 else f"m-{n}",
            )
            for n in range(130)
        ]  # fmt: skip
        tied = max(event.at for event in deliveries)  # the same millisecond as the newest: by id
        deliveries.append(
            funnel_event(DELIVERED, account.id, "wamid.zzz", tied, campaign="spring", contact_id="ana")
        )
        noise = [
            funnel_event(DELIVERED, account.id, "wamid.bob", now, campaign="spring", contact_id="bob"),
            funnel_event(DELIVERED, other.id, "wamid.theirs", now, campaign="spring", contact_id="ana"),
            funnel_event(CONVERSION, account.id, "o-bob", now, name="buy", campaign="x", contact_id="bob"),
            funnel_event(CONVERSION, other.id, "o-theirs", now, name="buy", campaign="x", contact_id="ana"),
        ]  # fmt: skip
        conversions = [
            funnel_event(CONVERSION, account.id, "o-1", now - 10 * MINUTE, name="purchase",
                         click_id=clicked.event_id, value="49.9", currency="EUR"),
            funnel_event(CONVERSION, account.id, "o-2", now - 30 * MINUTE, name="signup", campaign="autumn",
                         contact_id="ana"),
            funnel_event(CONVERSION, account.id, "o-3", now - 3 * DAY, name="purchase", campaign="winter",
                         contact_id="ana", value="1000", currency="JPY"),
            funnel_event(CONVERSION, account.id, "o-4", now - 10 * DAY, name="tip", campaign="spring",
                         contact_id="ana", value="0.125", currency="USD"),
        ]  # fmt: skip
        stored = sink.insert(deliveries + conversions + noise)
        assert stored.deliveries == len(deliveries) + 2

        body = get(client, path("ana"), limit="1")
        newest = sorted(deliveries, key=lambda event: (event.at, event.id), reverse=True)
        assert body["deliveries"] == [
            {
                "id": event.id,
                "campaign": event.campaign,
                "message_id": event.message_id,
                "at": rfc3339(event.at),
            }
            for event in newest[:100]
        ]
        assert body["deliveries"][0]["id"] == "wamid.zzz" and body["deliveries_truncated"] is True
        assert body["conversions"] == [
            {"id": "o-1", "name": "purchase", "at": rfc3339(now - 10 * MINUTE), "campaign": "spring",
             "link_id": spring["id"], "click_id": clicked.event_id, "attribution": "click_id",
             "value": "49.90", "currency": "EUR"},
            {"id": "o-2", "name": "signup", "at": rfc3339(now - 30 * MINUTE), "campaign": "autumn",
             "link_id": autumn["id"], "click_id": earlier.event_id, "attribution": "last_click",
             "value": None, "currency": None},
            {"id": "o-3", "name": "purchase", "at": rfc3339(now - 3 * DAY), "campaign": "winter",
             "link_id": None, "click_id": None, "attribution": "sent", "value": "1000", "currency": "JPY"},
            {"id": "o-4", "name": "tip", "at": rfc3339(now - 10 * DAY), "campaign": "spring", "link_id": None,
             "click_id": None, "attribution": "sent", "value": "0.125", "currency": "USD"},
        ]  # fmt: skip
        assert body["conversions_truncated"] is False
        document = httpx.get(analytics_api.url + "/api/v1/openapi.json").json()
        Draft202012Validator({**document, "$ref": "#/components/schemas/ContactClickList"}).validate(body)

        # The same on every page of clicks; bob has his own, the other tenant's "ana" is not this one.
        following = get(client, path("ana"), limit="1", cursor=body["next_cursor"])
        assert [item["id"] for item in following["items"]] == [earlier.event_id]
        assert {k: following[k] for k in ("deliveries", "conversions")} == {
            k: body[k] for k in ("deliveries", "conversions")
        }
        bob = get(client, path("bob"))
        assert [d["id"] for d in bob["deliveries"]] == ["wamid.bob"]
        assert [c["id"] for c in bob["conversions"]] == ["o-bob"]
        assert bob["deliveries_truncated"] is bob["conversions_truncated"] is False

        # A deleted link's click leaves the conversions it carried; they stay, as sent.
        assert client.delete(f"/api/v1/links/{spring['id']}").status_code == 204
        [first, *rest] = get(client, path("ana"))["conversions"]
        assert (first["id"], first["link_id"], first["click_id"], first["attribution"]) == (
            "o-1",
            None,
            None,
            "sent",
        )
        assert rest == body["conversions"][1:]

    with analytics_api.client(other) as client:
        theirs = get(client, path("ana"))
        assert [d["id"] for d in theirs["deliveries"]] == ["wamid.theirs"]
        assert [c["id"] for c in theirs["conversions"]] == ["o-theirs"]

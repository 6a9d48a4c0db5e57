"""The ingestion side of webhooks: which stored clicks and conversions a webhook gets,
what their delivery says, and how the consumer loops feed the matcher (real enrichment,
real chDB, real SQLite): after the insert, retried when the store fails, again for a
batch that comes back after a crash, and without a store call for tenants without
webhooks."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson
import pytest

from consumer.enrich import Enricher
from consumer.enrich.row import ClickRow, StoredClick
from consumer.funnel import FunnelSink, StoredConversion
from consumer.funnel_loop import FunnelConsumer
from consumer.ingest import ClickIngest
from consumer.loop import ClickConsumer
from consumer.webhooks.matcher import Rule, WebhookMatcher
from schemas.events import CONVERSION, ClickEvent, FunnelEvent
from smartlinks.clickhouse import Client
from smartlinks.eventlog.reader import EventLogReader
from smartlinks.eventlog.writer import EventLog
from smartlinks.ids import new_id
from smartlinks.models import Link, NewLink, Tenant, from_ms, rfc3339
from smartlinks.store.sqlite import SQLiteLinkStore
from smartlinks.store.webhook_store import WebhookStore
from smartlinks.webhooks import CONVERSION_RECORDED, LINK_CLICKED, NewDelivery, NewWebhook, Webhook
from tests.support.funnel_events import funnel_event

pytestmark = pytest.mark.anyio

BASE = "https://sl.example"
URL = "https://93.184.215.14/hook"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0.0.0 Safari/537.36"
)


class Webhooks(WebhookStore):
    """The real SQLite webhook store, counting the trigger's calls and able to fail like a
    store that is down."""

    def __init__(self, store: SQLiteLinkStore) -> None:
        super().__init__(store.db)
        self.calls = 0
        self.failures = 0

    async def links_by_id(self, link_ids: Any) -> dict[str, Link]:
        self.calls += 1
        return await super().links_by_id(link_ids)

    async def enqueue_deliveries(self, deliveries: Sequence[NewDelivery]) -> int:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise sqlite3.OperationalError("database is locked")
        return await super().enqueue_deliveries(deliveries)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteLinkStore]:
    opened = SQLiteLinkStore(tmp_path / "links.sqlite3")
    opened.webhooks = Webhooks(opened)
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
async def tenant(store: SQLiteLinkStore) -> Tenant:
    return await store.create_tenant("acme")


@pytest.fixture
async def link(store: SQLiteLinkStore, tenant: Tenant) -> Link:
    new = NewLink(tenant.id, "https://shop.example/sale", title="Sale", campaign="spring", contact_id="c-1")
    return await store.create_link(new)


def webhooks_of(store: SQLiteLinkStore) -> Webhooks:
    assert isinstance(store.webhooks, Webhooks)
    return store.webhooks


async def hook(store: SQLiteLinkStore, tenant: Tenant, **fields: Any) -> Webhook:
    return await store.webhooks.create_webhook(NewWebhook(tenant.id, URL, **fields), 100)


async def bodies(store: SQLiteLinkStore, hook: Webhook) -> list[dict[str, Any]]:
    """The bodies of a webhook's deliveries, oldest first, read from the database file."""
    with closing(sqlite3.connect(store.path)) as conn:
        found = conn.execute(
            "SELECT payload FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id", (hook.id,)
        )
        return [orjson.loads(payload) for (payload,) in found]


def event(link: Link, method: str = "GET", ua: str = CHROME, ts: int | None = None) -> ClickEvent:
    return ClickEvent(
        event_id=new_id(), ts=ts or int(time.time() * 1000), tenant_id=link.tenant_id, link_id=link.id,
        code=link.code, campaign=link.campaign, contact_id=link.contact_id, method=method, ip="81.2.69.142",
        user_agent=ua, referer="https://wa.me/", accept_language="en", visitor_cookie=None,
        collect_metadata=True,
    )  # fmt: skip


async def matching(
    store: SQLiteLinkStore, path: Path, events: Sequence[ClickEvent | FunnelEvent]
) -> tuple[WebhookMatcher, EventLogReader]:
    """A started matcher, and a reader of an edge log holding ``events``, for a consumer."""
    matcher = WebhookMatcher(store.webhooks, BASE)
    await matcher.start()
    event_log = EventLog(path)
    event_log.open()
    await asyncio.gather(*(event_log.append(one.to_json()) for one in events))
    return matcher, EventLogReader(event_log)


async def consumer_for(
    store: SQLiteLinkStore, enricher: Enricher, clickhouse: Client, tmp_path: Path, events: list[ClickEvent]
) -> ClickConsumer:
    matcher, source = await matching(store, tmp_path / "events", events)
    return ClickConsumer(source, enricher, ClickIngest(clickhouse), max_wait=0.05, triggers=matcher)


def test_a_rule_matches_the_clicks_its_webhook_asks_for() -> None:
    row = ClickRow(new_id(), 2_000, "t", "l1", "abc1234", campaign="spring")
    bot = ClickRow(new_id(), 2_000, "t", "l1", "abc1234", campaign="spring", is_bot=True)
    assert Rule("w", "t", None, None, False, 1_000).matches(row)
    assert not Rule("w", "t", None, None, False, 1_000).matches(bot)
    assert Rule("w", "t", None, None, True, 1_000).matches(bot)
    assert Rule("w", "t", "l1", "spring", False, 1_000).matches(row)
    assert not Rule("w", "t", "l2", None, False, 1_000).matches(row)
    assert not Rule("w", "t", None, "autumn", False, 1_000).matches(row)
    assert not Rule("w", "t", None, None, False, 3_000).matches(row)  # made before the webhook


async def test_clicks_become_deliveries_after_the_insert(
    store: SQLiteLinkStore, tenant: Tenant, link: Link, enricher: Enricher, clickhouse: Client, tmp_path: Path
) -> None:
    every, with_bots = await hook(store, tenant), await hook(store, tenant, include_bots=True)
    by_link, other_campaign = (
        await hook(store, tenant, link_id=link.id),
        await hook(store, tenant, campaign="autumn"),
    )
    other_tenant = await store.create_tenant("other")
    theirs = await store.webhooks.create_webhook(NewWebhook(other_tenant.id, URL, include_bots=True), 100)
    human, head = event(link), event(link, method="HEAD")
    consumer = await consumer_for(store, enricher, clickhouse, tmp_path, [human, head])
    assert await consumer.run_once() == 2
    assert consumer.stats.inserted == 2

    [body] = await bodies(store, every)
    assert [b["data"]["click"]["id"] for b in await bodies(store, with_bots)] == [
        human.event_id,
        head.event_id,
    ]
    assert len(await bodies(store, by_link)) == 1
    assert await bodies(store, other_campaign) == [] and await bodies(store, theirs) == []
    assert body["type"] == "link.clicked" and len(body["id"]) == 32
    assert body["data"]["link"] == {
        "id": link.id, "code": link.code, "short_url": f"{BASE}/{link.code}",
        "destination_url": "https://shop.example/sale", "title": "Sale", "campaign": "spring",
        "contact_id": "c-1",
    }  # fmt: skip
    click = body["data"]["click"]
    assert (click["id"], click["kind"], click["contact_id"], click["campaign"]) == (
        human.event_id, "unique", "c-1", "spring"
    )  # fmt: skip
    where = (
        click["country"],
        click["city"],
        click["device"],
        click["browser"],
        click["os"],
        click["referrer"],
    )
    assert where == ("GB", "London", "desktop", "Chrome", "Windows", "wa.me")
    assert click["ts"].endswith("Z") and body["created_at"].endswith("Z")


async def test_a_store_failure_retries_the_trigger_not_the_insert(
    store: SQLiteLinkStore, tenant: Tenant, link: Link, enricher: Enricher, clickhouse: Client, tmp_path: Path
) -> None:
    every = await hook(store, tenant)
    consumer = await consumer_for(store, enricher, clickhouse, tmp_path, [event(link)])
    webhooks_of(store).failures = 2
    assert await consumer.run_once() == 1
    assert (consumer.stats.inserted, consumer.stats.trigger_failures) == (1, 2)
    assert clickhouse.query("SELECT count() FROM clicks").result_rows == [(1,)]
    assert len(await bodies(store, every)) == 1


async def test_a_batch_stored_before_a_crash_still_gets_its_deliveries(
    store: SQLiteLinkStore, tenant: Tenant, link: Link, enricher: Enricher, clickhouse: Client, tmp_path: Path
) -> None:
    every = await hook(store, tenant)
    clicks = [event(link), event(link)]
    # A consumer stored the batch and died before its triggers ran: the batch comes again.
    stored = ClickIngest(clickhouse).insert_batch([enricher.enrich(one) for one in clicks])
    assert stored.count == 2
    consumer = await consumer_for(store, enricher, clickhouse, tmp_path, clicks)
    await consumer.run_once()
    assert (consumer.stats.inserted, consumer.stats.duplicates) == (0, 2)
    delivered = await bodies(store, every)
    assert [b["data"]["click"]["kind"] for b in delivered] == ["unique", "repeat"]
    # And once more: the store has them, so nothing new.
    again = await consumer_for(store, enricher, clickhouse, tmp_path / "again", clicks)
    await again.run_once()
    page = await store.webhooks.list_deliveries(tenant.id, every.id, 100, None)
    assert len(page.items) == 2


async def test_tenants_without_webhooks_cost_no_store_call(
    store: SQLiteLinkStore, tenant: Tenant, link: Link
) -> None:
    other = await store.create_tenant("other")
    await store.webhooks.create_webhook(NewWebhook(other.id, URL), 100)
    matcher = WebhookMatcher(store.webhooks, BASE, refresh=3600)
    await matcher.start()
    try:
        row = ClickRow(new_id(), int(time.time() * 1000), tenant.id, link.id, link.code)
        webhooks_of(store).calls = 0
        await matcher.fire([StoredClick(row, "unique")] * 1000)
        assert webhooks_of(store).calls == 0
        # A webhook made since is seen once the rules are reloaded (every second by default).
        mine = await hook(store, tenant)
        # A click of the same millisecond as the webhook or later: a webhook only hears of
        # clicks made since it was created.
        row = ClickRow(new_id(), int(time.time() * 1000) + 1, tenant.id, link.id, link.code)
        await matcher.fire([StoredClick(row, "unique")])
        assert await bodies(store, mine) == []
        await matcher.reload()
        await matcher.fire([StoredClick(row, "unique")])
        assert len(await bodies(store, mine)) == 1
        # A deleted link's clicks are let go.
        await store.delete_link(tenant.id, link.id)
        await matcher.fire([StoredClick(ClickRow(new_id(), row.ts, tenant.id, link.id, link.code), "unique")])
        assert matcher.stats.skipped == 1 and matcher.stats.enqueued == 1
    finally:
        await matcher.stop()


# -- conversions ------------------------------------------------------------------------


def conversion(tenant: Tenant, conversion_id: str, **fields: Any) -> FunnelEvent:
    """A purchase received now (and made now, unless ``at`` says otherwise)."""
    now = int(time.time() * 1000)
    values: dict[str, Any] = {"at": now, "name": "purchase", "received_at": now + 1, **fields}
    return funnel_event(CONVERSION, tenant.id, conversion_id, **values)


async def funnel_consumer_for(
    store: SQLiteLinkStore, clickhouse: Client, tmp_path: Path, events: list[FunnelEvent]
) -> FunnelConsumer:
    matcher, source = await matching(store, tmp_path / "funnel-events", events)
    return FunnelConsumer(
        source,
        FunnelSink(clickhouse),
        ClickIngest(clickhouse).dead_letter,
        max_wait=0.05,
        triggers=matcher,
    )


def test_a_rule_hears_the_conversions_its_webhook_asks_for() -> None:
    def stored(campaign: str, link_id: str, received_at: int = 2_000) -> StoredConversion:
        event = funnel_event(
            CONVERSION, "t", "o-1", 1_000, received_at=received_at, campaign=campaign, contact_id="c-1"
        )
        return StoredConversion(event, campaign, "c-1", link_id, "", 0, "last_click")

    assert Rule("w", "t", None, None, False, 1_000).hears(stored("spring", "l1"))
    assert Rule("w", "t", "l1", "spring", False, 1_000).hears(stored("spring", "l1"))
    assert not Rule("w", "t", "l2", None, False, 1_000).hears(stored("spring", "l1"))
    assert not Rule("w", "t", "l1", None, False, 1_000).hears(stored("spring", ""))  # no click, no link
    assert not Rule("w", "t", None, "autumn", False, 1_000).hears(stored("spring", "l1"))
    # Recorded after the webhook was made, though it happened before: the webhook's business.
    assert Rule("w", "t", None, None, False, 1_500).hears(stored("spring", "l1"))
    assert not Rule("w", "t", None, None, False, 3_000).hears(stored("spring", "l1"))


async def test_conversions_become_deliveries_after_the_insert(
    store: SQLiteLinkStore, tenant: Tenant, link: Link, enricher: Enricher, clickhouse: Client, tmp_path: Path
) -> None:
    clicks_only = await hook(store, tenant)  # the default: link.clicked
    every = await hook(store, tenant, events=(CONVERSION_RECORDED,))
    both = await hook(store, tenant, events=(LINK_CLICKED, CONVERSION_RECORDED))
    by_link = await hook(store, tenant, events=(CONVERSION_RECORDED,), link_id=link.id)
    by_campaign = await hook(store, tenant, events=(CONVERSION_RECORDED,), campaign="spring")
    other_campaign = await hook(store, tenant, events=(CONVERSION_RECORDED,), campaign="autumn")
    other_tenant = await store.create_tenant("other")
    theirs = await store.webhooks.create_webhook(
        NewWebhook(other_tenant.id, URL, (CONVERSION_RECORDED,)), 100
    )
    click = event(link)
    ClickIngest(clickhouse).insert_batch([enricher.enrich(click)])
    ordered = conversion(
        tenant, "order-1", click_id=click.event_id, value="49.90", currency="EUR", at=click.ts + 60_000
    )
    signed_up = conversion(tenant, "signup-1", name="signup", campaign="spring", contact_id="c-2")
    consumer = await funnel_consumer_for(store, clickhouse, tmp_path, [ordered, signed_up])
    assert await consumer.run_once() == 2
    assert consumer.stats.conversions == 2

    assert await bodies(store, clicks_only) == [] and await bodies(store, theirs) == []
    assert await bodies(store, other_campaign) == []
    assert [b["data"]["conversion"]["id"] for b in await bodies(store, every)] == ["order-1", "signup-1"]
    assert [b["data"]["conversion"]["id"] for b in await bodies(store, both)] == ["order-1", "signup-1"]
    assert [b["data"]["conversion"]["id"] for b in await bodies(store, by_campaign)] == [
        "order-1",
        "signup-1",
    ]
    [body] = await bodies(store, by_link)  # the sign-up has no click, so no link
    assert set(body) == {"id", "type", "created_at", "occurred_at", "data"}
    assert body["type"] == "conversion.recorded" and len(body["id"]) == 32
    assert body["data"] == {
        "conversion": {
            "id": "order-1", "name": "purchase", "value": "49.90", "currency": "EUR", "campaign": "spring",
            "contact_id": "c-1", "link_id": link.id, "click_id": click.event_id, "attribution": "click_id",
        }
    }  # fmt: skip
    assert body["occurred_at"] == rfc3339(from_ms(click.ts + 60_000))
    assert body["created_at"].endswith("Z")
    signup = (await bodies(store, every))[1]["data"]["conversion"]
    assert signup == {
        "id": "signup-1", "name": "signup", "value": None, "currency": None, "campaign": "spring",
        "contact_id": "c-2", "link_id": None, "click_id": None, "attribution": "sent",
    }  # fmt: skip
    page = await store.webhooks.list_deliveries(tenant.id, every.id, 10, None)
    assert [(d.type, d.event_id) for d in page.items] == [
        (CONVERSION_RECORDED, "signup-1"),
        (CONVERSION_RECORDED, "order-1"),
    ]


async def test_one_delivery_per_webhook_and_conversion(
    store: SQLiteLinkStore, tenant: Tenant, link: Link, enricher: Enricher, clickhouse: Client
) -> None:
    """A conversion offered again (a redelivered batch) is not delivered again, nor mixed up
    with a click whose id it shares."""
    both = await hook(store, tenant, events=(LINK_CLICKED, CONVERSION_RECORDED))
    matcher = WebhookMatcher(store.webhooks, BASE, refresh=3600)
    await matcher.start()
    try:
        click = event(link)
        [stored_click] = ClickIngest(clickhouse).insert_batch([enricher.enrich(click)]).clicks
        # The site sent the click id back as its order id.
        inserted = FunnelSink(clickhouse).insert(
            [conversion(tenant, click.event_id, click_id=click.event_id)]
        )
        [stored] = inserted.conversions or []
        await matcher.fire([stored_click])
        await matcher.fire_conversions([stored])
        await matcher.fire_conversions([stored])
        await matcher.fire([stored_click])
        clicked, converted = await bodies(store, both)
        assert (clicked["type"], clicked["data"]["click"]["id"]) == ("link.clicked", click.event_id)
        assert (converted["type"], converted["data"]["conversion"]["id"]) == (
            "conversion.recorded", click.event_id
        )  # fmt: skip
        assert matcher.stats.enqueued == 2
    finally:
        await matcher.stop()


async def test_a_store_failure_retries_the_conversion_trigger_not_the_insert(
    store: SQLiteLinkStore, tenant: Tenant, clickhouse: Client, tmp_path: Path
) -> None:
    every = await hook(store, tenant, events=(CONVERSION_RECORDED,))
    consumer = await funnel_consumer_for(
        store, clickhouse, tmp_path, [conversion(tenant, "o-1", campaign="x")]
    )
    webhooks_of(store).failures = 2
    assert await consumer.run_once() == 1
    assert (consumer.stats.conversions, consumer.stats.trigger_failures) == (1, 2)
    assert clickhouse.query("SELECT id FROM conversions").result_rows == [("o-1",)]
    assert [b["data"]["conversion"]["id"] for b in await bodies(store, every)] == ["o-1"]


async def test_tenants_without_conversion_webhooks_cost_no_store_call(
    store: SQLiteLinkStore, tenant: Tenant
) -> None:
    other = await store.create_tenant("other")
    await store.webhooks.create_webhook(NewWebhook(other.id, URL, (CONVERSION_RECORDED,)), 100)
    await hook(store, tenant)  # clicks only
    matcher = WebhookMatcher(store.webhooks, BASE, refresh=3600)
    await matcher.start()
    try:
        webhooks_of(store).calls = 0
        event = conversion(tenant, "o-1", campaign="spring")
        await matcher.fire_conversions([StoredConversion(event, "spring", "", "", "", 0, "sent")] * 1000)
        assert webhooks_of(store).calls == 0 and matcher.stats.enqueued == 0
    finally:
        await matcher.stop()

"""The ingestion side of click triggers: which stored clicks a webhook gets, what their
delivery says, and how the consumer loop feeds the matcher (real enrichment, real chDB,
real SQLite): after the insert, retried when the store fails, again for a batch that
comes back after a crash, and without a store call for tenants without webhooks."""

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
from consumer.enrich.row import ClickRow
from consumer.loop import ClickConsumer
from consumer.sink import ClickSink, StoredClick
from consumer.webhooks.matcher import Rule, WebhookMatcher
from schemas.events import ClickEvent
from smartlinks.clickhouse import Client
from smartlinks.eventlog.reader import EventLogReader
from smartlinks.eventlog.writer import EventLog
from smartlinks.ids import new_id
from smartlinks.models import Link, NewLink, Tenant
from smartlinks.store.sqlite import SQLiteLinkStore
from smartlinks.store.webhooks_sqlite import SQLiteWebhookStore
from smartlinks.webhooks import NewDelivery, NewWebhook, Webhook

pytestmark = pytest.mark.anyio

BASE = "https://sl.example"
URL = "https://93.184.215.14/hook"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0.0.0 Safari/537.36"
)


class Webhooks(SQLiteWebhookStore):
    """The real SQLite webhook store, counting the trigger's calls and able to fail like a
    store that is down."""

    def __init__(self, store: SQLiteLinkStore) -> None:
        super().__init__(store)
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


async def consumer_for(
    store: SQLiteLinkStore, enricher: Enricher, clickhouse: Client, tmp_path: Path, events: list[ClickEvent]
) -> ClickConsumer:
    matcher = WebhookMatcher(store.webhooks, BASE)
    await matcher.start()
    click_log = EventLog(tmp_path / "events")
    click_log.open()
    await asyncio.gather(*(click_log.append(one.to_json()) for one in events))
    return ClickConsumer(
        EventLogReader(click_log), enricher, ClickSink(clickhouse), max_wait=0.05, triggers=matcher
    )


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
    stored = ClickSink(clickhouse).insert_batch([enricher.enrich(one) for one in clicks])
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

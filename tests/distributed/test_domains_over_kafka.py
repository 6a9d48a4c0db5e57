"""A redirector in its own process learns of a tenant's new domain over Kafka: the API's
side (here this test, with the same store and the outbox relay publishing to Kafka) adds a
domain and a link on it, and the running redirector answers the domain's Host from then
on, without a restart; an edit of the link and the domain's not_found_url follow."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smartlinks.kafka.changes import KafkaChangeFeed
from smartlinks.models import LinkPatch, NewLink
from smartlinks.outbox import ChangeRelay
from smartlinks.store.base import LinkQuery
from smartlinks.store.sqlite import SQLiteLinkStore
from tests.support.kafka import KafkaBroker
from tests.support.product import Running, start, stop
from tests.support.waiting import seconds_until

pytestmark = pytest.mark.kafka

HOST = "go.kafka.example"


@pytest.fixture
def redirector(kafka: KafkaBroker, tmp_path: Path) -> Iterator[tuple[Running, Path]]:
    database = tmp_path / "links.sqlite3"
    process, running = start(
        tmp_path / "redirector",
        "redirector",
        ready="/readyz",
        SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS=kafka.bootstrap_servers,
        SMARTLINKS_DATABASE_URL=f"sqlite:///{database}",
        SMARTLINKS_SECRET_KEY="domains-over-kafka",
    )
    try:
        yield running, database
    finally:
        stop(process)


def location(running: Running, code: str, host: str) -> str | int:
    response = httpx.get(f"{running.url}/{code}", headers={"Host": host}, follow_redirects=False, timeout=5)
    return response.headers["location"] if response.status_code == 302 else response.status_code


def test_a_redirector_learns_a_new_domain_over_kafka(
    kafka: KafkaBroker, redirector: tuple[Running, Path]
) -> None:
    running, database = redirector

    async def write(step: str) -> None:
        store = SQLiteLinkStore(database)
        feed = KafkaChangeFeed(kafka.bootstrap_servers)
        await store.open()
        await feed.start()
        try:
            tenants = await store.list_tenants()
            tenant = tenants[0].tenant if tenants else await store.create_tenant("acme")
            if step == "add":
                await store.domains.add(tenant.id, HOST, "https://acme.example/404")
                await store.create_link(NewLink(tenant.id, "https://example.com/default", code="Kafka123"))
                await store.create_link(
                    NewLink(tenant.id, "https://example.com/on", code="Kafka123", domain=HOST)
                )
            else:
                [link] = [
                    link for link in (await store.list_links(LinkQuery(tenant.id))).items if link.domain
                ]
                await store.update_link(
                    tenant.id, link.id, LinkPatch(destination_url="https://example.com/new")
                )
            await ChangeRelay(store, feed).flush()
        finally:
            await feed.stop()
            await store.close()

    # Before: the host is unknown, so the default domain answers (nothing there yet).
    assert location(running, "Kafka123", HOST) == 404
    asyncio.run(write("add"))
    seconds_until(
        lambda: location(running, "Kafka123", HOST) == "https://example.com/on", 15, "the new domain"
    )
    assert location(running, "Kafka123", "other.example") == "https://example.com/default"
    assert location(running, "Missing1", HOST) == "https://acme.example/404"
    asyncio.run(write("edit"))
    seconds_until(lambda: location(running, "Kafka123", HOST) == "https://example.com/new", 15, "the edit")

"""The redirector's Kafka publisher: while Kafka is away, clicks wait in the edge log; the
log survives a restart of the process and is shipped once Kafka answers, each event once."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from schemas.events import CLICKS_TOPIC, ClickEvent, InvalidEvent
from smartlinks.eventlog.reader import EventLogReader
from smartlinks.eventlog.writer import EventLog
from smartlinks.ids import new_id
from smartlinks.kafka.publisher import KafkaClickPublisher
from smartlinks.kafka.topics import ensure_topics
from smartlinks.models import NewLink
from smartlinks.store.sqlite import SQLiteLinkStore
from tests.support.kafka import KafkaBroker
from tests.support.product import start, stop
from tests.support.server import free_port

pytestmark = pytest.mark.kafka


def event(link_id: str) -> ClickEvent:
    return ClickEvent(
        event_id=new_id(), ts=int(time.time() * 1000), tenant_id="t", link_id=link_id, code="abcd",
        campaign=None, contact_id=None, method="GET", ip="127.0.0.1", user_agent="UA", referer="",
        accept_language="", visitor_cookie=None, collect_metadata=True,
    )  # fmt: skip


def event_id_of(value: bytes | None) -> str:
    try:
        return ClickEvent.from_json(value or b"").event_id
    except InvalidEvent:
        return ""  # other tests' poison messages share the topic


async def published_ids(bootstrap: str, wanted: set[str], timeout: float = 30) -> list[str]:
    """Event ids of ``wanted`` found in the clicks topic, repeats included."""
    consumer = AIOKafkaConsumer(CLICKS_TOPIC, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: list[str] = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and set(found) < wanted:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    event_id = event_id_of(record.value)
                    if event_id in wanted:
                        found.append(event_id)
        # a moment more, so that a duplicate would show
        for records in (await consumer.getmany(timeout_ms=1000)).values():
            found.extend(e for r in records if (e := event_id_of(r.value)) in wanted)
    finally:
        await consumer.stop()
    return found


def test_clicks_logged_while_kafka_is_away_survive_a_restart_and_arrive_once(
    kafka: KafkaBroker, tmp_path: Path
) -> None:
    folder = tmp_path / "events"
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there: Kafka is "down"

    async def while_down() -> list[ClickEvent]:
        click_log = EventLog(folder)
        click_log.open()
        publisher = KafkaClickPublisher(nowhere, EventLogReader(click_log))
        await publisher.start()
        events = [event(f"link-{n % 3}") for n in range(20)]
        await asyncio.gather(*(click_log.append(item.to_json()) for item in events))  # never blocks
        await asyncio.sleep(0.5)
        assert publisher.stats.delivered == 0
        assert publisher.stats.publish_errors >= 1
        started = time.monotonic()
        await publisher.stop()  # the process ends with Kafka away: a short bound, not a hang
        assert time.monotonic() - started < 8
        await click_log.close()
        return events

    events = asyncio.run(while_down())
    logged = sum(len(p.read_bytes().splitlines()) for p in folder.glob("*.log"))
    assert logged == 20

    async def after_restart() -> int:
        await ensure_topics(kafka.bootstrap_servers)
        click_log = EventLog(folder)
        click_log.open()
        publisher = KafkaClickPublisher(kafka.bootstrap_servers, EventLogReader(click_log))
        await publisher.start()
        later = event("link-0")
        await click_log.append(later.to_json())  # new clicks queue behind the old ones, in order
        events.append(later)
        deadline = time.monotonic() + 60
        while publisher.stats.delivered < 21 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await publisher.stop()
        await click_log.close()
        return publisher.stats.delivered

    assert asyncio.run(after_restart()) == 21
    # Shipped segments are deleted; the one written last stays until the next rotation.
    assert len(list(folder.glob("*.log"))) == 1
    wanted = {item.event_id for item in events}
    found = asyncio.run(published_ids(kafka.bootstrap_servers, wanted))
    assert sorted(found) == sorted(wanted)  # every click once


def test_a_redirector_starts_serves_and_stops_while_kafka_is_away_and_ships_later(
    kafka: KafkaBroker, tmp_path: Path
) -> None:
    """Kafka away when a redirector starts: it answers anyway (clicks go to its edge log),
    a SIGTERM ends it cleanly within seconds, and once it runs with the brokers again the
    clicks it answered reach the topic, each once."""
    database = tmp_path / "links.sqlite3"

    async def make_link() -> str:
        store = SQLiteLinkStore(database)
        await store.open()
        try:
            tenant = await store.create_tenant("t")
            link = await store.create_link(
                NewLink(tenant_id=tenant.id, destination_url="https://example.com/")
            )
            return link.code
        finally:
            await store.close()

    code = asyncio.run(make_link())
    shared = {"SMARTLINKS_DATABASE_URL": f"sqlite:///{database}"}
    nowhere = f"127.0.0.1:{free_port()}"
    process, running = start(
        tmp_path / "edge", "redirector", ready="/readyz", SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS=nowhere, **shared
    )
    try:
        for _ in range(5):
            assert httpx.get(f"{running.url}/{code}", follow_redirects=False).status_code == 302
        assert httpx.get(running.url + "/readyz").status_code == 200  # a balancer keeps it
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        # uvicorn re-raises the signal it shut down for: -SIGTERM is a clean stop.
        assert process.wait(timeout=20) == -signal.SIGTERM
        assert time.monotonic() - started < 10
    finally:
        if process.poll() is None:
            process.kill()
    output = running.log.read_text()
    assert "Application shutdown failed" not in output
    assert "Traceback" not in output
    assert "Kafka at " + nowhere + " is unreachable" in output

    process, running = start(
        tmp_path / "edge",
        "redirector",
        ready="/readyz",
        SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS=kafka.bootstrap_servers,
        **shared,
    )
    try:
        folder = tmp_path / "edge" / "events"
        lines = b"".join(path.read_bytes() for path in sorted(folder.glob("*.log"))).splitlines()
        wanted = {ClickEvent.from_json(line).event_id for line in lines}
        assert len(wanted) == 5
        found = asyncio.run(published_ids(kafka.bootstrap_servers, wanted))
        assert sorted(found) == sorted(wanted)
    finally:
        stop(process)

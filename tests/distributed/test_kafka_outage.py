"""A broker outage as an idle analytics process (consumer + API) lives through it.

While the broker is away the process waits quietly: a small share of a core (it once spun
at 99 % in aiokafka's reconnect loops), one WARNING that Kafka is unreachable and one INFO
line when it is back, /readyz not ready in between. The broker comes back on the same
ports (they lie outside the ephemeral range, so no retrying client holds them), and the
process carries on: a click produced afterwards is counted.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from schemas.events import CLICKS_TOPIC, ClickEvent, LinkChange
from smartlinks.ids import new_id
from smartlinks.kafka.changes import KafkaChangeFeed
from smartlinks.kafka.topics import ensure_topics
from tests.support.kafka import KafkaBroker
from tests.support.product import Running, start, stop
from tests.support.waiting import seconds_until

pytestmark = pytest.mark.kafka

OUTAGE = 20.0  # seconds the broker stays away
MAX_CPU_SHARE = 0.10  # of one core, over the outage
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (``/proc/<pid>/stat`` utime + stime)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": field 3 onwards
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``condition`` twice a second; return the seconds it took."""
    return seconds_until(condition, timeout, what, every=0.5)


def status(running: Running) -> int:
    return httpx.get(running.url + "/readyz", timeout=5).status_code


def kafka_up(running: Running) -> str:
    lines = httpx.get(running.url + "/metrics", timeout=5).text.splitlines()
    return next(line for line in lines if line.startswith('smartlinks_kafka_up{client="click-consumer"}'))


def all_kafka_clients_up(running: Running) -> bool:
    lines = httpx.get(running.url + "/metrics", timeout=5).text.splitlines()
    states = [line.split()[-1] for line in lines if line.startswith("smartlinks_kafka_up{")]
    return bool(states) and all(state == "1.0" for state in states)


def events_taken(running: Running) -> float:
    lines = httpx.get(running.url + "/metrics", timeout=5).text.splitlines()
    return float(
        next(line for line in lines if line.startswith("smartlinks_consumer_events_total ")).split()[1]
    )


def settle(running: Running) -> None:
    """Wait until the consumer has read the backlog a new group starts with (the session's
    broker holds other tests' clicks): the outage should find the process idle."""

    def unchanged() -> bool:
        before = events_taken(running)
        time.sleep(2)
        return events_taken(running) == before

    wait_until(unchanged, 60, "the consumer to read its backlog")


def log_lines(running: Running, level: str) -> list[str]:
    return [line for line in running.log.read_text().splitlines() if f'"level":"{level}"' in line]


async def produce_click(bootstrap: str, tenant_id: str, link: dict[str, str]) -> None:
    event = ClickEvent(
        event_id=new_id(), ts=int(time.time() * 1000), tenant_id=tenant_id, link_id=link["id"],
        code=link["code"], campaign=None, contact_id=None, method="GET", ip="81.2.69.142",
        user_agent=UA, referer="", accept_language="en", visitor_cookie=None, collect_metadata=True,
    )  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(CLICKS_TOPIC, event.to_json(), key=event.key)
    finally:
        await producer.stop()


def test_an_idle_analytics_process_waits_out_a_broker_outage_quietly(
    kafka: KafkaBroker, tmp_path: Path
) -> None:
    data = tmp_path / "analytics"
    process, running = start(
        data,
        "analytics",
        ready="/readyz",
        SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS=kafka.bootstrap_servers,
        SMARTLINKS_SECRET_KEY="outage-test-secret",
        SMARTLINKS_CONSUMER_GROUP=f"outage-{uuid.uuid4().hex[:8]}",
        SMARTLINKS_CONSUMER_MAX_WAIT_MS="200",
    )
    auth = {"Authorization": f"Bearer {running.key}"}
    try:
        created = httpx.post(
            running.url + "/api/v1/links", headers=auth, json={"destination_url": "https://example.com/"}
        )
        assert created.status_code == 201, created.text
        link = created.json()
        settle(running)
        warnings_before = log_lines(running, "WARNING")

        kafka.stop()
        try:
            cpu_before, started = cpu_seconds(process.pid), time.monotonic()
            noticed = wait_until(lambda: status(running) == 503, 15, "/readyz to report the outage")
            # The click and the funnel consumers each probe on their own: either may say it first.
            checks = httpx.get(running.url + "/readyz").json()["checks"]
            assert any("Kafka at" in checks[name] for name in ("kafka_consumer", "kafka_funnel_consumer")), (
                checks
            )
            wait_until(lambda: kafka_up(running).endswith(" 0.0"), 15, "the click consumer to see the outage")
            time.sleep(max(0.0, OUTAGE - (time.monotonic() - started)))
            cpu_share = (cpu_seconds(process.pid) - cpu_before) / (time.monotonic() - started)
            assert status(running) == 503  # still: nothing to be ready with
        finally:
            kafka.start()  # the session's broker, same ports: fails if a client holds one

        back = wait_until(lambda: status(running) == 200, 60, "/readyz to report ready again")
        assert kafka_up(running).endswith(" 1.0")
        assert cpu_share < MAX_CPU_SHARE, f"{cpu_share:.1%} of a core while the broker was away"

        # Working again, not only ready: a click produced now is counted.
        with sqlite3.connect(data / "links.sqlite3") as db:
            (tenant_id,) = db.execute("SELECT tenant_id FROM links WHERE id = ?", (link["id"],)).fetchone()
        asyncio.run(produce_click(kafka.bootstrap_servers, tenant_id, link))

        def counted() -> bool:
            analytics = httpx.get(f"{running.url}/api/v1/links/{link['id']}/analytics", headers=auth).json()
            return int(analytics["totals"]["total"]) == 1

        wait_until(counted, 60, "the click produced after the outage to be counted")
        # Every client of the process finds the brokers again (each probes on its own).
        wait_until(lambda: all_kafka_clients_up(running), 30, "every Kafka client to be up again")
    finally:
        stop(process)

    # Said once each way, and nothing else worth a warning about the outage.
    warnings = [line for line in log_lines(running, "WARNING") if line not in warnings_before]
    assert len(warnings) == 1 and f"Kafka at {kafka.bootstrap_servers} is unreachable" in warnings[0], (
        warnings
    )
    assert not log_lines(running, "ERROR")
    back_lines = [line for line in log_lines(running, "INFO") if "is reachable again" in line]
    assert len(back_lines) == 1, back_lines
    print(f"outage seen in {noticed:.1f} s, ready {back:.1f} s after the broker, {cpu_share:.1%} of a core")


def test_link_changes_wait_in_the_outbox_at_once_while_kafka_is_known_to_be_away(kafka: KafkaBroker) -> None:
    # An API write publishes its change before it answers: while the feed's probe has found
    # Kafka away, that fails at once (the change stays in the outbox for the relay) rather
    # than after the producer's 10 s timeout.
    async def scenario() -> float:
        await ensure_topics(kafka.bootstrap_servers)
        feed = KafkaChangeFeed(kafka.bootstrap_servers)
        await feed.start()
        try:
            change = [LinkChange("updated", "outage-test", new_id(), "nocode", int(time.time() * 1000))]
            feed.health.failed(ConnectionError("refused"))  # what the probe reports
            started = time.monotonic()
            with pytest.raises(ConnectionError, match="unreachable"):
                await feed.publish(change)
            refused_in = time.monotonic() - started
            feed.health.ok()
            await feed.publish(change)  # and goes out again once Kafka is back
            return refused_in
        finally:
            await feed.stop()

    assert asyncio.run(scenario()) < 0.1

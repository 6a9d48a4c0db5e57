"""The distributed deployment for real: a local Kafka broker, PostgreSQL, two redirector
processes and one analytics process (consumer + API on chDB), all over HTTP.

Every served redirect must end up in ClickHouse exactly once, through edits, deletions, a
SIGKILLed broker and a SIGKILLed consumer.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from schemas.events import CLICKS_TOPIC, DEAD_LETTER_TOPIC, ClickEvent, InvalidEvent
from smartlinks.ids import new_id
from tests.support.burst import burst
from tests.support.deployment import deployment_env
from tests.support.figures import LinkFigures, link_figures
from tests.support.funnel_scenario import check_funnel, run_scenario
from tests.support.kafka import KafkaBroker
from tests.support.postgres import PostgresServer
from tests.support.product import Running, start, stop
from tests.support.waiting import seconds_until

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

SECRET = "distributed-test-secret"
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


@dataclass
class Cluster:
    root: Path
    env: dict[str, str]
    analytics: Running
    redirectors: list[Running]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    key: str = ""

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.key}"}
        return httpx.request(method, self.analytics.url + path, headers=headers, timeout=30, **kwargs)

    def restart_analytics(self) -> None:
        process, self.analytics = start(self.root / "analytics", "analytics", **self.env)
        self.processes["analytics"] = process


@pytest.fixture(scope="module")
def cluster(
    kafka: KafkaBroker, postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    env = deployment_env(kafka, postgres, SECRET)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        process, analytics = start(root / "analytics", "analytics", ready="/readyz", **env)
        processes["analytics"] = process
        redirectors = []
        for name in ("r1", "r2"):
            process, running = start(root / name, "redirector", ready="/readyz", **env)
            processes[name] = process
            redirectors.append(running)
        key = next(line.strip() for line in analytics.output if line.strip().startswith("sl_"))
        yield Cluster(root, env, analytics, redirectors, processes, key)
    finally:
        for process in processes.values():
            if process.poll() is None:
                stop(process)


def create_link(cluster: Cluster, destination: str = "https://example.com/") -> dict[str, Any]:
    response = cluster.api("POST", "/api/v1/links", json={"destination_url": destination})
    assert response.status_code == 201, response.text
    link: dict[str, Any] = response.json()
    return link


def click_log_ids(cluster: Cluster, link_id: str) -> list[str]:
    ids: list[str] = []
    cursor = ""
    while True:
        page = cluster.api("GET", f"/api/v1/links/{link_id}/clicks?limit=200&cursor={cursor}").json()
        ids.extend(item["id"] for item in page["items"])
        if not page["next_cursor"]:
            return ids
        cursor = page["next_cursor"]


def wait_for_total(cluster: Cluster, link_id: str, expected: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    total = -1
    while time.monotonic() < deadline:
        response = cluster.api("GET", f"/api/v1/links/{link_id}/analytics?preset=7d")
        if response.status_code == 200:
            total = response.json()["totals"]["total"]
            if total >= expected:
                time.sleep(1)  # anything more (a duplicate) would show up by now
                return int(cluster.api("GET", f"/api/v1/links/{link_id}/analytics").json()["totals"]["total"])
        time.sleep(0.2)
    return total


def test_clicks_through_both_redirectors_are_counted_exactly_once(cluster: Cluster) -> None:
    link = create_link(cluster)
    served = 0
    for i in range(60):
        redirector = cluster.redirectors[i % 2]
        response = httpx.get(
            f"{redirector.url}/{link['code']}", headers={"User-Agent": UA}, follow_redirects=False
        )
        assert response.status_code == 302
        served += 1
    assert wait_for_total(cluster, link["id"], served) == served
    ids = click_log_ids(cluster, link["id"])
    assert len(ids) == served
    assert len(set(ids)) == served


def redirects_to(url: str, destination: str) -> bool:
    location: str | None = httpx.get(url).headers.get("location")
    return location == destination


def is_gone(url: str) -> bool:
    return httpx.get(url).status_code == 404


def test_an_edit_reaches_every_redirector_within_a_second(cluster: Cluster) -> None:
    link = create_link(cluster, "https://old.example/")
    for redirector in cluster.redirectors:  # both have it cached
        assert httpx.get(f"{redirector.url}/{link['code']}").headers["location"] == "https://old.example/"
    edited = cluster.api(
        "PATCH", f"/api/v1/links/{link['id']}", json={"destination_url": "https://new.example/"}
    )
    assert edited.status_code == 200
    for redirector in cluster.redirectors:
        url = f"{redirector.url}/{link['code']}"
        assert seconds_until(partial(redirects_to, url, "https://new.example/"), 5, "the edit") < 1.0


def test_a_rule_change_reaches_every_redirector_and_a_limit_holds_across_them(cluster: Cluster) -> None:
    """Rules edited through the API reach both redirectors over Kafka, like any edit; the
    limit is counted in PostgreSQL, so the two never let more human clicks through."""
    link = create_link(cluster, "https://old.example/")
    for redirector in cluster.redirectors:  # both have it cached, without rules
        assert httpx.get(f"{redirector.url}/{link['code']}").headers["location"] == "https://old.example/"
    rules = {"max_clicks": 12, "targets": [{"device": "desktop", "destination_url": "https://desk.example/"}]}
    assert cluster.api("PATCH", f"/api/v1/links/{link['id']}", json=rules).status_code == 200
    for redirector in cluster.redirectors:
        url = f"{redirector.url}/{link['code']}"  # httpx's own user agent: a script, spends nothing
        assert seconds_until(partial(redirects_to, url, "https://desk.example/"), 5, "the rule") < 1.0
    statuses = []
    with httpx.Client(follow_redirects=False, headers={"User-Agent": UA}) as client:
        for i in range(30):
            statuses.append(client.get(f"{cluster.redirectors[i % 2].url}/{link['code']}").status_code)
        for redirector in cluster.redirectors:  # clicks one still holds are spent there
            while (status := client.get(f"{redirector.url}/{link['code']}").status_code) == 302:
                statuses.append(status)
    assert statuses.count(302) == 12
    assert statuses[-1] == 410

    def humans() -> int:
        totals = cluster.api("GET", f"/api/v1/links/{link['id']}/analytics?preset=7d").json()["totals"]
        return int(totals["total"] - totals["bots"])

    seconds_until(lambda: humans() >= 12, 60, "the clicks in ClickHouse", every=0.2)
    assert humans() == 12


def test_a_delete_removes_the_link_everywhere_and_its_analytics(cluster: Cluster) -> None:
    link = create_link(cluster)
    for redirector in cluster.redirectors:
        assert httpx.get(f"{redirector.url}/{link['code']}", headers={"User-Agent": UA}).status_code in (
            200,
            302,
        )
    assert wait_for_total(cluster, link["id"], 2) == 2
    assert cluster.api("DELETE", f"/api/v1/links/{link['id']}").status_code == 204
    for redirector in cluster.redirectors:
        url = f"{redirector.url}/{link['code']}"
        assert seconds_until(partial(is_gone, url), 5, "the deletion") < 1.0
    assert cluster.api("GET", f"/api/v1/links/{link['id']}/analytics").status_code == 404


class ClickStream:
    """Clicks sent steadily from a thread; counts what was served (302)."""

    def __init__(self, urls: list[str], interval: float = 0.01) -> None:
        self.urls = urls
        self.interval = interval
        self.served = 0
        self.failed = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(follow_redirects=False, timeout=5, headers={"User-Agent": UA}) as client:
            i = 0
            while not self._stop.is_set():
                try:
                    response = client.get(self.urls[i % len(self.urls)])
                    if response.status_code == 302:
                        self.served += 1
                    else:
                        self.failed += 1
                        self.failures.append(f"{response.status_code}: {response.text[:200]}")
                except httpx.HTTPError as exc:
                    self.failed += 1
                    self.failures.append(repr(exc))
                i += 1
                time.sleep(self.interval)

    def __enter__(self) -> ClickStream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def test_a_killed_broker_loses_no_click(cluster: Cluster, kafka: KafkaBroker) -> None:
    link = create_link(cluster)
    urls = [f"{r.url}/{link['code']}" for r in cluster.redirectors]
    with ClickStream(urls) as stream:
        time.sleep(1.5)
        kafka.kill()  # SIGKILL, mid-stream
        time.sleep(3)
        kafka.restart()
        time.sleep(2)
    assert stream.failures == []  # the redirect never depended on Kafka
    assert stream.served > 100
    assert wait_for_total(cluster, link["id"], stream.served, timeout=120) == stream.served
    ids = click_log_ids(cluster, link["id"])
    assert len(ids) == len(set(ids)) == stream.served


def test_a_killed_consumer_loses_nothing_and_counts_nothing_twice(cluster: Cluster) -> None:
    link = create_link(cluster)
    urls = [f"{r.url}/{link['code']}" for r in cluster.redirectors]
    with ClickStream(urls) as stream:
        time.sleep(1.5)
        cluster.processes["analytics"].kill()  # SIGKILL, mid-batch
        cluster.processes["analytics"].wait()
        time.sleep(1)
        cluster.restart_analytics()
        time.sleep(1.5)
    assert stream.failures == []
    assert wait_for_total(cluster, link["id"], stream.served, timeout=120) == stream.served
    ids = click_log_ids(cluster, link["id"])
    assert len(ids) == len(set(ids)) == stream.served


def test_an_undecodable_message_goes_to_the_dead_letter_topic(cluster: Cluster, kafka: KafkaBroker) -> None:
    async def produce_then_read() -> list[tuple[bytes, dict[str, bytes]]]:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(CLICKS_TOPIC, b"\xff not an event", key=b"poison")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(
            DEAD_LETTER_TOPIC, bootstrap_servers=kafka.bootstrap_servers, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            found: list[tuple[bytes, dict[str, bytes]]] = []
            deadline = time.monotonic() + 30
            while not found and time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    found.extend((r.value or b"", dict(r.headers)) for r in records)
            return found
        finally:
            await consumer.stop()

    letters = asyncio.run(produce_then_read())
    assert (b"\xff not an event", b"not_json") in [(value, headers["reason"]) for value, headers in letters]
    # and the consumer goes on
    link = create_link(cluster)
    httpx.get(f"{cluster.redirectors[0].url}/{link['code']}", headers={"User-Agent": UA})
    assert wait_for_total(cluster, link["id"], 1) == 1


def create_campaign_link(cluster: Cluster, campaign: str) -> dict[str, Any]:
    response = cluster.api(
        "POST", "/api/v1/links", json={"destination_url": "https://example.com/c", "campaign": campaign}
    )
    assert response.status_code == 201, response.text
    link: dict[str, Any] = response.json()
    return link


def settled_figures(cluster: Cluster, link_id: str, campaign: str, at_least: int) -> LinkFigures:
    """Every figure of the link once the consumer caught up: equal, >= ``at_least``, steady."""
    deadline = time.monotonic() + 120
    last: LinkFigures | None = None
    while time.monotonic() < deadline:
        figures = link_figures(cluster.analytics.url, cluster.key, link_id, campaign)
        if figures == last and len(figures.values()) == 1 and figures.lifetime >= at_least:
            return figures
        last = figures
        time.sleep(1)
    raise AssertionError(f"figures did not settle at >= {at_least}: {last}")


def test_a_redirector_killed_mid_burst_loses_no_answered_click(cluster: Cluster) -> None:
    link = create_campaign_link(cluster, "kill-redirector")
    process = cluster.processes["r1"]
    killer = threading.Timer(1.0, process.kill)  # SIGKILL
    killer.start()
    count = burst(cluster.redirectors[0].url, f"/{link['code']}", seconds=5)
    killer.join()
    process.wait(timeout=10)
    assert count.answered > 300, count
    # Back on the same data directory: what its edge log holds goes to Kafka now.
    cluster.processes["r1"], cluster.redirectors[0] = start(
        cluster.root / "r1", "redirector", ready="/readyz", **cluster.env
    )
    figures = settled_figures(cluster, link["id"], "kill-redirector", count.answered)
    assert count.answered <= figures.lifetime <= count.sent, (figures, count)
    assert len(click_log_ids(cluster, link["id"])) == figures.lifetime


def test_a_consumer_killed_during_inserts_ten_times_leaves_every_figure_equal(cluster: Cluster) -> None:
    link = create_campaign_link(cluster, "kill-consumer")
    cluster.processes["analytics"].kill()  # the clicks pile up in Kafka meanwhile
    cluster.processes["analytics"].wait()
    count = burst(cluster.redirectors[1].url, f"/{link['code']}", seconds=4)
    assert count.answered == count.sent, count  # this redirector stayed up
    rng = random.Random(10)
    for _ in range(10):
        cluster.restart_analytics()  # ready: it is taking and inserting the backlog
        time.sleep(rng.uniform(0.0, 1.5))
        cluster.processes["analytics"].kill()
        cluster.processes["analytics"].wait()
    cluster.restart_analytics()
    figures = settled_figures(cluster, link["id"], "kill-consumer", count.answered)
    assert figures.lifetime == count.answered, figures
    ids = click_log_ids(cluster, link["id"])
    assert len(ids) == len(set(ids)) == count.answered


def test_a_campaign_funnel_end_to_end_through_kafka(cluster: Cluster) -> None:
    """Deliveries and conversions go API → its log → smartlinks.events → the consumer; the
    clicks redirector → its log → smartlinks.clicks → the consumer: the same figures as the
    embedded product's."""
    headers = {"Authorization": f"Bearer {cluster.key}"}
    with httpx.Client(base_url=cluster.analytics.url, headers=headers, timeout=30) as api:
        truth = run_scenario(api, lambda code: f"{cluster.redirectors[1].url}/{code}")
        check_funnel(api, truth, timeout=120)


def test_a_conversion_read_before_its_click_waits_for_it(cluster: Cluster, kafka: KafkaBroker) -> None:
    """The clicks topic lags the funnel's: the consumer holds a conversion whose click is
    not stored yet and attributes it to that click once it arrives, not to the contact's
    last click (consumer/funnel_hold.py)."""
    response = cluster.api(
        "POST",
        "/api/v1/links",
        json={
            "destination_url": "https://shop.example/",
            "campaign": "lag",
            "contact_id": "c-lag",
            "conversion_tracking": True,
        },
    )
    link = response.json()
    httpx.get(f"{cluster.redirectors[0].url}/{link['code']}", headers={"User-Agent": UA})

    async def read_click() -> ClickEvent:
        consumer = AIOKafkaConsumer(
            CLICKS_TOPIC, bootstrap_servers=kafka.bootstrap_servers, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for record in records:
                        try:
                            event = ClickEvent.from_json(record.value or b"")
                        except InvalidEvent:
                            continue  # another test's poison message: the topic is shared
                        if event.link_id == link["id"]:
                            return event
            raise AssertionError("the redirect's click never reached Kafka")
        finally:
            await consumer.stop()

    async def publish(event: ClickEvent) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers)
        await producer.start()
        try:
            await producer.send_and_wait(CLICKS_TOPIC, event.to_json(), key=event.key)
        finally:
            await producer.stop()

    # A second click by the same contact, answered by a redirector but still on its way.
    first = asyncio.run(read_click())
    late = msgspec.structs.replace(first, event_id=new_id(), ts=int(time.time() * 1000))
    conversion = {
        "type": "conversion", "id": "order-lag", "name": "purchase", "click_id": late.event_id,
        "campaign": "lag", "contact_id": "c-lag",
    }  # fmt: skip
    sent = cluster.api("POST", "/api/v1/events", json={"events": [conversion]})
    assert sent.json()["accepted"] == 1, sent.text

    def stored() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = cluster.api("GET", "/api/v1/contacts/c-lag/conversions").json()["items"]
        return items

    time.sleep(3)  # long enough for the consumer to have read it
    assert stored() == []  # held, not attributed to the first click
    asyncio.run(publish(late))
    seconds_until(lambda: bool(stored()), 60, "the held conversion stored", every=0.2)
    [conversion_row] = stored()
    assert (conversion_row["attribution"], conversion_row["click_id"]) == ("click_id", late.event_id)

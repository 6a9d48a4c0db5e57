"""``smartlinks demo`` on a distributed deployment, as a user runs it: Kafka and PostgreSQL
configured, a fresh data directory, the demo first and the consumers (``smartlinks
analytics``) after.

The clicks go out at once; the deliveries and conversions wait in the demo's own log until
the consumers have stored the clicks (a conversion stored before its click would lose it
for good), and a second run, with the consumers up, publishes them. Read back through the
API: every click once, bots among them, 30 days of them, the campaign's funnel, every
conversion attributed to the click it names. A third run publishes nothing; a demo of
another tenant while the consumers run does it all in one go.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.deployment import deployment_env
from tests.support.kafka import KafkaBroker
from tests.support.postgres import PostgresServer
from tests.support.product import SMARTLINKS, Running, env_for, start, stop
from tests.support.waiting import seconds_until

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

CLICKS = 2000
DAYS = 30


@dataclass
class Deployment:
    env: dict[str, str]
    demo_dir: Path
    analytics_dir: Path
    analytics: Running
    first: str  # what the first run, before the consumers started, printed

    def demo(self, *args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*SMARTLINKS, "demo", "--clicks", str(CLICKS), "--days", str(DAYS), *args],
            env=env_for(data_dir or self.demo_dir, **self.env),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        return result

    def get(self, key: str, path: str, **params: str) -> Any:
        response = httpx.get(
            self.analytics.url + path, params=params, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        assert response.status_code == 200, response.text
        return response.json()

    def links(self, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.get(key, "/api/v1/links", limit="100", **({"cursor": cursor} if cursor else {}))
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return items

    def clicks(self, key: str) -> int:
        return sum(link["clicks"] for link in self.links(key))

    def funnel(self, key: str) -> Any:
        return self.get(key, "/api/v1/campaigns/spring-sale/funnel", preset="90d")


@dataclass
class Run:
    first: str  # what the first run printed
    again: subprocess.CompletedProcess[str]
    third: subprocess.CompletedProcess[str]
    key: str
    sent: int
    conversions: int


@pytest.fixture(scope="module")
def deployment(
    kafka: KafkaBroker, postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("demo-kafka")
    env = deployment_env(kafka, postgres, "demo-over-kafka")
    first = subprocess.run(  # before any consumer runs: the funnel must wait
        [*SMARTLINKS, "demo", "--clicks", str(CLICKS), "--days", str(DAYS)],
        env=env_for(root / "demo", **env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stdout + first.stderr
    process, analytics = start(root / "analytics", "analytics", ready="/readyz", **env)
    try:
        yield Deployment(env, root / "demo", root / "analytics", analytics, first.stdout)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def run(deployment: Deployment) -> Run:
    first_out = deployment.first
    key = first_out.strip().splitlines()[-1]
    sent_match = re.search(r"clicks: ([0-9,]+) over 30 days, published to Kafka", first_out)
    held = re.search(r"funnel: ([0-9,]+) deliveries and ([0-9,]+) conversions wait in", first_out)
    assert sent_match and held, first_out
    sent = int(sent_match[1].replace(",", ""))
    conversions = int(held[2].replace(",", ""))
    seconds_until(lambda: deployment.clicks(key) >= sent, 180, "the demo's clicks stored")
    assert deployment.funnel(key)["delivered"] == 0  # held back until the clicks are stored
    again = deployment.demo()
    seconds_until(
        lambda: deployment.funnel(key)["converted"] >= conversions, 120, "the demo's conversions stored"
    )
    third = deployment.demo()
    time.sleep(3)  # anything the third run sent would be stored by now
    return Run(first_out, again, third, key, sent, conversions)


def test_the_first_run_publishes_the_clicks_and_holds_the_funnel(run: Run) -> None:
    assert run.key.startswith("sl_")
    assert CLICKS * 0.9 <= run.sent <= CLICKS * 1.1
    assert "until the consumers (group 'smartlinks-consumer') have stored the clicks" in run.first
    assert "run `smartlinks demo` again" in run.first


def test_a_rerun_publishes_the_held_funnel_and_nothing_twice(deployment: Deployment, run: Run) -> None:
    assert "no clicks sent" in run.again.stdout
    assert "funnel: the campaign's deliveries and conversions published" in run.again.stdout
    assert "(0 created now)" in run.again.stdout
    assert "sl_" not in run.again.stdout + run.third.stdout  # the key is shown once
    assert "no clicks sent" in run.third.stdout
    assert "funnel:" not in run.third.stdout  # nothing left to publish
    assert deployment.clicks(run.key) == run.sent
    assert deployment.funnel(run.key)["converted"] == run.conversions


def test_every_click_arrived_over_the_days(deployment: Deployment, run: Run) -> None:
    everyday = [link for link in deployment.links(run.key) if not link["contact_id"]]
    days: set[str] = set()
    bots = 0
    for link in everyday:
        body = deployment.get(run.key, f"/api/v1/links/{link['id']}/analytics", preset="90d")
        days |= {point["t"][:10] for point in body["timeseries"] if point["total"] > 0}
        bots += body["totals"]["bots"]
    assert len(days) >= 20
    assert 0 < bots < run.sent * 0.15
    campaign = deployment.get(run.key, "/api/v1/campaigns/spring-sale/analytics", preset="90d")
    assert campaign["totals"]["bots"] > 0  # the messengers' link previews


def test_the_funnel_and_every_conversion_keep_their_click(deployment: Deployment, run: Run) -> None:
    funnel = deployment.funnel(run.key)
    assert funnel["delivered"] >= funnel["clicked"] >= funnel["converted"] > 0
    assert funnel["revenue"] and funnel["revenue"][0]["currency"] == "EUR"
    contact_of = {link["id"]: link["contact_id"] for link in deployment.links(run.key)}
    converting = [row for row in funnel["links"] if row["converted"]]
    # Attributed to a link: through a click (a conversion without one names no link).
    assert sum(row["converted"] for row in converting) == funnel["converted"]
    attributions = []
    for row in converting:
        contact = contact_of[row["link_id"]]
        page = deployment.get(run.key, f"/api/v1/contacts/{contact}/conversions")
        attributions += [
            (item["attribution"], bool(item["click_id"]), item["link_id"] == row["link_id"])
            for item in page["items"]
        ]
    assert len(attributions) == run.conversions
    assert set(attributions) == {("click_id", True, True)}


def test_a_demo_while_the_consumers_run_sends_everything_at_once(deployment: Deployment) -> None:
    # Beside the analytics process, on its data directory: its chDB is none of the demo's
    # business with Kafka, so the lock on it is no reason to refuse.
    result = deployment.demo("--tenant", "second", "--clicks", "300", data_dir=deployment.analytics_dir)
    key = result.stdout.strip().splitlines()[-1]
    sent = re.search(r"clicks: ([0-9,]+) over 30 days", result.stdout)
    published = re.search(r"funnel: ([0-9,]+) deliveries and ([0-9,]+) conversions published", result.stdout)
    assert sent and published, result.stdout
    seconds_until(lambda: deployment.clicks(key) >= int(sent[1].replace(",", "")), 120, "the clicks")
    seconds_until(lambda: deployment.funnel(key)["converted"] >= int(published[2]), 60, "the conversions")
    funnel = deployment.funnel(key)
    assert sum(row["converted"] for row in funnel["links"]) == funnel["converted"] > 0
    assert deployment.clicks(key) == int(sent[1].replace(",", ""))

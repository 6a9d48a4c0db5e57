"""``smartlinks demo`` as a newcomer runs it: a fresh data directory filled through the real
pipeline, then read back through the API of ``smartlinks up`` on the same directory."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port
from tests.support.product import SMARTLINKS, Running, env_for, start, stop

CLICKS = 4000


@dataclass
class Demo:
    first: subprocess.CompletedProcess[str]
    again: subprocess.CompletedProcess[str]
    running: Running
    key: str

    def get(self, path: str, **params: str) -> dict:  # type: ignore[type-arg]
        response = httpx.get(
            self.running.url + path,
            params=params,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def links(self) -> list[dict]:  # type: ignore[type-arg]
        items, cursor = [], None
        while True:
            page = self.get("/api/v1/links", limit="100", **({"cursor": cursor} if cursor else {}))
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return items


def _demo(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SMARTLINKS, "demo", "--clicks", str(CLICKS), *args],
        env=env_for(data),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data = tmp_path_factory.mktemp("demo") / "data"
    first = _demo(data)
    assert first.returncode == 0, first.stdout + first.stderr
    again = _demo(data)
    assert again.returncode == 0, again.stdout + again.stderr
    process, running = start(data)
    try:
        yield Demo(first, again, running, first.stdout.strip().splitlines()[-1])
    finally:
        stop(process)


def test_demo_prints_its_key_once_and_a_summary(demo: Demo) -> None:
    assert demo.key.startswith("sl_")
    assert re.search(
        rf"clicks: {CLICKS:,} on (8[5-9]|9[01]) days, [1-9][0-9,]* of them bots", demo.first.stdout
    )
    assert "sl_" not in demo.again.stdout  # the key is shown once
    assert "(0 created now)" in demo.again.stdout
    assert "none added" in demo.again.stdout


def test_a_second_run_creates_no_link_twice(demo: Demo) -> None:
    links = demo.links()
    assert len(links) == len({(link["title"], link["contact_id"]) for link in links})
    contacts = [link for link in links if link["contact_id"]]
    assert len(links) - len(contacts) == 8
    assert len(contacts) >= 100
    assert links[0]["title"] == "Spring sale: landing page"  # the everyday links head the list


def test_clicks_look_real_through_the_analytics(demo: Demo) -> None:
    [aurora] = [link for link in demo.links() if link["title"] == "Aurora headphones launch"]
    body = demo.get(f"/api/v1/links/{aurora['id']}/analytics", preset="90d")
    totals = body["totals"]
    assert 0 < totals["bots"] < totals["total"] * 0.15
    assert totals["unique"] < totals["total"] - totals["bots"]  # people came back
    days = [point for point in body["timeseries"] if point["total"] > 0]
    assert len(days) >= 60
    assert max(point["total"] for point in days) < totals["total"] * 0.1  # no single spike
    assert len(body["countries"]) >= 8
    browsers = {row["name"] for row in body["browsers"]}
    assert {"Chrome", "Safari", "Instagram", "Facebook", "TikTok"} <= browsers
    assert {row["name"] for row in body["platforms"]} >= {"mobile", "desktop"}
    assert len(body["referrers"]) >= 4
    assert [v["clicks"] > 0 for v in body["variants"]] == [True, True]  # the A/B test


def test_the_campaign_funnel_shows_every_step(demo: Demo) -> None:
    funnel = demo.get("/api/v1/campaigns/spring-sale/funnel", preset="90d")
    assert funnel["delivered"] >= funnel["clicked"] >= funnel["converted"] > 0
    assert funnel["revenue"] and funnel["revenue"][0]["currency"] == "EUR"
    campaign = demo.get("/api/v1/campaigns/spring-sale/analytics", preset="30d")
    assert campaign["totals"]["bots"] > 0  # the messengers' link previews


def test_demo_while_up_runs_says_stop_it_first(demo: Demo) -> None:
    result = subprocess.run(
        [*SMARTLINKS, "demo", "--clicks", "10"],
        env=demo.running.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "stop smartlinks up first" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_help_lists_its_options_and_variables() -> None:
    result = subprocess.run([*SMARTLINKS, "demo", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    words = ("--tenant", "--days", "--clicks", "--seed", "SMARTLINKS_DATA_DIR", "SMARTLINKS_GEOIP_DB")
    for word in (*words, "SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS", "SMARTLINKS_CONSUMER_GROUP"):
        assert word in result.stdout, word


@pytest.mark.parametrize("args", [["--days", "0"], ["--days", "400"], ["--clicks", "0"], ["--tenant", " "]])
def test_demo_refuses_what_it_cannot_make(tmp_path: Path, args: list[str]) -> None:
    result = subprocess.run(
        [*SMARTLINKS, "demo", *args],
        env=env_for(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("smartlinks demo: ")
    assert not (tmp_path / "data" / "clickhouse").exists()  # refused before touching anything


def test_demo_with_kafka_away_says_so_before_writing_anything(tmp_path: Path) -> None:
    env = env_for(tmp_path / "data", SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{free_port()}")
    result = subprocess.run(
        [*SMARTLINKS, "demo", "--clicks", "10"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("smartlinks demo: Kafka at 127.0.0.1:")
    assert "does not answer" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()  # no tenant, no links, no events left behind

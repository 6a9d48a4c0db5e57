"""Clicks through real redirects of a real ``smartlinks up``, checked against ground truth.

A known mix of visitors, repeat clicks and bots is sent through HTTP (client addresses via
X-Forwarded-For from a trusted proxy, so geo lookups see real public IPs); every figure
of the analytics API is compared with what the mix must produce.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.clickhouse import CLICK_DATA_TABLES
from smartlinks.visitor import COOKIE_NAME
from tests.support.product import Running, start, stop

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.4 Mobile/15E148 Safari/604.1"
)
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0.0.0 Safari/537.36"
)
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0.0.0 Mobile Safari/537.36"
)
WHATSAPP_PREVIEW = "WhatsApp/2.23.20.0 A"
CURL = "curl/8.5.0"


@dataclass
class Product:
    running: Running
    process: subprocess.Popen[bytes]
    data_dir: Path

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.running.key}"}

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.url + path, headers=self.auth, timeout=30, **kwargs)

    def click(
        self, code: str, ip: str, ua: str, cookie: str | None = None, method: str = "GET", referer: str = ""
    ) -> httpx.Response:
        headers = {"User-Agent": ua, "X-Forwarded-For": ip}
        if cookie:
            headers["Cookie"] = f"{COOKIE_NAME}={cookie}"
        if referer:
            headers["Referer"] = referer
        response = httpx.request(method, f"{self.url}/{code}", headers=headers, follow_redirects=False)
        assert response.status_code == 302, response.text
        return response


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    data_dir = tmp_path_factory.mktemp("analytics") / "data"
    # A poison message waiting in the spool: the consumer must dead-letter it, not stop.
    (data_dir / "spool").mkdir(parents=True)
    (data_dir / "spool" / "000000000001.jsonl").write_bytes(b'{"v": 1, "event_id": "not a whole event\n')
    process, running = start(data_dir, SMARTLINKS_TRUSTED_PROXIES="127.0.0.1/32")
    try:
        yield Product(running, process, data_dir)
    finally:
        stop(process)


def wait_for(product: Product, path: str, done: Any, timeout: float = 15) -> dict[str, Any]:
    """Poll an API path until ``done(body)`` holds (clicks reach ClickHouse asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = product.api("GET", path).json()
        if done(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def send_the_mix(product: Product, code: str) -> None:
    first = product.click(code, "8.8.8.8", IPHONE, referer="https://wa.me/")  # v1, US: unique
    cookie = first.cookies[COOKIE_NAME]
    product.click(code, "8.8.8.8", IPHONE, cookie=cookie)  # v1 again: repeat
    product.click(code, "1.1.1.1", IPHONE, cookie=cookie)  # v1 from AU (the cookie decides): repeat
    product.click(code, "81.2.69.142", WINDOWS_CHROME)  # v2, GB: unique
    product.click(code, "81.2.69.142", WINDOWS_CHROME)  # v2 refusing cookies: same hash, repeat
    product.click(code, "1.1.1.1", ANDROID_CHROME)  # v3, AU: unique
    product.click(code, "8.8.8.8", WHATSAPP_PREVIEW)  # link preview: bot
    product.click(code, "8.8.4.4", IPHONE, method="HEAD")  # HEAD: bot
    product.click(code, "81.2.69.142", CURL)  # command line: bot


@pytest.fixture(scope="module")
def link(product: Product) -> dict[str, Any]:
    created = product.api("POST", "/api/v1/links", json={"destination_url": "https://example.com/sale"})
    other = product.api("POST", "/api/v1/links", json={"destination_url": "https://example.com/other"}).json()
    assert created.status_code == 201
    body: dict[str, Any] = created.json()
    product.click(other["code"], "8.8.8.8", IPHONE)  # another link's click must not leak in
    send_the_mix(product, body["code"])
    path = f"/api/v1/links/{body['id']}/analytics"
    assert wait_for(product, path, lambda b: b["totals"]["total"] >= 9)["totals"]["total"] == 9
    return body


def analytics(product: Product, link: dict[str, Any], **params: str) -> dict[str, Any]:
    response = product.api("GET", f"/api/v1/links/{link['id']}/analytics", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def named(items: list[dict[str, Any]], key: str = "name") -> dict[str, int]:
    return {item[key]: item["clicks"] for item in items}


def test_totals_include_bots_unless_excluded(product: Product, link: dict[str, Any]) -> None:
    everything = analytics(product, link)
    assert everything["totals"] == {"total": 9, "unique": 3, "bots": 3}
    humans = analytics(product, link, exclude_bots="true")
    assert humans["totals"] == {"total": 6, "unique": 3, "bots": 3}
    assert everything["link"]["clicks"] == 9
    assert everything["range"]["interval"] == "day"


def test_countries_cities_and_map(product: Product, link: dict[str, Any]) -> None:
    everything = analytics(product, link)
    assert named(everything["countries"], "country") == {"US": 4, "GB": 3, "AU": 2}
    humans = analytics(product, link, exclude_bots="true")
    countries = {c["country"]: (c["clicks"], c["unique"]) for c in humans["countries"]}
    assert countries == {"US": (2, 1), "GB": (2, 1), "AU": (2, 2)}
    assert {(c["country"], c["city"]) for c in humans["cities"]} >= {("GB", "London"), ("AU", "Sydney")}
    assert sum(location["clicks"] for location in humans["locations"]) == 6
    assert all(-90 <= loc["lat"] <= 90 and -180 <= loc["lon"] <= 180 for loc in humans["locations"])


def test_browsers_platforms_os_referrers(product: Product, link: dict[str, Any]) -> None:
    humans = analytics(product, link, exclude_bots="true")
    assert named(humans["browsers"]) == {"Safari": 3, "Chrome": 3}
    assert named(humans["platforms"]) == {"mobile": 4, "desktop": 2}
    assert named(humans["os"]) == {"iOS": 3, "Windows": 2, "Android": 1}
    assert named(humans["referrers"]) == {"wa.me": 1, "Direct": 5}


def test_every_bucket_is_present_in_the_requested_zone(product: Product, link: dict[str, Any]) -> None:
    hourly = analytics(product, link, preset="7d", interval="hour", tz="Asia/Kolkata")
    series = hourly["timeseries"]
    assert len(series) in (168, 169)  # the first bucket may start before the range
    assert all(point["t"].endswith("+05:30") for point in series)
    assert [p for p in series if p["total"]] == [series[-1]] or sum(p["total"] for p in series) == 9
    assert sum(p["total"] for p in series) == 9
    assert sum(p["bots"] for p in series) == 3
    daily = analytics(product, link, preset="30d", interval="day", tz="America/Sao_Paulo")
    assert len(daily["timeseries"]) in (30, 31)
    assert sum(p["total"] for p in daily["timeseries"]) == 9
    assert sum(1 for p in daily["timeseries"] if p["total"] == 0) >= 29


def test_click_log_kinds(product: Product, link: dict[str, Any]) -> None:
    page = product.api("GET", f"/api/v1/links/{link['id']}/clicks?limit=5").json()
    rest = product.api("GET", f"/api/v1/links/{link['id']}/clicks?cursor={page['next_cursor']}").json()
    items = page["items"] + rest["items"]
    assert rest["next_cursor"] is None
    assert len(items) == 9
    assert len({item["id"] for item in items}) == 9
    assert Counter(item["kind"] for item in items) == {"unique": 3, "repeat": 3, "bot": 3}
    assert [item["ts"] for item in items] == sorted((item["ts"] for item in items), reverse=True)
    assert items[-1]["kind"] == "unique" and items[-1]["country"] == "US"  # the first click


def test_a_poison_event_is_dead_lettered_and_the_consumer_goes_on(
    product: Product, link: dict[str, Any]
) -> None:
    # the link fixture saw the clicks published after the poison message stored
    metrics = httpx.get(product.url + "/metrics").text
    assert 'smartlinks_consumer_dead_letters_total{reason="not_json"} 1.0' in metrics


def test_with_metadata_off_clicks_are_counted_without_details(product: Product) -> None:
    assert product.api("PATCH", "/api/v1/settings", json={"collect_metadata": False}).status_code == 200
    try:
        link = product.api("POST", "/api/v1/links", json={"destination_url": "https://example.com/p"}).json()
        product.click(link["code"], "8.8.8.8", IPHONE)
        body = wait_for(product, f"/api/v1/links/{link['id']}/analytics", lambda b: b["totals"]["total"] >= 1)
        assert body["totals"] == {"total": 1, "unique": 1, "bots": 0}
        assert body["countries"] == [] and body["locations"] == [] and body["cities"] == []
        [click] = product.api("GET", f"/api/v1/links/{link['id']}/clicks").json()["items"]
        assert (click["country"], click["city"], click["browser"], click["os"]) == (None, None, None, None)
        assert click["kind"] == "unique"
    finally:
        product.api("PATCH", "/api/v1/settings", json={"collect_metadata": True})


def test_bots_the_tenant_marks_count_from_the_next_click_on(product: Product) -> None:
    link = product.api("POST", "/api/v1/links", json={"destination_url": "https://example.com/qa"}).json()
    path = f"/api/v1/links/{link['id']}/analytics"
    product.click(link["code"], "9.9.9.9", IPHONE + " AcmeQA/3")  # before the rules: a person
    wait_for(product, path, lambda b: b["totals"]["total"] >= 1)
    rules = {"bot_user_agents": ["acmeqa/"], "bot_ip_ranges": ["208.67.222.0/24"]}
    assert product.api("PATCH", "/api/v1/settings", json=rules).status_code == 200
    try:
        product.click(link["code"], "9.9.9.9", IPHONE + " AcmeQA/3")  # its QA, by user agent
        product.click(link["code"], "208.67.222.222", ANDROID_CHROME)  # its monitor, by network
        product.click(link["code"], "1.0.0.1", WINDOWS_CHROME)  # a person
        body = wait_for(product, path, lambda b: b["totals"]["total"] >= 4)
        assert body["totals"] == {"total": 4, "unique": 2, "bots": 2}
        items = product.api("GET", f"/api/v1/links/{link['id']}/clicks").json()["items"]
        # Newest first: the person, the monitor, the QA, the click before the rules.
        assert [(item["kind"], item["bot_reason"]) for item in items] == [
            ("unique", None),
            ("bot", "tenant_ip"),
            ("bot", "tenant_ua"),
            ("unique", None),
        ]
    finally:
        product.api("PATCH", "/api/v1/settings", json={"bot_user_agents": [], "bot_ip_ranges": []})


def test_deleting_a_link_removes_its_analytics_for_good(tmp_path: Path) -> None:
    # A product of its own: it is stopped to read its chDB files, which only one process
    # at a time may open.
    process, running = start(tmp_path / "data", SMARTLINKS_TRUSTED_PROXIES="127.0.0.1/32")
    product = Product(running, process, tmp_path / "data")
    try:
        kept = product.api(
            "POST", "/api/v1/links", json={"destination_url": "https://example.com/kept"}
        ).json()
        gone = product.api(
            "POST", "/api/v1/links", json={"destination_url": "https://example.com/gone"}
        ).json()
        for link in (kept, gone):
            product.click(link["code"], "8.8.8.8", IPHONE)
            wait_for(product, f"/api/v1/links/{link['id']}/analytics", lambda b: b["totals"]["total"] >= 1)
        assert product.api("DELETE", f"/api/v1/links/{gone['id']}").status_code == 204
        assert product.api("GET", f"/api/v1/links/{gone['id']}/analytics").status_code == 404
        assert httpx.get(f"{product.url}/{gone['code']}").status_code == 404
    finally:
        stop(process)
    # What analysts see in ClickHouse: nothing left of the deleted link, the other intact.
    counts = clickhouse_rows(product.data_dir, gone["id"])
    assert counts == dict.fromkeys(CLICK_DATA_TABLES, 0), counts
    assert clickhouse_rows(product.data_dir, kept["id"])["clicks"] == 1
    assert clickhouse_rows(product.data_dir, gone["id"], "links FINAL WHERE NOT deleted") == {"links": 0}


def clickhouse_rows(data_dir: Path, link_id: str, only: str = "") -> dict[str, int]:
    """Rows of a link per table, read by a separate process (this one may hold another chDB)."""
    tables = [only] if only else list(CLICK_DATA_TABLES)
    script = f"""
import json, sys
from smartlinks.clickhouse import connect
client = connect("chdb://{(data_dir / "clickhouse").resolve()}", "smartlinks")
out = {{}}
for table in {tables!r}:
    name = table.split()[0]
    where = " AND " if " WHERE " in table else " WHERE "
    sql = f"SELECT count() FROM {{table}}{{where}}link_id = {{{{link:String}}}}"
    out[name] = client.query(sql, parameters={{"link": {link_id!r}}}).result_rows[0][0]
print(json.dumps(out))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    counts: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    return counts

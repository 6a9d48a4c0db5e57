"""Link rules through a real ``smartlinks up``: rules set and edited through the API are
obeyed by the next redirect (the edit's change reaches the redirector's cache), a limited
link is used up by people only and opens again when its limit is raised, and a variant
link's clicks reach the click log and the analytics with their variant."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from smartlinks.visitor import COOKIE_NAME, visitor_hash
from tests.support.product import Running, start, stop

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HOME = "https://example.com/home"


class Product:
    def __init__(self, running: Running) -> None:
        self.running = running
        self.http = httpx.Client(follow_redirects=False, timeout=30)

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.running.key}"}
        return self.http.request(method, self.running.url + path, headers=headers, **kwargs)

    def create(self, **body: Any) -> dict[str, Any]:
        response = self.api("POST", "/api/v1/links", json={"destination_url": HOME, **body})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def edit(self, link: dict[str, Any], **body: Any) -> None:
        response = self.api("PATCH", f"/api/v1/links/{link['id']}", json=body)
        assert response.status_code == 200, response.text

    def visit(
        self, link: dict[str, Any], ua: str = CHROME, method: str = "GET", **headers: str
    ) -> httpx.Response:
        self.http.cookies.clear()
        return self.http.request(
            method, f"{self.running.url}/{link['code']}", headers={"User-Agent": ua, **headers}
        )


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    process: subprocess.Popen[bytes]
    process, running = start(tmp_path_factory.mktemp("rules") / "data")
    product = Product(running)
    try:
        yield product
    finally:
        product.http.close()
        stop(process)


def soon(check: Callable[[], bool], timeout: float = 5) -> bool:
    """Whether ``check`` holds within ``timeout``: an edit's change reaches the redirector
    from the outbox after the API has answered."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_an_edited_rule_is_obeyed_by_the_next_redirects(product: Product) -> None:
    link = product.create()
    assert product.visit(link, IPHONE).headers["location"] == HOME  # now cached
    product.edit(link, targets=[{"os": "ios", "destination_url": "https://apps.apple.com/app"}])
    assert soon(lambda: product.visit(link, IPHONE).headers["location"] == "https://apps.apple.com/app")
    assert product.visit(link, CHROME).headers["location"] == HOME
    product.edit(link, targets=None)
    assert soon(lambda: product.visit(link, IPHONE).headers["location"] == HOME)


def test_a_limited_link_is_used_up_by_people_and_opens_again_when_raised(product: Product) -> None:
    link = product.create(max_clicks=2, expired_url="https://example.com/sold-out")
    for _ in range(3):  # bots use nothing up
        assert product.visit(link, method="HEAD").status_code == 302
        assert product.visit(link, GOOGLEBOT).headers["location"] == HOME
    assert [product.visit(link).headers["location"] for _ in range(3)] == [
        HOME,
        HOME,
        "https://example.com/sold-out",
    ]
    product.edit(link, max_clicks=3)
    assert soon(lambda: product.visit(link).headers["location"] == HOME)
    assert product.visit(link).headers["location"] == "https://example.com/sold-out"
    product.edit(link, expired_url=None)
    assert soon(lambda: product.visit(link).status_code == 410)


def test_variants_reach_the_click_log_and_the_analytics(product: Product) -> None:
    a, b = "https://example.com/a", "https://example.com/b"
    link = product.create(variants=[{"destination_url": a, "weight": 1}, {"destination_url": b, "weight": 1}])
    landed: Counter[str] = Counter()
    for n in range(30):
        cookie = visitor_hash(b"e" * 32, f"10.1.0.{n}", CHROME)
        first = product.visit(link, Cookie=f"{COOKIE_NAME}={cookie}").headers["location"]
        again = product.visit(link, Cookie=f"{COOKIE_NAME}={cookie}").headers["location"]
        assert first == again  # the visitor keeps its variant
        landed[first] += 2
    assert set(landed) == {a, b}

    def logged() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = product.api(
            "GET", f"/api/v1/links/{link['id']}/clicks?limit=200"
        ).json()["items"]
        return items

    assert soon(lambda: len(logged()) == 60, timeout=20)
    assert Counter(item["variant"] for item in logged()) == landed
    figures = product.api("GET", f"/api/v1/links/{link['id']}/analytics").json()["variants"]
    assert figures == [
        {"destination_url": a, "clicks": landed[a], "unique": landed[a] // 2, "conversions": None},
        {"destination_url": b, "clicks": landed[b], "unique": landed[b] // 2, "conversions": None},
    ]

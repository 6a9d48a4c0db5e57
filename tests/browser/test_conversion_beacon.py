"""A shop's page reporting conversions to ``smartlinks up`` from another origin, in headless
Chromium: the visitor follows a tracked link, the landing page reads ``sl_click`` from its
URL and sends it back with a publishable key by ``fetch`` (a CORS preflight, since it sets
Authorization) and by ``navigator.sendBeacon`` (text/plain, the key in the body). Any CORS
refusal would be a console error and a failed request, which fail the test."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from playwright import sync_api

from tests.browser.conftest import DESKTOP, Product, Watch
from tests.browser.test_dashboard import new_context

pytestmark = pytest.mark.browser

TRACK = "/api/v1/track/conversion"
# What the README tells a site to run; ``track`` and ``key`` come from the test.
FETCH = """async ([track, key]) => {
  const clickId = new URLSearchParams(location.search).get("sl_click");
  const response = await fetch(track, {
    method: "POST", keepalive: true,
    headers: {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
    body: JSON.stringify(
      {id: "order-fetch", name: "purchase", click_id: clickId, value: "9.90", currency: "EUR"}),
  });
  return {status: response.status, body: await response.json(), clickId};
}"""
BEACON = """([track, key]) => {
  const clickId = new URLSearchParams(location.search).get("sl_click");
  const body = JSON.stringify({key, id: "order-beacon", name: "signup", click_id: clickId});
  return navigator.sendBeacon(track, body);
}"""


def recorded(product: Product, key: str, conversion_id: str) -> bool:
    """Whether ClickHouse holds the conversion: sent again, it is then a duplicate."""
    body = {"id": conversion_id, "name": "probe"}
    answer = httpx.post(product.url + TRACK, json=body, headers={"Authorization": f"Bearer {key}"}).json()
    return bool(answer["duplicates"] == 1)


def test_a_landing_page_on_another_origin_sends_conversions(
    product: Product, landing: str, browser: sync_api.Browser
) -> None:
    with product.api() as api:
        link: dict[str, Any] = api.post(
            "/api/v1/links",
            json={"destination_url": landing + "/welcome?ref=wa", "conversion_tracking": True},
        ).json()
        key: str = api.post("/api/v1/keys", json={"name": "shop", "kind": "publishable"}).json()["key"]
    watch = Watch()
    context = new_context(browser, DESKTOP, watch)
    try:
        page = context.new_page()
        page.goto(link["short_url"])
        assert page.url.startswith(landing + "/welcome?ref=wa&sl_click=")
        fetched = page.evaluate(FETCH, [product.url + TRACK, key])
        assert fetched["status"] == 200, fetched
        assert fetched["body"] == {"accepted": 1, "duplicates": 0, "errors": []}
        assert len(fetched["clickId"]) == 32
        assert page.evaluate(BEACON, [product.url + TRACK, key]) is True
        deadline = time.monotonic() + 30
        while not (recorded(product, key, "order-fetch") and recorded(product, key, "order-beacon")):
            assert time.monotonic() < deadline, "the conversions did not reach ClickHouse"
            time.sleep(0.3)
        watch.check()
    finally:
        context.close()

"""A conversion from the site's own page, through the real product: a tracked link sends
the visitor on with the click's id, the page sends it back to ``/api/v1/track/conversion``
with a publishable key, as ``navigator.sendBeacon`` would, and ClickHouse records it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest

from schemas.events import ClickEvent
from smartlinks.eventlog.segments import segment_numbers, segment_path
from tests.support.product import Running, start, stop

TRACK = "/api/v1/track/conversion"


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, Path]]:
    data_dir = tmp_path_factory.mktemp("beacon") / "data"
    process, running = start(data_dir, ready="/readyz")
    try:
        yield running, data_dir
    finally:
        stop(process)


def logged_clicks(data_dir: Path) -> list[ClickEvent]:
    folder = data_dir / "events"
    lines = b"".join(segment_path(folder, n).read_bytes() for n in segment_numbers(folder))
    return [ClickEvent.from_json(line) for line in lines.splitlines()]


def test_a_click_id_comes_back_from_the_page_and_is_recorded(product: tuple[Running, Path]) -> None:
    running, data_dir = product
    with httpx.Client(base_url=running.url, headers={"Authorization": f"Bearer {running.key}"}) as api:
        link = api.post(
            "/api/v1/links",
            json={
                "destination_url": "https://shop.example/sale",
                "campaign": "beacon",
                "conversion_tracking": True,
            },
        ).json()
        publishable = api.post("/api/v1/keys", json={"name": "shop", "kind": "publishable"}).json()["key"]

    # The visitor clicks; the landing page finds the click id in its URL.
    response = httpx.get(f"{running.url}/{link['code']}?sl_click=forged", follow_redirects=False)
    assert response.status_code == 302
    [click_id] = parse_qs(urlsplit(response.headers["location"]).query)["sl_click"]
    [click] = [event for event in logged_clicks(data_dir) if event.link_id == link["id"]]
    assert click.event_id == click_id

    # The page's preflight, then the beacon: text/plain, the key in the body, no header.
    preflight = httpx.options(
        running.url + TRACK,
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    beacon = orjson.dumps(
        {
            "key": publishable,
            "id": "order-1",
            "name": "purchase",
            "click_id": click_id,
            "value": "25",
            "currency": "EUR",
        }
    )
    headers = {"Content-Type": "text/plain;charset=UTF-8", "Origin": "https://shop.example"}
    sent = httpx.post(running.url + TRACK, content=beacon, headers=headers)
    assert sent.status_code == 200, sent.text
    assert sent.json() == {"accepted": 1, "duplicates": 0, "errors": []}
    assert sent.headers["access-control-allow-origin"] == "*"

    # Once the consumer has stored it, the same conversion sent again is a duplicate.
    deadline = time.monotonic() + 30
    while True:
        again = httpx.post(running.url + TRACK, content=beacon, headers=headers).json()
        if again["duplicates"] == 1:
            break
        assert time.monotonic() < deadline, again
        time.sleep(0.3)
    assert again == {"accepted": 0, "duplicates": 1, "errors": []}

    # The publishable key opens nothing else, and the secret key is refused here.
    with httpx.Client(base_url=running.url) as page:
        refused = page.get("/api/v1/links", headers={"Authorization": f"Bearer {publishable}"})
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "key_not_allowed")
        secret = page.post(
            TRACK,
            json={"id": "order-2", "name": "purchase"},
            headers={"Authorization": f"Bearer {running.key}"},
        )
        assert (secret.status_code, secret.json()["error"]["code"]) == (403, "key_not_allowed")

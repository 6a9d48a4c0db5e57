"""Webhooks as a user sees them: ``smartlinks up`` in a subprocess, a receiver run by the
test, real redirects and conversions, and deliveries over real HTTP.

The product runs with private webhook URLs allowed (the receiver is on 127.0.0.1) and a
retry period of a few seconds, so retries and disabling happen while the test watches.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from consumer.webhooks import signing
from tests.support.product import Running, start, stop
from tests.webhooks.receiver import Receiver

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.4 Mobile/15E148 Safari/604.1"
)
CURL = "curl/8.5.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
RULES_RELOAD = 1.3  # seconds until every consumer matches with a new webhook (reload: 1 s)


@dataclass
class Product:
    running: Running
    process: subprocess.Popen[bytes]

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.running.key}"}
        return httpx.request(method, self.running.url + path, headers=headers, timeout=30, **kwargs)

    def link(self, **body: Any) -> dict[str, Any]:
        body.setdefault("destination_url", "https://shop.example/sale")
        response = self.api("POST", "/api/v1/links", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def webhook(self, url: str, **body: Any) -> dict[str, Any]:
        response = self.api("POST", "/api/v1/webhooks", json={"url": url, **body})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def click(self, link: dict[str, Any], ua: str = IPHONE, method: str = "GET") -> None:
        headers = {"User-Agent": ua, "X-Forwarded-For": "8.8.8.8", "Referer": "https://wa.me/"}
        response = httpx.request(method, f"{self.running.url}/{link['code']}", headers=headers)
        assert response.status_code == 302, response.text

    def record(self, *events: dict[str, Any]) -> dict[str, Any]:
        response = self.api("POST", "/api/v1/events", json={"events": list(events)})
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def deliveries(self, hook: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.api("GET", f"/api/v1/webhooks/{hook['id']}/deliveries")
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    data_dir = tmp_path_factory.mktemp("webhooks") / "data"
    process, running = start(
        data_dir,
        SMARTLINKS_TRUSTED_PROXIES="127.0.0.1/32",
        SMARTLINKS_CONSUMER_MAX_WAIT_MS="50",
        SMARTLINKS_WEBHOOK_ALLOW_PRIVATE="true",
        SMARTLINKS_WEBHOOK_RETRY_BASE="0.2",
        SMARTLINKS_WEBHOOK_RETRY_FOR="3",
    )
    try:
        yield Product(running, process)
    finally:
        stop(process)


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.05)
    return result


def test_a_click_is_delivered_signed_within_seconds(product: Product, receiver: Receiver) -> None:
    link = product.link(title="Sale", campaign="spring", contact_id="c-1")
    hook = product.webhook(receiver.hook("e2e-signed"), link_id=link["id"])
    time.sleep(RULES_RELOAD)
    clicked = time.monotonic()
    product.click(link)
    [got] = receiver.wait("e2e-signed", timeout=5)
    assert time.monotonic() - clicked < 5
    # The receiver checks the signature with the secret it was shown once.
    t, v1 = (part.split("=", 1)[1] for part in got.headers["smartlinks-signature"].split(","))
    assert v1 == hmac.new(hook["secret"].encode(), f"{t}.".encode() + got.body, hashlib.sha256).hexdigest()
    assert abs(time.time() - int(t)) < 60
    body = got.json()
    assert got.headers["smartlinks-delivery"] == body["id"] and body["type"] == "link.clicked"
    assert body["data"]["link"] == {
        key: link[key]
        for key in ("id", "code", "short_url", "destination_url", "title", "campaign", "contact_id")
    }
    click = body["data"]["click"]
    assert (click["kind"], click["country"], click["device"], click["browser"], click["os"]) == (
        "unique", "US", "mobile", "Safari", "iOS"
    )  # fmt: skip
    assert (click["contact_id"], click["campaign"], click["referrer"]) == ("c-1", "spring", "wa.me")
    [delivery] = eventually(lambda: [d for d in product.deliveries(hook) if d["status"] == "delivered"])
    assert (delivery["id"], delivery["event_id"], delivery["attempts"]) == (body["id"], click["id"], 1)
    assert delivery["last_response"]["status_code"] == 200
    metrics = httpx.get(product.running.url + "/metrics").text
    assert "smartlinks_webhook_deliveries_delivered_total" in metrics


def test_an_endpoint_answering_500_gets_the_delivery_again(product: Product, receiver: Receiver) -> None:
    receiver.answer("e2e-retry", 500)
    link = product.link()
    hook = product.webhook(receiver.hook("e2e-retry"), link_id=link["id"])
    time.sleep(RULES_RELOAD)
    product.click(link)
    first, second = receiver.wait("e2e-retry", 2, timeout=8)
    assert first.headers["smartlinks-delivery"] == second.headers["smartlinks-delivery"]
    assert first.body == second.body
    [delivery] = eventually(lambda: [d for d in product.deliveries(hook) if d["status"] == "delivered"])
    assert delivery["attempts"] == 2
    assert [a["status_code"] for a in delivery["attempt_log"]] == [200, 500]
    assert delivery["attempt_log"][1]["body"] == "answer 500"


def test_bot_clicks_only_when_asked(product: Product, receiver: Receiver) -> None:
    link = product.link()
    people = product.webhook(receiver.hook("e2e-people"), link_id=link["id"])
    product.webhook(receiver.hook("e2e-bots"), link_id=link["id"], include_bots=True)
    time.sleep(RULES_RELOAD)
    product.click(link, ua=CURL)
    product.click(link, ua=GOOGLEBOT)
    product.click(link, method="HEAD")
    product.click(link)  # a person, after the bots
    clicks = [r.json()["data"]["click"] for r in receiver.wait("e2e-bots", 4)]
    assert [(click["kind"], click["bot_reason"]) for click in clicks] == [
        ("bot", "cli"),
        ("bot", "crawlerdetect"),
        ("bot", "head"),
        ("unique", None),
    ]
    [person] = receiver.wait("e2e-people")
    # The bots were stored (and matched) before the person: had they matched, their
    # deliveries would be in the log already.
    assert [d["event_id"] for d in product.deliveries(people)] == [person.json()["data"]["click"]["id"]]


def test_campaign_and_link_filters(product: Product, receiver: Receiver) -> None:
    tag = f"camp-{time.monotonic_ns()}"
    spring, autumn = product.link(campaign=tag), product.link(campaign=tag + "-other")
    by_campaign = product.webhook(receiver.hook("e2e-campaign"), campaign=tag)
    by_link = product.webhook(receiver.hook("e2e-link"), link_id=autumn["id"])
    both = product.webhook(receiver.hook("e2e-both"), campaign=tag, link_id=autumn["id"])
    time.sleep(RULES_RELOAD)
    product.click(spring)
    product.click(autumn)
    [in_campaign] = receiver.wait("e2e-campaign")
    [of_link] = receiver.wait("e2e-link")
    assert in_campaign.json()["data"]["link"]["id"] == spring["id"]
    assert of_link.json()["data"]["link"]["id"] == autumn["id"]
    assert len(product.deliveries(by_campaign)) == len(product.deliveries(by_link)) == 1
    assert product.deliveries(both) == [] and receiver.received("e2e-both") == []


def test_a_dead_endpoint_does_not_delay_analytics(product: Product) -> None:
    with socket.socket() as dead:  # accepts connections, never answers
        dead.bind(("127.0.0.1", 0))
        dead.listen(16)
        link = product.link()
        hook = product.webhook(f"http://127.0.0.1:{dead.getsockname()[1]}/hook", link_id=link["id"])
        time.sleep(RULES_RELOAD)
        clicked = time.monotonic()
        product.click(link)
        for _ in range(3):
            product.click(link)

        def counted() -> bool:
            body = product.api("GET", f"/api/v1/links/{link['id']}/analytics").json()
            return bool(body["totals"]["total"] == 4)

        eventually(counted, timeout=5)
        assert time.monotonic() - clicked < 5  # while the endpoint is still not answering
        deliveries = product.deliveries(hook)
        assert len(deliveries) == 4 and all(d["status"] == "pending" for d in deliveries)
        assert product.api("DELETE", f"/api/v1/webhooks/{hook['id']}").status_code == 204


def test_an_endpoint_that_keeps_failing_is_disabled(product: Product, receiver: Receiver) -> None:
    receiver.answer("e2e-broken", always=500)
    link = product.link()
    hook = product.webhook(receiver.hook("e2e-broken"), link_id=link["id"])
    time.sleep(RULES_RELOAD)
    product.click(link)
    path = f"/api/v1/webhooks/{hook['id']}"
    disabled = eventually(lambda: (body := product.api("GET", path).json())["enabled"] is False and body, 10)
    assert disabled["disabled_reason"] == "deliveries failed for 3 seconds without a success; last: HTTP 500"
    [delivery] = product.deliveries(hook)
    assert delivery["status"] == "failed" and delivery["attempts"] >= 3
    assert len(receiver.received("e2e-broken")) == delivery["attempts"]
    # A disabled webhook gets no new deliveries; enabling it clears the reason.
    product.click(link)
    time.sleep(0.5)
    assert len(product.deliveries(hook)) == 1
    enabled = product.api("PATCH", path, json={"enabled": True}).json()
    assert (enabled["enabled"], enabled["disabled_reason"]) == (True, None)


def test_a_conversion_is_delivered_signed(product: Product, receiver: Receiver) -> None:
    tag = f"conv-{time.monotonic_ns()}"
    link = product.link(campaign=tag, contact_id="c-9")
    clicks_only = product.webhook(receiver.hook("e2e-conv-clicks"), campaign=tag)
    hook = product.webhook(receiver.hook("e2e-conversion"), events=["conversion.recorded"], campaign=tag)
    elsewhere = product.webhook(
        receiver.hook("e2e-conv-elsewhere"), events=["conversion.recorded"], link_id=product.link()["id"]
    )
    time.sleep(RULES_RELOAD)
    product.click(link)
    [clicked] = receiver.wait("e2e-conv-clicks")  # the click is stored: it can be attributed
    click_id = clicked.json()["data"]["click"]["id"]
    order = {"type": "conversion", "id": f"order-{tag}", "name": "purchase", "campaign": tag,
             "contact_id": "c-9", "value": "49.90", "currency": "EUR"}  # fmt: skip
    sent = datetime.now(UTC)
    assert product.record(order) == {"accepted": 1, "duplicates": 0, "errors": []}

    [got] = receiver.wait("e2e-conversion", timeout=5)
    assert signing.verify(hook["secret"], got.headers["smartlinks-signature"], got.body)
    assert not signing.verify(clicks_only["secret"], got.headers["smartlinks-signature"], got.body)
    assert got.headers["smartlinks-event"] == "conversion.recorded"
    body = got.json()
    assert got.headers["smartlinks-delivery"] == body["id"] and body["type"] == "conversion.recorded"
    occurred = datetime.fromisoformat(body["occurred_at"])  # no `at` sent: when it was accepted
    assert sent - timedelta(seconds=1) <= occurred <= datetime.now(UTC)
    assert body["data"]["conversion"] == {
        "id": order["id"], "name": "purchase", "value": "49.90", "currency": "EUR", "campaign": tag,
        "contact_id": "c-9", "link_id": link["id"], "click_id": click_id, "attribution": "last_click",
    }  # fmt: skip
    document = product.api("GET", "/api/v1/openapi.json").json()
    Draft202012Validator({**document, "$ref": "#/components/schemas/WebhookEvent"}).validate(body)
    [delivery] = eventually(lambda: [d for d in product.deliveries(hook) if d["status"] == "delivered"])
    assert (delivery["id"], delivery["type"], delivery["event_id"]) == (
        body["id"], "conversion.recorded", order["id"]
    )  # fmt: skip

    # Sent again (the site retried): recorded once, delivered once. A clicks-only webhook and
    # one of another link hear nothing of it.
    assert product.record(order) == {"accepted": 0, "duplicates": 1, "errors": []}
    time.sleep(1.0)
    assert len(receiver.received("e2e-conversion")) == 1 and len(product.deliveries(hook)) == 1
    assert [r.json()["type"] for r in receiver.received("e2e-conv-clicks")] == ["link.clicked"]
    assert receiver.received("e2e-conv-elsewhere") == [] and product.deliveries(elsewhere) == []

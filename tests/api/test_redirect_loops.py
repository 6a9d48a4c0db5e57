"""Destinations that lead back to the service are refused (422 redirect_loop) wherever a
link names one, and left alone by message rewriting: the public host and every tenant's
own domains."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import pytest

from tests.api.conftest import BASE_URL, create, error_of

LOOPS = "/api/v1/links"


@pytest.fixture
def their_domain(b: httpx.Client) -> str:
    """A domain of tenant B: a loop for tenant A's links too (it is served by this service)."""
    host = f"go{secrets.token_hex(4)}.example"
    assert b.post("/api/v1/domains", json={"domain": host}).status_code == 201
    return host


def loop_urls(their_domain: str) -> list[str]:
    return [
        f"{BASE_URL}/Abcd1234",
        "https://SL.example./anything",
        "http://sl.example/x",
        f"https://{their_domain}/Abcd1234",
        f"https://{their_domain.upper()}/",
    ]


def test_create_refuses_each_loop(a: httpx.Client, their_domain: str) -> None:
    for url in loop_urls(their_domain):
        response = a.post(LOOPS, json={"destination_url": url})
        assert error_of(response) == (422, "redirect_loop", "destination_url"), url


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"expired_url": "https://sl.example/over", "max_clicks": 3}, "expired_url"),
        (
            {"targets": [{"os": "ios", "destination_url": "https://shop.example/ios"},
                         {"device": "mobile", "destination_url": "https://sl.example/m"}]},
            "targets[1].destination_url",
        ),
        (
            {"variants": [{"destination_url": "https://shop.example/a", "weight": 1},
                          {"destination_url": "https://sl.example/b", "weight": 1}]},
            "variants[1].destination_url",
        ),
    ],
)  # fmt: skip
def test_create_refuses_a_loop_in_any_rule(a: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = a.post(LOOPS, json={"destination_url": "https://shop.example/", **body})
    assert error_of(response) == (422, "redirect_loop", field)


def test_an_edit_may_not_make_a_loop(a: httpx.Client, their_domain: str) -> None:
    link = create(a, destination_url="https://shop.example/")
    for body, field in [
        ({"destination_url": f"https://{their_domain}/x"}, "destination_url"),
        ({"expired_url": f"{BASE_URL}/x"}, "expired_url"),
        ({"variants": [{"destination_url": "https://sl.example/b", "weight": 1},
                       {"destination_url": "https://shop.example/a", "weight": 1}]},
         "variants[0].destination_url"),
    ]:  # fmt: skip
        assert error_of(a.patch(f"{LOOPS}/{link['id']}", json=body)) == (422, "redirect_loop", field)
    assert a.get(f"{LOOPS}/{link['id']}").json()["destination_url"] == "https://shop.example/"


def test_bulk_refuses_the_loops_and_creates_the_rest(a: httpx.Client, their_domain: str) -> None:
    items = [
        {"destination_url": "https://shop.example/ok"},
        {"destination_url": f"https://{their_domain}/x"},
        {"destination_url": "https://shop.example/ok2", "expired_url": f"{BASE_URL}/x"},
    ]
    body = a.post(f"{LOOPS}/bulk", json={"items": items}).json()
    assert (body["created"], body["failed"]) == (1, 2)
    assert [item["status"] for item in body["items"]] == [201, 422, 422]
    codes = [item.get("error", {}).get("code") for item in body["items"]]
    assert codes == [None, "redirect_loop", "redirect_loop"]


def test_an_own_domain_written_in_unicode_is_a_loop_too(a: httpx.Client, b: httpx.Client) -> None:
    host = f"xn--bcher-kva.go{secrets.token_hex(4)}.example"  # bücher.go….example
    assert b.post("/api/v1/domains", json={"domain": host}).status_code == 201
    unicode = host.replace("xn--bcher-kva", "bücher")
    response = a.post(LOOPS, json={"destination_url": f"https://{unicode}/Abcd1234"})
    assert error_of(response) == (422, "redirect_loop", "destination_url")


def test_hosts_that_only_look_like_ours_are_fine(a: httpx.Client) -> None:
    for url in ["https://sl.example.com/x", "https://www.sl.example/x", "https://notsl.example/"]:
        create(a, destination_url=url)


def test_message_rewriting_leaves_urls_to_the_service_alone(a: httpx.Client, their_domain: str) -> None:
    time.sleep(1.05)  # rewriting reads the domains at most once a second (api/messages.py)
    text = (
        f"Ours: https://sl.example/dashboard and https://{their_domain}/Abcd1234 and https://shop.example/x"
    )
    body = a.post("/api/v1/messages/rewrite", json={"text": text, "campaign": "loops"}).json()
    assert [link["url"] for link in body["links"]] == ["https://shop.example/x"]
    assert body["text"].startswith(
        f"Ours: https://sl.example/dashboard and https://{their_domain}/Abcd1234 and "
    )

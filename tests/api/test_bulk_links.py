"""POST /api/v1/links/bulk over real HTTP: 10,000 items with bad ones among them, per-item
results in order, and Idempotency-Key retries that create nothing twice."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from tests.api.conftest import ApiServer, create, error_of, unique_code

BULK = "/api/v1/links/bulk"


def _items(n: int) -> list[dict[str, Any]]:
    return [
        {
            "destination_url": f"https://shop.example/offer?c={i}",
            "campaign": "bulk-spring",
            "contact_id": f"c{i}",
        }
        for i in range(n)
    ]


def test_ten_thousand_items_with_some_invalid(a: httpx.Client, api: ApiServer) -> None:
    taken = create(a, code=unique_code("Tk"))["code"]
    items = _items(10_000)
    bad = {
        17: ({"destination_url": "ftp://x.example/"}, 422, "unsupported_scheme"),
        512: ({"destination_url": "https://x.example/", "code": taken}, 409, "code_taken"),
        999: ({"title": "no destination"}, 422, "missing_field"),
        4000: ("not an object", 422, "invalid_type"),
        7777: ({"destination_url": "https://x.example/", "colour": "red"}, 422, "unknown_field"),
        9999: ({"destination_url": "https://x.example/", "code": "api"}, 422, "invalid_code"),
    }
    for index, (item, _, _) in bad.items():
        items[index] = item  # type: ignore[call-overload]
    response = a.post(BULK, json={"items": items}, timeout=120)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["failed"]) == (10_000 - len(bad), len(bad))
    results = body["items"]
    assert [result["index"] for result in results] == list(range(10_000))
    for index, (_, status, code) in bad.items():
        assert results[index]["status"] == status
        assert results[index]["error"]["code"] == code, results[index]
    created = [result["link"] for result in results if result["status"] == 201]
    assert len({link["code"] for link in created}) == len(created)
    assert created[0]["contact_id"] == "c0" and created[-1]["contact_id"] == "c9998"
    # They are real links: readable, listed under their campaign, announced as changes.
    assert a.get(f"/api/v1/links/{created[123]['id']}").json() == created[123]
    page = a.get("/api/v1/links", params={"campaign": "bulk-spring", "limit": 200}).json()
    assert len(page["items"]) == 200 and page["next_cursor"]
    announced = {change.link_id for change in api.changes if change.kind == "created"}
    assert {link["id"] for link in created} <= announced


def test_an_idempotent_retry_returns_the_same_links(a: httpx.Client) -> None:
    key = unique_code("idem")
    items = _items(50)
    first = a.post(BULK, json={"items": items}, headers={"Idempotency-Key": key})
    again = a.post(BULK, json={"items": items}, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.json() == first.json()
    listed = a.get("/api/v1/links", params={"campaign": "bulk-spring", "limit": 200}).json()["items"]
    ids = {link["id"] for link in listed}
    assert {result["link"]["id"] for result in first.json()["items"]} <= ids
    # The same key with another body is a client error; a new key creates anew.
    other = a.post(BULK, json={"items": items[:3]}, headers={"Idempotency-Key": key})
    assert error_of(other)[:2] == (422, "idempotency_key_reused")
    fresh = a.post(BULK, json={"items": items[:3]}, headers={"Idempotency-Key": key + "x"})
    assert fresh.status_code == 200 and "idempotent-replayed" not in fresh.headers


def test_concurrent_retries_with_one_key_create_once(api: ApiServer, a: httpx.Client) -> None:
    key = unique_code("race")
    items = [{"destination_url": f"https://race.example/{i}", "campaign": key} for i in range(300)]
    answers: list[httpx.Response] = []

    def send() -> None:
        with api.client(api.a.key) as client:
            answers.append(client.post(BULK, json={"items": items}, headers={"Idempotency-Key": key}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [answer.status_code for answer in answers] == [200] * 4
    assert len({answer.content for answer in answers}) == 1
    listed = a.get("/api/v1/links", params={"campaign": key, "limit": 200}).json()
    second = a.get("/api/v1/links", params={"campaign": key, "limit": 200, "cursor": listed["next_cursor"]})
    assert len(listed["items"]) + len(second.json()["items"]) == 300


def test_keys_belong_to_their_tenant(a: httpx.Client, b: httpx.Client) -> None:
    key = unique_code("shared")
    mine = a.post(BULK, json={"items": _items(2)}, headers={"Idempotency-Key": key}).json()
    theirs = b.post(BULK, json={"items": _items(2)}, headers={"Idempotency-Key": key})
    assert "idempotent-replayed" not in theirs.headers
    assert {r["link"]["id"] for r in theirs.json()["items"]}.isdisjoint(
        r["link"]["id"] for r in mine["items"]
    )


def test_bad_requests(a: httpx.Client) -> None:
    assert error_of(a.post(BULK, json={"items": []}))[:2] == (422, "no_items")
    assert error_of(a.post(BULK, json={"items": {"destination_url": "https://x.example/"}}))[:2] == (
        422,
        "invalid_type",
    )
    assert error_of(a.post(BULK, json={"links": []}))[:2] == (422, "unknown_field")
    too_many = {"items": [{"destination_url": "https://x.example/"}] * 10_001}
    assert error_of(a.post(BULK, json=too_many))[:2] == (422, "too_many_items")
    for key in ("", "a" * 256, "spaces are not allowed", "ключ".encode()):
        answer = a.post(BULK, json={"items": _items(1)}, headers={"Idempotency-Key": key})
        assert error_of(answer)[:2] == (400, "invalid_idempotency_key"), key
    big = {"items": [{"destination_url": "https://x.example/" + "a" * 4000}] * 4200}
    assert error_of(a.post(BULK, json=big))[:2] == (413, "body_too_large")
    assert error_of(a.get(BULK))[:2] == (404, "link_not_found")  # read as GET /links/{id}
    assert error_of(httpx.post(str(a.base_url) + BULK, json={"items": _items(1)}))[:2] == (
        401,
        "unauthorized",
    )

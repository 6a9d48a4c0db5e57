"""``POST /api/v1/events`` through the real product: each event checked on its own, each
id recorded once, and what was accepted reaches ClickHouse (a resend is then a duplicate)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.product import Running, start, stop


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    process, running = start(tmp_path_factory.mktemp("funnel") / "data", ready="/readyz")
    try:
        yield running
    finally:
        stop(process)


def post(product: Running, events: Any) -> httpx.Response:
    return httpx.post(
        product.url + "/api/v1/events",
        headers={"Authorization": f"Bearer {product.key}"},
        json={"events": events},
        timeout=30,
    )


def delivered(event_id: str, contact: str = "c-1", **fields: Any) -> dict[str, Any]:
    return {
        "type": "message.delivered",
        "id": event_id,
        "campaign": "spring",
        "contact_id": contact,
        **fields,
    }


def test_each_event_is_checked_on_its_own(product: Running) -> None:
    now = datetime.now(UTC)
    events = [
        delivered("d-ok-1"),
        {"type": "message.read", "id": "x"},
        delivered("d-bad-at", at=(now + timedelta(days=2)).isoformat()),
        delivered("d-old", at=(now - timedelta(days=401)).isoformat()),
        {"type": "message.delivered", "id": "d-no-contact", "campaign": "spring"},
        {"type": "conversion", "id": "o-1", "name": "purchase", "value": "10.5"},
        {"type": "conversion", "id": "o-2", "name": "purchase", "value": "-1", "currency": "EUR"},
        {"type": "conversion", "id": "o-3", "name": "purchase", "value": "1.23456", "currency": "EUR"},
        {"type": "conversion", "id": "o-4", "name": "purchase", "value": 5, "currency": "euro"},
        {"type": "conversion", "id": "o-5", "name": "purchase", "click_id": "not-a-click"},
        {"type": "conversion", "id": "o-6", "name": "purchase", "color": "red"},
        "not an object",
        {"type": "conversion", "id": "o-ok", "name": "purchase", "value": 19.99, "currency": "EUR"},
        delivered("d-ok-1"),  # the same id again in one request
        # 21 and 16 integer digits: more than the 14 the column holds, however written.
        {"type": "conversion", "id": "o-7", "name": "purchase", "value": "1e20", "currency": "EUR"},
        {"type": "conversion", "id": "o-8", "name": "purchase", "value": 1e15, "currency": "EUR"},
    ]
    response = post(product, events)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["duplicates"]) == (2, 1)
    assert [(e["index"], e["code"], e["field"]) for e in body["errors"]] == [
        (1, "unknown_event_type", "type"),
        (2, "at_out_of_range", "at"),
        (3, "at_out_of_range", "at"),
        (4, "missing_field", "contact_id"),
        (5, "currency_required", "currency"),
        (6, "invalid_value", "value"),
        (7, "invalid_value", "value"),
        (8, "invalid_currency", "currency"),
        (9, "invalid_click_id", "click_id"),
        (10, "unknown_field", "color"),
        (11, "invalid_type", None),
        (14, "invalid_value", "value"),
        (15, "invalid_value", "value"),
    ]


def test_an_id_already_recorded_is_a_duplicate(product: Running) -> None:
    first = post(product, [delivered("d-again", "c-2")]).json()
    assert (first["accepted"], first["duplicates"]) == (1, 0)
    deadline = time.monotonic() + 30
    while True:  # once the consumer stored it, the API knows the id
        again = post(product, [delivered("d-again", "c-2")]).json()
        if again["duplicates"] == 1:
            break
        assert time.monotonic() < deadline, again
        time.sleep(0.3)
    assert again == {"accepted": 0, "duplicates": 1, "errors": []}


@pytest.mark.parametrize(
    ("body", "code"),
    [({"events": {"id": "x"}}, "invalid_type"), ({}, "missing_field"), ({"event": []}, "unknown_field")],
)
def test_a_body_that_is_not_a_list_of_events_is_refused(product: Running, body: Any, code: str) -> None:
    response = httpx.post(
        product.url + "/api/v1/events", headers={"Authorization": f"Bearer {product.key}"}, json=body
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code


def test_more_than_ten_thousand_events_are_refused(product: Running) -> None:
    response = post(product, [delivered(f"d-{n}") for n in range(10_001)])
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "too_many_events"


def test_events_are_refused_with_503_when_they_cannot_be_kept(tmp_path: Path) -> None:
    """Accepted means on disk: with the funnel log unwritable the sender hears 503 and
    retries, never a 200 for events that were not kept."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "funnel-events").write_bytes(b"")  # a file where the log's folder should be
    process, running = start(data, ready="/readyz")
    try:
        response = post(running, [delivered("d-lost")])
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "events_unavailable"
        metrics = httpx.get(running.url + "/metrics").text
        assert "smartlinks_funnel_log_write_errors_total 1.0" in metrics
        assert "smartlinks_funnel_events_logged_total 0.0" in metrics
    finally:
        stop(process)


def test_the_funnel_log_shows_in_metrics(product: Running) -> None:
    assert post(product, [delivered("d-metrics", "c-9")]).json()["accepted"] == 1
    metrics = httpx.get(product.url + "/metrics").text
    logged = next(
        line for line in metrics.splitlines() if line.startswith("smartlinks_funnel_events_logged_total")
    )
    assert float(logged.split()[1]) >= 1
    assert "smartlinks_funnel_log_backlog_bytes" in metrics
    assert "smartlinks_funnel_events_oldest_unsent_age_seconds" in metrics

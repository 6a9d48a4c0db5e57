"""Fixtures for the consumer's enrichment: one GeoIP reader per session, click events."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from consumer.enrich import Enricher, GeoLocator
from schemas.events import ClickEvent
from smartlinks.ids import new_id

KEY = b"test-visitor-key-0123456789abcdef"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)

MakeEvent = Callable[..., ClickEvent]


@pytest.fixture(scope="session")
def geo() -> Iterator[GeoLocator]:
    with GeoLocator() as locator:
        yield locator


@pytest.fixture
def enricher(geo: GeoLocator) -> Enricher:
    return Enricher(geo, KEY)


@pytest.fixture
def make_event() -> MakeEvent:
    def make(**fields: Any) -> ClickEvent:
        values: dict[str, Any] = {
            "event_id": new_id(),
            "ts": int(time.time() * 1000),
            "tenant_id": "t1",
            "link_id": "l1",
            "code": "abc",
            "campaign": "spring",
            "contact_id": "contact-7",
            "method": "GET",
            "ip": "81.2.69.142",
            "user_agent": CHROME,
            "referer": "https://www.example.com/page",
            "accept_language": "en-GB,en;q=0.9",
            "visitor_cookie": None,
            "collect_metadata": True,
        }
        values.update(fields)
        return ClickEvent(**values)

    return make

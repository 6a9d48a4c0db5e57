"""The A/B variant a redirector recorded goes to the click row as it is; an event from
before variants (no such field) decodes and has none."""

from __future__ import annotations

import orjson

from consumer.enrich import Enricher
from schemas.events import ClickEvent
from tests.consumer.conftest import MakeEvent


def test_the_variant_is_passed_through(enricher: Enricher, make_event: MakeEvent) -> None:
    assert enricher.enrich(make_event(variant="https://example.com/b?ü")).variant == "https://example.com/b?ü"
    assert enricher.enrich(make_event()).variant == ""


def test_an_event_without_a_variant_still_decodes(make_event: MakeEvent) -> None:
    old = orjson.loads(make_event().to_json())
    del old["variant"]
    assert ClickEvent.from_json(orjson.dumps(old)).variant == ""

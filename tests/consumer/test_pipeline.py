"""The enricher as a whole: the row it builds from a validated event, and what it counts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from consumer.enrich import ClickRow, Enricher, EnrichStats
from consumer.enrich.geo import country_code
from schemas.events import ClickEvent
from tests.consumer.conftest import MakeEvent


def test_a_full_row(enricher: Enricher, make_event: MakeEvent) -> None:
    event = make_event()
    row = enricher.enrich(event)
    assert row == ClickRow(
        event_id=event.event_id,
        ts=event.ts,
        tenant_id="t1",
        link_id="l1",
        code="abc",
        campaign="spring",
        contact_id="contact-7",
        method="GET",
        is_bot=False,
        bot_kind="",
        country="GB",
        region="England",
        city="London",
        latitude=row.latitude,
        longitude=row.longitude,
        device="desktop",
        browser="Chrome",
        browser_version="120",
        os="Windows",
        os_version="10",
        referrer_host="example.com",
        visitor_id=row.visitor_id,
    )
    assert row.latitude == pytest.approx(51.5, abs=0.5)
    assert len(row.visitor_id) == 22


def test_event_ids_are_stored_lowercase(enricher: Enricher, make_event: MakeEvent) -> None:
    assert enricher.enrich(make_event(event_id="0A" * 16)).event_id == "0a" * 16


def test_no_campaign_or_contact_is_empty(enricher: Enricher, make_event: MakeEvent) -> None:
    row = enricher.enrich(make_event(campaign=None, contact_id=None))
    assert (row.campaign, row.contact_id) == ("", "")


def test_the_raw_ip_is_never_in_the_row(enricher: Enricher, make_event: MakeEvent) -> None:
    row = enricher.enrich(make_event(ip="81.2.69.142"))
    assert "81.2.69.142" not in repr(dataclasses.astuple(row))
    assert not hasattr(row, "ip")


def test_bots_are_no_device(enricher: Enricher, make_event: MakeEvent) -> None:
    assert enricher.enrich(make_event(method="HEAD")).device == "other"
    assert enricher.enrich(make_event(user_agent="curl/8.4.0")).device == "other"


def test_steps_run_in_order_and_are_counted_and_timed(enricher: Enricher, make_event: MakeEvent) -> None:
    events = 2 * EnrichStats.SAMPLE_EVERY + 3
    for _ in range(events):
        enricher.enrich(make_event())
    stats = enricher.stats.as_dict()
    assert stats["events"] == events
    steps = stats["steps"]
    assert list(steps) == [
        "put_visitor",
        "detect_bot",
        "put_user_agent",
        "put_geolocation",
        "put_referrer",
        "apply_privacy",
    ]
    for step in steps.values():
        assert step["calls"] == events  # exact, though time is sampled
        assert step["ns"] > 0
        assert step["us_per_call"] > 0


def test_a_country_code_that_is_not_two_letters_is_unknown() -> None:
    assert [country_code(value) for value in ("GB", "", "G", "GBR", "É1")] == ["GB", "", "", "", ""]


def test_the_schema_examples(enricher: Enricher) -> None:
    examples = Path(__file__).parents[2] / "schemas" / "examples"
    browser = enricher.enrich(ClickEvent.from_json((examples / "click_event.browser.json").read_bytes()))
    assert (browser.is_bot, browser.browser, browser.device, browser.country) == (
        False,
        "Safari",
        "mobile",
        "GB",
    )
    assert browser.referrer_host == "wa.me"
    preview = enricher.enrich(ClickEvent.from_json((examples / "click_event.preview_head.json").read_bytes()))
    assert (preview.is_bot, preview.bot_kind, preview.country, preview.browser) == (True, "head", "", "")

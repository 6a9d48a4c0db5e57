"""The enricher as a whole: the row it builds, the events it rejects, what it counts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from consumer.enrich import ClickRow, DropReason, Enricher, EnrichStats, GeoLocator, RejectedEvent
from schemas.events import ClickEvent, InvalidEvent
from tests.consumer.conftest import KEY, MakeEvent


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
        "validate",
        "detect_bot",
        "put_user_agent",
        "put_geolocation",
        "put_referrer",
        "put_visitor",
        "apply_privacy",
    ]
    for step in steps.values():
        assert step["calls"] == events  # exact, though time is sampled
        assert step["ns"] > 0
        assert step["us_per_call"] > 0


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"event_id": "not-an-id"}, DropReason.BAD_EVENT_ID),
        ({"event_id": "0" * 31}, DropReason.BAD_EVENT_ID),
        ({"event_id": "g" * 32}, DropReason.BAD_EVENT_ID),
        ({"event_id": "0" * 32 + "\n"}, DropReason.BAD_EVENT_ID),
        ({"ts": 0}, DropReason.TS_OUT_OF_RANGE),
        ({"ts": -1}, DropReason.TS_OUT_OF_RANGE),
        ({"ts": 10**15}, DropReason.TS_OUT_OF_RANGE),
        ({"method": "POST"}, DropReason.BAD_METHOD),
        ({"method": "get"}, DropReason.BAD_METHOD),
        ({"tenant_id": ""}, DropReason.MISSING_ID),
        ({"link_id": ""}, DropReason.MISSING_ID),
    ],
)
def test_rejections_carry_a_reason_and_are_counted(
    enricher: Enricher, make_event: MakeEvent, fields: dict[str, object], reason: DropReason
) -> None:
    with pytest.raises(RejectedEvent) as caught:
        enricher.enrich(make_event(**fields))
    assert caught.value.drop_reason is reason
    assert caught.value.reason == reason.value
    # One except clause in the consumer dead-letters decode failures and rejections alike.
    assert isinstance(caught.value, InvalidEvent)
    assert enricher.stats.dropped == {reason.value: 1}
    steps = enricher.stats.as_dict()["steps"]
    assert steps["validate"]["calls"] == 1
    assert steps["detect_bot"]["calls"] == 0


def test_rejections_are_counted_on_the_timed_path_too(enricher: Enricher, make_event: MakeEvent) -> None:
    for index in range(1, 2 * EnrichStats.SAMPLE_EVERY + 1):
        if index % 4 == 0:
            with pytest.raises(RejectedEvent):
                enricher.enrich(make_event(method="PUT"))
        else:
            enricher.enrich(make_event())
    stats = enricher.stats.as_dict()
    assert stats["dropped"] == {"bad_method": 8}
    assert stats["steps"]["validate"]["calls"] == 32
    assert stats["steps"]["apply_privacy"]["calls"] == 24


def test_a_day_of_clock_skew_is_accepted(geo: GeoLocator, make_event: MakeEvent) -> None:
    now = 1_800_000_000.0
    enricher = Enricher(geo, KEY, clock=lambda: now)
    enricher.enrich(make_event(ts=int(now * 1000) + 23 * 3600 * 1000))
    with pytest.raises(RejectedEvent):
        enricher.enrich(make_event(ts=int(now * 1000) + 25 * 3600 * 1000))


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

"""Tenants that do not collect metadata: counting still works, nothing else is kept."""

from __future__ import annotations

import msgspec
import pytest

from consumer.enrich import Enricher
from tests.consumer.conftest import MakeEvent


def test_no_location_device_browser_os_or_referrer(enricher: Enricher, make_event: MakeEvent) -> None:
    row = enricher.enrich(make_event(collect_metadata=False))
    assert (row.country, row.region, row.city, row.latitude, row.longitude) == ("", "", "", None, None)
    assert (row.device, row.browser, row.browser_version, row.os, row.os_version) == ("", "", "", "", "")
    assert row.referrer_host == ""


def test_what_counting_needs_is_kept(enricher: Enricher, make_event: MakeEvent) -> None:
    event = make_event(collect_metadata=False)
    row = enricher.enrich(event)
    full = enricher.enrich(msgspec.structs.replace(event, collect_metadata=True))
    assert row.visitor_id == full.visitor_id != ""
    for name in ("event_id", "ts", "tenant_id", "link_id", "code", "campaign", "contact_id", "method"):
        assert getattr(row, name) == getattr(full, name)


def test_bots_are_still_detected(enricher: Enricher, make_event: MakeEvent) -> None:
    preview = enricher.enrich(make_event(collect_metadata=False, user_agent="WhatsApp/2.23.20.0 A"))
    head = enricher.enrich(make_event(collect_metadata=False, method="HEAD"))
    assert (preview.is_bot, preview.bot_kind) == (True, "preview")
    assert (head.is_bot, head.bot_kind) == (True, "head")
    assert preview.device == head.device == ""


def test_the_ip_is_not_even_looked_up(
    enricher: Enricher, make_event: MakeEvent, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []
    monkeypatch.setattr(enricher.geo, "lookup", looked_up.append)
    enricher.enrich(make_event(collect_metadata=False, ip="8.8.8.8"))
    assert looked_up == []

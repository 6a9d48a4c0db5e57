"""Deliveries and conversions into ClickHouse: each id once, and every conversion
attributed by click id, by the contact's last human click in the window, or as sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from consumer.funnel import FunnelSink
from consumer.ingest import ClickIngest
from consumer.link_changes import LinkDeletions
from schemas.events import CONVERSION, DELIVERED, FunnelEvent
from smartlinks.clickhouse import Client
from tests.clickhouse.truth import LINK, OTHER_LINK, TENANT, click
from tests.support.funnel_events import funnel_event

HOUR = 3_600_000
DAY = 24 * HOUR
T0 = 1_743_465_600_000  # 2025-04-01T00:00:00Z
WINDOW = 30 * DAY


def event(kind: str, event_id: str, at: int, **fields: Any) -> FunnelEvent:
    return funnel_event(kind, TENANT, event_id, at, attribution_window_ms=WINDOW, **fields)


def conversions(clickhouse: Client) -> dict[str, tuple[Any, ...]]:
    rows = clickhouse.query(
        "SELECT id, campaign, contact_id, link_id, click_id, toString(attribution), value, currency,"
        " replaceAll(toString(country), '\\0', '')"
        " FROM conversions ORDER BY id"
    ).result_rows
    return {row[0]: tuple(row[1:]) for row in rows}


def test_deliveries_are_stored_once_per_id(clickhouse: Client) -> None:
    sink = FunnelSink(clickhouse)
    first = event(DELIVERED, "m-1", T0, campaign="spring", contact_id="c-1", message_id="wamid.1")
    again = event(DELIVERED, "m-1", T0 + 1, campaign="spring", contact_id="c-1")
    other = event(DELIVERED, "m-2", T0, campaign="spring", contact_id="c-2")
    assert sink.insert([first, again, other]).deliveries == 2
    assert sink.insert([first, other]).deliveries == 0  # a redelivery, or the sender again
    rows = clickhouse.query("SELECT id, contact_id, message_id FROM deliveries ORDER BY id").result_rows
    assert rows == [("m-1", "c-1", "wamid.1"), ("m-2", "c-2", "")]


def test_conversions_are_attributed_by_click_id_then_last_click_then_as_sent(clickhouse: Client) -> None:
    clicks = ClickIngest(clickhouse)
    early = click(T0, "v1", campaign="spring", contact_id="c-1")
    late = click(T0 + 2 * HOUR, "v1", link=OTHER_LINK, campaign="spring", contact_id="c-1")
    bot = click(T0 + 3 * HOUR, "bot", campaign="spring", contact_id="c-1", is_bot=True)
    elsewhere = click(T0 + HOUR, "v2", campaign="autumn", contact_id="c-2")
    clicks.insert([early, late, bot, elsewhere])
    sink = FunnelSink(clickhouse, describe=lambda ip, ua: ("GB", "mobile", "Safari", "iOS"))
    at = T0 + 4 * HOUR
    stored = sink.insert(
        [
            # the click it names, even an older one and a campaign it did not say
            event(
                CONVERSION, "o-1", at, name="purchase", click_id=early.event_id, value="49.90", currency="EUR"
            ),
            # the contact's last human click on the campaign (not the bot's, not autumn's)
            event(CONVERSION, "o-2", at, name="purchase", campaign="spring", contact_id="c-1"),
            # its click is older than the window: as sent
            event(
                CONVERSION,
                "o-3",
                late_ts := T0 + 40 * DAY,
                name="signup",
                campaign="spring",
                contact_id="c-1",
            ),
            # a click id that no click has, and nothing else: as sent, empty
            event(CONVERSION, "o-4", at, name="signup", click_id="0" * 32),
            # a browser conversion keeps its country and device
            event(
                CONVERSION, "o-5", at, name="signup", campaign="autumn", contact_id="c-2", ip="81.2.69.142"
            ),
        ]
    )
    assert late_ts > T0
    assert {item.event.id: item.attribution for item in stored.conversions or []} == {
        "o-1": "click_id",
        "o-2": "last_click",
        "o-3": "sent",
        "o-4": "sent",
        "o-5": "last_click",
    }
    found = conversions(clickhouse)
    assert found["o-1"] == ("spring", "c-1", LINK, early.event_id, "click_id", Decimal("49.9"), "EUR", "")
    assert found["o-2"] == ("spring", "c-1", OTHER_LINK, late.event_id, "last_click", Decimal(0), "", "")
    assert found["o-3"][:5] == ("spring", "c-1", "", "", "sent")
    assert found["o-4"][:5] == ("", "", "", "", "sent")
    assert found["o-5"] == ("autumn", "c-2", LINK, elsewhere.event_id, "last_click", Decimal(0), "", "GB")
    assert sink.insert([event(CONVERSION, "o-1", at, name="purchase")]).conversions == []


def test_deleting_a_link_takes_its_clicks_out_of_conversions(clickhouse: Client) -> None:
    clicks = ClickIngest(clickhouse)
    one = click(T0, "v1", campaign="spring", contact_id="c-1")
    clicks.insert([one])
    sink = FunnelSink(clickhouse)
    sink.insert([event(CONVERSION, "o-1", T0 + HOUR, name="purchase", click_id=one.event_id)])
    assert conversions(clickhouse)["o-1"][2:5] == (LINK, one.event_id, "click_id")
    LinkDeletions(clickhouse).delete_link(TENANT, LINK)
    assert conversions(clickhouse)["o-1"][:5] == ("spring", "c-1", "", "", "sent")


def test_a_redelivered_batch_hands_its_stored_conversions_to_the_triggers_again(clickhouse: Client) -> None:
    """A crash between the insert and the triggers: the batch comes again, nothing is
    inserted twice, and the conversions come back as ClickHouse holds them."""
    clicks = ClickIngest(clickhouse)
    one = click(T0, "v1", campaign="spring", contact_id="c-1")
    clicks.insert([one])
    sink = FunnelSink(clickhouse)
    batch = [
        event(CONVERSION, "o-1", T0 + HOUR, name="purchase", click_id=one.event_id),
        event(DELIVERED, "m-1", T0, campaign="spring", contact_id="c-1"),
    ]
    first = sink.insert(batch)
    assert (first.deliveries, len(first.conversions or []), first.known_conversions) == (1, 1, [])
    again = sink.insert(batch)
    assert (again.deliveries, again.conversions, again.count) == (0, [], 0)
    [known] = again.all_conversions()
    assert (known.event.id, known.link_id, known.click_id, known.attribution) == (
        "o-1",
        LINK,
        one.event_id,
        "click_id",
    )
    assert clickhouse.command("SELECT count() FROM conversions") == 1

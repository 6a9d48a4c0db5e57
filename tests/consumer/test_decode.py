"""The consumer's entry: each message validated once, as it is decoded; what fails is a
dead letter with a stable reason, and the batch goes on."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from consumer.decode import ClickDecoder
from consumer.enrich import Enricher
from consumer.loop import ClickConsumer
from schemas.events import ClickEvent, Invalid, InvalidEvent
from tests.consumer.conftest import MakeEvent

NOW = 1_800_000_000.0
HOUR_MS = 3600 * 1000


def encoded(event: ClickEvent, **changes: Any) -> bytes:
    return orjson.dumps({**orjson.loads(event.to_json()), **changes})


@pytest.fixture
def decoder() -> ClickDecoder:
    return ClickDecoder(clock=lambda: NOW)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"event_id": "not-an-id"}, Invalid.BAD_EVENT_ID),
        ({"event_id": "0" * 31}, Invalid.BAD_EVENT_ID),
        ({"event_id": "g" * 32}, Invalid.BAD_EVENT_ID),
        ({"event_id": "0" * 32 + "\n"}, Invalid.BAD_EVENT_ID),
        ({"ts": 0}, Invalid.TS_OUT_OF_RANGE),
        ({"ts": -1}, Invalid.TS_OUT_OF_RANGE),
        ({"ts": 10**15}, Invalid.TS_OUT_OF_RANGE),
        ({"method": "POST"}, Invalid.BAD_METHOD),
        ({"method": "get"}, Invalid.BAD_METHOD),
        ({"tenant_id": ""}, Invalid.MISSING_ID),
        ({"link_id": ""}, Invalid.MISSING_ID),
        ({"ts": "yesterday"}, Invalid.BAD_FIELD),
        ({"ts": True}, Invalid.BAD_FIELD),
        ({"collect_metadata": 1}, Invalid.BAD_FIELD),
        ({"campaign": 5}, Invalid.BAD_FIELD),
        ({"visitor_id": "not a visitor id"}, Invalid.BAD_FIELD),
        ({"v": 2}, Invalid.UNKNOWN_VERSION),
        ({"v": 2, "ts": "a new shape"}, Invalid.UNKNOWN_VERSION),
    ],
)
def test_refusals_carry_a_reason_and_are_counted(
    decoder: ClickDecoder, make_event: MakeEvent, fields: dict[str, object], reason: Invalid
) -> None:
    with pytest.raises(InvalidEvent) as caught:
        decoder.decode(encoded(make_event(ts=int(NOW * 1000)), **fields))
    assert caught.value.reason == reason
    assert decoder.refused == {reason: 1}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", Invalid.NOT_JSON),
        (b"[1, 2]", Invalid.NOT_AN_OBJECT),
        (b'{"v": 2}', Invalid.UNKNOWN_VERSION),
        (b'{"v": 1}', Invalid.MISSING_FIELD),
        # A bad value, then the message breaks off: msgspec stops at the value.
        (b'{"v": 1, "event_id": "short", "ts": ', Invalid.NOT_JSON),
    ],
)
def test_messages_that_are_no_click_event(decoder: ClickDecoder, payload: bytes, reason: Invalid) -> None:
    with pytest.raises(InvalidEvent) as caught:
        decoder.decode(payload)
    assert caught.value.reason == reason


def test_a_day_of_clock_skew_is_accepted(decoder: ClickDecoder, make_event: MakeEvent) -> None:
    now_ms = int(NOW * 1000)
    assert decoder.decode(make_event(ts=now_ms + 23 * HOUR_MS).to_json()).ts == now_ms + 23 * HOUR_MS
    with pytest.raises(InvalidEvent) as caught:
        decoder.decode(make_event(ts=now_ms + 25 * HOUR_MS).to_json())
    assert caught.value.reason == Invalid.TS_OUT_OF_RANGE


def test_upper_case_event_ids_are_valid_and_stored_lowercase(
    decoder: ClickDecoder, enricher: Enricher, make_event: MakeEvent
) -> None:
    event = decoder.decode(make_event(event_id="0A" * 16, ts=int(NOW * 1000)).to_json())
    assert enricher.enrich(event).event_id == "0a" * 16


class NoSource:
    async def take(self, max_items: int, max_wait: float) -> list[bytes]:
        return []

    async def ack(self) -> None:
        pass


def test_bad_events_become_dead_letters_and_the_rest_go_on(enricher: Enricher, make_event: MakeEvent) -> None:
    consumer = ClickConsumer(NoSource(), enricher, sink=None)  # type: ignore[arg-type]
    good = make_event()
    bad = encoded(make_event(), ts="yesterday", ip="203.0.113.9")
    rows, letters = consumer.process([b"\xff{oops", good.to_json(), bad, make_event(method="PUT").to_json()])
    assert [row.event_id for row in rows] == [good.event_id]
    assert [(reason, payload) for reason, _, payload in letters] == [
        ("not_json", b"\xff{oops"),
        ("bad_field", bad),
        ("bad_method", letters[2][2]),
    ]
    assert consumer.decoder.refused == {"not_json": 1, "bad_field": 1, "bad_method": 1}

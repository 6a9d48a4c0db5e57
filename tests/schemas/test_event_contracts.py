"""The event classes, the JSON Schemas and the example messages say the same thing, and
events written in older shapes still decode."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import msgspec
import orjson
import pytest

from schemas import generate
from schemas.events import ClickEvent, FunnelEvent, InvalidEvent, LinkChange

SCHEMAS = Path(__file__).parents[2] / "schemas"
CONTRACTS: dict[str, tuple[type[ClickEvent] | type[LinkChange] | type[FunnelEvent], str]] = {
    "click_event": (ClickEvent, "click_event.v1.json"),
    "funnel_event": (FunnelEvent, "funnel_event.v1.json"),
    "link_change": (LinkChange, "link_change.v1.json"),
}
EXAMPLES = sorted((SCHEMAS / "examples").glob("*.json"))


def schema(name: str) -> dict[str, object]:
    return json.loads((SCHEMAS / CONTRACTS[name][1]).read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize("filename", sorted(generate.GENERATED))
def test_the_committed_schema_is_the_generated_one(filename: str) -> None:
    # If this fails: python -m schemas.generate, and commit the file.
    assert (SCHEMAS / filename).read_text() == generate.rendered(filename)
    assert generate.main(["--check"]) == 0


@pytest.mark.parametrize(
    ("name", "cls", "optional"),
    [
        ("click_event", ClickEvent, {"visitor_id", "variant", "v"}),
        ("funnel_event", FunnelEvent, {"v"}),
        ("link_change", LinkChange, {"v", "domain"}),
    ],
)
def test_generated_schemas_require_every_field_but_the_optional_ones(
    name: str, cls: type[msgspec.Struct], optional: set[str]
) -> None:
    document = schema(name)
    names = {f.name for f in msgspec.structs.fields(cls)}
    assert set(document["properties"]) == names
    assert set(document["required"]) == names - optional


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_validate_and_round_trip(path: Path) -> None:
    name = path.stem.split(".")[0]
    cls, _ = CONTRACTS[name]
    raw = path.read_bytes()
    jsonschema.validate(json.loads(raw), schema(name))
    event = cls.from_json(raw)
    again = orjson.loads(event.to_json())
    # Optional fields the example leaves out are written with their defaults.
    assert {key: value for key, value in again.items() if key in json.loads(raw)} == json.loads(raw)
    assert cls.from_json(event.to_json()) == event


# A click event exactly as redirectors wrote them before events carried the visitor: such
# events wait in edge logs and Kafka across an upgrade, and must still be counted.
BEFORE_VISITOR_ID = (
    b'{"event_id":"019aa8f4c2d07b3e8a5f2c1d9e0b4a67","ts":1763900000123,'
    b'"tenant_id":"019aa8f0000070008000000000000001","link_id":"019aa8f1000070008000000000000002",'
    b'"code":"x7Kp2Qa","campaign":null,"contact_id":"+5511999990000","method":"GET","ip":"81.2.69.142",'
    b'"user_agent":"Mozilla/5.0 (X11; Linux x86_64)","referer":"","accept_language":"en",'
    b'"visitor_cookie":null,"collect_metadata":true,"v":1}'
)


def test_a_new_event_still_has_every_field_an_older_consumer_requires() -> None:
    old_required = set(orjson.loads(BEFORE_VISITOR_ID))
    event = ClickEvent.from_json(BEFORE_VISITOR_ID)
    event.visitor_id = "Zr3bq1lV9yVh8m1m2d2uQw"
    assert old_required <= set(orjson.loads(event.to_json()))


def test_there_are_examples_of_each_contract() -> None:
    assert {p.stem.split(".")[0] for p in EXAMPLES} == set(CONTRACTS)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not_json"),
        (b"[1, 2]", "not_an_object"),
        (b'{"v": 2}', "unknown_version"),
        (b'{"v": 1}', "missing_field"),
    ],
)
def test_bad_click_messages_are_refused_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        ClickEvent.from_json(payload)
    assert info.value.reason == reason


def test_wrong_types_are_refused() -> None:  # (reasons per field: tests/consumer/test_decode.py)
    raw = orjson.loads((SCHEMAS / "examples" / "click_event.browser.json").read_bytes())
    for field, bad in [("ts", "yesterday"), ("collect_metadata", 1), ("ts", True), ("campaign", 5)]:
        with pytest.raises(InvalidEvent) as info:
            ClickEvent.from_json(orjson.dumps({**raw, field: bad}))
        assert info.value.reason == "bad_field"


def test_event_produced_by_the_redirector_matches_the_schema() -> None:
    raw = orjson.loads((SCHEMAS / "examples" / "click_event.browser.json").read_bytes())
    event = ClickEvent(**raw)
    assert event.visitor_id == "Zr3bq1lV9yVh8m1m2d2uQw"
    jsonschema.validate(orjson.loads(event.to_json()), schema("click_event"))
    assert ClickEvent.from_json(event.to_json()) == event


# A funnel event exactly as the API wrote them before the event was a msgspec.Struct,
# with a value as the API writes it (trailing zeros kept).
FUNNEL_BEFORE = (
    b'{"type":"conversion","id":"order-1","tenant_id":"019aa8f0000070008000000000000001",'
    b'"at":1763900000000,"received_at":1763900000005,"campaign":"spring","contact_id":"c-1",'
    b'"message_id":null,"name":"purchase","click_id":"019aa8f4c2d07b3e8a5f2c1d9e0b4a67",'
    b'"value":"1.50000","currency":"EUR","attribution_window_ms":2592000000,"ip":"",'
    b'"user_agent":"","collect_metadata":true,"v":1}'
)


@pytest.mark.parametrize(
    ("raw", "cls", "expected"),
    [
        (
            BEFORE_VISITOR_ID,
            ClickEvent,
            {
                "event_id": "019aa8f4c2d07b3e8a5f2c1d9e0b4a67",
                "ts": 1763900000123,
                "method": "GET",
                "visitor_cookie": None,
                "visitor_id": None,  # the consumer computes it for such events
                "campaign": None,
                "contact_id": "+5511999990000",
                "collect_metadata": True,
                "v": 1,
            },
        ),
        (
            FUNNEL_BEFORE,
            FunnelEvent,
            {
                "type": "conversion",
                "id": "order-1",
                "value": "1.50000",
                "currency": "EUR",
                "click_id": "019aa8f4c2d07b3e8a5f2c1d9e0b4a67",
                "key": b"019aa8f0000070008000000000000001:c-1",
            },
        ),
    ],
    ids=["click", "funnel"],
)
def test_an_event_in_the_shape_written_before_still_decodes(
    raw: bytes, cls: type[ClickEvent] | type[FunnelEvent], expected: dict[str, object]
) -> None:
    event = cls.from_json(raw)
    assert {name: getattr(event, name) for name in expected} == expected


def test_a_funnel_event_written_before_is_written_again_the_same() -> None:
    event = FunnelEvent.from_json(FUNNEL_BEFORE)
    assert orjson.loads(event.to_json()) == orjson.loads(FUNNEL_BEFORE)


@pytest.mark.parametrize("value", ["100000000000000000000", "1.23456", "1e3"])
def test_a_value_that_does_not_fit_the_column_is_refused_not_inserted(value: str) -> None:
    # Decimal(18, 4): refused as it is decoded, a dead letter, rather than an insert that
    # fails the consumer's batch every time it is retried.
    with pytest.raises(InvalidEvent) as refused:
        FunnelEvent.from_json(FUNNEL_BEFORE.replace(b'"1.50000"', f'"{value}"'.encode()))
    assert refused.value.reason == "bad_field"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"type": "click"}, "bad_field"),
        ({"id": ""}, "bad_field"),
        ({"id": "x" * 201}, "bad_field"),
        ({"at": -1}, "bad_field"),
        ({"currency": "eur"}, "bad_field"),
        ({"value": "1,5"}, "bad_field"),
        ({"collect_metadata": 1}, "bad_field"),
        ({"v": 2}, "unknown_version"),
    ],
)
def test_bad_funnel_events_are_refused_with_a_reason(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        FunnelEvent.from_json(orjson.dumps({**orjson.loads(FUNNEL_BEFORE), **changes}))
    assert info.value.reason == reason


def test_link_changes_are_refused_with_a_reason() -> None:
    raw = orjson.loads((SCHEMAS / "examples" / "link_change.updated.json").read_bytes())
    for changes, reason in [
        ({"kind": "renamed"}, "bad_field"),
        ({"at": "now"}, "bad_field"),
        ({"v": 2}, "unknown_version"),
    ]:
        with pytest.raises(InvalidEvent) as info:
            LinkChange.from_json(orjson.dumps({**raw, **changes}))
        assert info.value.reason == reason
    # Built positionally, as the stores build them from the outbox.
    assert LinkChange("deleted", "t", "l", "abcd", 5) == LinkChange.from_json(
        b'{"kind":"deleted","tenant_id":"t","link_id":"l","code":"abcd","at":5,"v":1}'
    )

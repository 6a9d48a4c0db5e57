"""The event classes, the JSON Schemas and the example messages say the same thing."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import jsonschema
import orjson
import pytest

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


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_schema_lists_exactly_the_class_fields(name: str) -> None:
    cls, _ = CONTRACTS[name]
    document = schema(name)
    assert set(document["properties"]) == {f.name for f in fields(cls)}  # type: ignore[arg-type]
    assert set(document["required"]) == {f.name for f in fields(cls)}  # type: ignore[arg-type]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_validate_and_round_trip(path: Path) -> None:
    name = path.stem.split(".")[0]
    cls, _ = CONTRACTS[name]
    raw = path.read_bytes()
    jsonschema.validate(json.loads(raw), schema(name))
    event = cls.from_json(raw)
    assert orjson.loads(event.to_json()) == json.loads(raw)


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


def test_wrong_types_are_refused() -> None:
    raw = orjson.loads((SCHEMAS / "examples" / "click_event.browser.json").read_bytes())
    for field, bad in [("ts", "yesterday"), ("collect_metadata", 1), ("ts", True), ("campaign", 5)]:
        with pytest.raises(InvalidEvent) as info:
            ClickEvent.from_json(orjson.dumps({**raw, field: bad}))
        assert info.value.reason == "bad_field"


def test_event_produced_by_the_redirector_matches_the_schema() -> None:
    raw = orjson.loads((SCHEMAS / "examples" / "click_event.browser.json").read_bytes())
    event = ClickEvent(**raw)
    jsonschema.validate(orjson.loads(event.to_json()), schema("click_event"))

"""The events that flow between the parts: click events and link-change events.

These classes are the contract; ``click_event.v1.json`` and ``link_change.v1.json`` say the
same in JSON Schema for other languages, and ``examples/`` holds messages the tests loop
over. A change that breaks old messages gets a new version number, never an edit in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

CLICK_EVENT_VERSION = 1
LINK_CHANGE_VERSION = 1
FUNNEL_EVENT_VERSION = 1

CLICKS_TOPIC = "smartlinks.clicks"
LINKS_TOPIC = "smartlinks.links"
DEAD_LETTER_TOPIC = "smartlinks.clicks.dead-letters"
FUNNEL_TOPIC = "smartlinks.events"

DELIVERED = "message.delivered"
CONVERSION = "conversion"
FUNNEL_EVENT_TYPES = frozenset({DELIVERED, CONVERSION})


class InvalidEvent(ValueError):
    """A message that cannot be decoded into an event; ``reason`` is a stable machine code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class ClickEvent:
    """One redirect, as the redirector saw it. The client IP is for enrichment only: the
    consumer turns it into a location and a visitor hash and never stores it."""

    event_id: str  # UUIDv7, 32 hex characters: time-ordered, and the de-duplication key
    ts: int  # Unix milliseconds, UTC
    tenant_id: str
    link_id: str
    code: str
    campaign: str | None
    contact_id: str | None
    method: str  # GET | HEAD
    ip: str
    user_agent: str
    referer: str
    accept_language: str
    visitor_cookie: str | None  # the first-party visitor cookie the browser sent, if any
    collect_metadata: bool
    v: int = CLICK_EVENT_VERSION

    def to_json(self) -> bytes:
        return orjson.dumps(self)

    @property
    def key(self) -> bytes:
        """Partition key: one link's clicks stay in order on one partition."""
        return self.link_id.encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> ClickEvent:
        return cls(**_decoded(data, CLICK_EVENT_VERSION, "click event", _CLICK_FIELDS))


@dataclass(slots=True)
class LinkChange:
    """A committed change to a link or to a tenant's settings, for caches and mirrors.

    ``kind`` is ``created``, ``updated``, ``deleted`` or ``tenant_updated`` (then ``link_id``
    and ``code`` are empty and every cached link of the tenant is stale)."""

    kind: str
    tenant_id: str
    link_id: str
    code: str
    at: int  # Unix milliseconds of the commit
    v: int = LINK_CHANGE_VERSION

    def to_json(self) -> bytes:
        return orjson.dumps(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> LinkChange:
        change = cls(**_decoded(data, LINK_CHANGE_VERSION, "link change", _CHANGE_FIELDS))
        if change.kind not in LINK_CHANGE_KINDS:
            raise InvalidEvent("bad_field", f"unknown link change kind {change.kind!r}")
        return change


@dataclass(slots=True)
class FunnelEvent:
    """A step of a campaign's funnel that is not a click, as the API accepted it: a message
    delivered to a contact (from the messaging platform's delivery report) or a conversion
    (from the site, server side or from the browser). The consumer attributes conversions
    to clicks and writes both to ClickHouse; ``id`` is the sender's, unique per tenant."""

    type: str  # DELIVERED | CONVERSION
    id: str
    tenant_id: str
    at: int  # Unix milliseconds, UTC: when it happened (the sender's ``at``, or receipt)
    received_at: int  # Unix milliseconds, UTC: when the API accepted it
    campaign: str | None
    contact_id: str | None
    message_id: str | None  # deliveries
    name: str | None  # conversions: what was completed ("purchase", "signup", ...)
    click_id: str | None  # conversions: the click's event id, from the ``sl_click`` parameter
    value: str | None  # conversions: a decimal >= 0, as text (no float rounding)
    currency: str | None  # ISO 4217, with ``value``
    attribution_window_ms: int  # the tenant's window when the event was accepted
    ip: str  # browser conversions only, for the country; never stored
    user_agent: str  # browser conversions only, for the device
    collect_metadata: bool
    v: int = FUNNEL_EVENT_VERSION

    def to_json(self) -> bytes:
        return orjson.dumps(self)

    @property
    def key(self) -> bytes:
        """Partition key: one contact's events stay in order on one partition."""
        return f"{self.tenant_id}:{self.contact_id or self.id}".encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> FunnelEvent:
        event = cls(**_decoded(data, FUNNEL_EVENT_VERSION, "funnel event", _FUNNEL_FIELDS))
        if event.type not in FUNNEL_EVENT_TYPES:
            raise InvalidEvent("bad_field", f"unknown funnel event type {event.type!r}")
        return event


def funnel_key(line: bytes) -> bytes:
    """The partition key of an encoded funnel event (``FunnelEvent.key``), or b"" for a
    line that is not one (it goes to the dead letters downstream all the same)."""
    try:
        raw = orjson.loads(line)
        return f"{raw['tenant_id']}:{raw.get('contact_id') or raw['id']}".encode()
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return b""


LINK_CHANGE_KINDS = frozenset({"created", "updated", "deleted", "tenant_updated"})

# field -> the exact JSON types it accepts (type(None) where it may be null). Exact types,
# not isinstance: JSON ``true`` must not pass for an int, and this runs per event.
_NULL = type(None)
_CLICK_FIELDS: dict[str, tuple[type, ...]] = {
    "event_id": (str,),
    "ts": (int,),
    "tenant_id": (str,),
    "link_id": (str,),
    "code": (str,),
    "campaign": (str, _NULL),
    "contact_id": (str, _NULL),
    "method": (str,),
    "ip": (str,),
    "user_agent": (str,),
    "referer": (str,),
    "accept_language": (str,),
    "visitor_cookie": (str, _NULL),
    "collect_metadata": (bool,),
    "v": (int,),
}
_FUNNEL_FIELDS: dict[str, tuple[type, ...]] = {
    "type": (str,),
    "id": (str,),
    "tenant_id": (str,),
    "at": (int,),
    "received_at": (int,),
    "campaign": (str, _NULL),
    "contact_id": (str, _NULL),
    "message_id": (str, _NULL),
    "name": (str, _NULL),
    "click_id": (str, _NULL),
    "value": (str, _NULL),
    "currency": (str, _NULL),
    "attribution_window_ms": (int,),
    "ip": (str,),
    "user_agent": (str,),
    "collect_metadata": (bool,),
    "v": (int,),
}
_CHANGE_FIELDS: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "tenant_id": (str,),
    "link_id": (str,),
    "code": (str,),
    "at": (int,),
    "v": (int,),
}


def _decoded(data: bytes | str, version: int, what: str, spec: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    """The fields of a message of ``what`` at ``version``, checked against ``spec``."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidEvent("not_json", str(exc)) from None
    if not isinstance(raw, dict):
        raise InvalidEvent("not_an_object", f"expected a JSON object, got {type(raw).__name__}")
    if raw.get("v") != version:
        raise InvalidEvent("unknown_version", f"{what} version {raw.get('v')!r}")
    return _fields(raw, spec)


def _fields(raw: dict[str, Any], spec: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    out = {}
    for name, types in spec.items():
        try:
            value = raw[name]
        except KeyError:
            raise InvalidEvent("missing_field", name) from None
        if type(value) not in types:
            raise InvalidEvent("bad_field", f"{name} has the wrong type")
        out[name] = value
    return out

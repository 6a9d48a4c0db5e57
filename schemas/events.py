"""The events that flow between the parts: click events, funnel events and link changes.

These classes are the contract. Each event is declared once, as a ``msgspec.Struct`` with
its bounds: decoding validates it (once, where a consumer reads it), encoding is what the
producer writes, and the JSON Schemas beside this file are generated from it
(``python -m schemas.generate``) for other languages. ``examples/`` holds messages the
tests loop over. A change that breaks old messages gets a new version number, never an
edit in place; a new optional field is not such a change.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Literal, TypeVar

import msgspec
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

# Clicks from before the product existed are corrupt, and ClickHouse's DateTime64(3) ends
# in 2299. The consumer also refuses clicks more than a day ahead of its clock (the one
# bound that depends on when the event is read, so it cannot be declared here).
MIN_CLICK_TS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
MAX_CLICK_TS = 7_258_118_400_000  # 2200-01-01T00:00:00Z
# What a visitor id looks like: the cookie value the redirector sets (16 bytes, base64url).
VISITOR_ID = "[A-Za-z0-9_-]{22}"


class Invalid(StrEnum):
    """Why a message is not a valid event: stable codes for dead letters and metrics."""

    NOT_JSON = "not_json"
    NOT_AN_OBJECT = "not_an_object"
    UNKNOWN_VERSION = "unknown_version"
    MISSING_FIELD = "missing_field"
    BAD_FIELD = "bad_field"  # the wrong JSON type, or a value out of its bounds
    # Click events: a value of the right type out of its bounds.
    BAD_EVENT_ID = "bad_event_id"
    TS_OUT_OF_RANGE = "ts_out_of_range"
    BAD_METHOD = "bad_method"
    MISSING_ID = "missing_id"


class InvalidEvent(ValueError):
    """A message that cannot be decoded into an event; ``reason`` is a stable machine code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Lengths as well as the patterns: a pattern's ``$`` also matches before a final newline.
EventId = Annotated[
    str,
    msgspec.Meta(
        min_length=32,
        max_length=32,
        pattern="^[0-9a-fA-F]{32}$",
        description="UUIDv7 (time-ordered) as 32 hex digits: the de-duplication key",
    ),
]
VisitorId = Annotated[str, msgspec.Meta(min_length=22, max_length=22, pattern=f"^{VISITOR_ID}$")]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]


class ClickEvent(msgspec.Struct, kw_only=True, gc=False):
    """One redirect as the redirector saw it. Topic smartlinks.clicks, keyed by link_id.
    The ip is for enrichment only: the consumer turns it into a location and never stores it."""

    event_id: EventId
    ts: Annotated[int, msgspec.Meta(ge=MIN_CLICK_TS, le=MAX_CLICK_TS, description="Unix milliseconds, UTC")]
    tenant_id: NonEmpty
    link_id: NonEmpty
    code: str
    campaign: str | None
    contact_id: str | None
    method: Literal["GET", "HEAD"]
    ip: str
    user_agent: str
    referer: str
    accept_language: str
    visitor_cookie: Annotated[
        str | None, msgspec.Meta(description="The first-party visitor cookie the browser sent, if any")
    ]
    collect_metadata: Annotated[
        bool, msgspec.Meta(description="Whether the tenant keeps location and device data")
    ]
    # Decided by the redirector (the cookie, or the hash that became the cookie); events
    # written before it carried this have none, and the consumer computes it for them.
    visitor_id: Annotated[
        VisitorId | None, msgspec.Meta(description="The visitor the click counts for (the cookie value)")
    ] = None
    # Events from before A/B variants have none; '' when the link has no variants (or a
    # target decided first).
    variant: Annotated[
        str, msgspec.Meta(description="The variant's destination_url as the link's client sent it, if any")
    ] = ""
    v: Literal[1] = 1  # CLICK_EVENT_VERSION

    def to_json(self) -> bytes:
        return _encode(self)

    @property
    def key(self) -> bytes:
        """Partition key: one link's clicks stay in order on one partition."""
        return self.link_id.encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> ClickEvent:
        return decode_click(data)


_encode = msgspec.json.Encoder().encode
_Event = TypeVar("_Event", bound=msgspec.Struct)
# The field whose bounds a click event broke -> the reason it is refused for.
_CLICK_BOUNDS = {
    "event_id": Invalid.BAD_EVENT_ID,
    "ts": Invalid.TS_OUT_OF_RANGE,
    "method": Invalid.BAD_METHOD,
    "tenant_id": Invalid.MISSING_ID,
    "link_id": Invalid.MISSING_ID,
}


def _checked_decoder(
    kind: type[_Event], version: int, bounds: dict[str, Invalid] | None = None
) -> Callable[[bytes | str], _Event]:
    """A decoder of ``kind`` that validates types and bounds, or raises ``InvalidEvent``
    with the stable reason code (see ``_reason``)."""
    decode = msgspec.json.Decoder(kind).decode
    known = bounds or {}

    def checked(data: bytes | str) -> _Event:
        try:
            return decode(data)
        except msgspec.ValidationError as exc:
            raise InvalidEvent(_reason(data, str(exc), version, known), str(exc)) from None
        except msgspec.DecodeError as exc:
            raise InvalidEvent(Invalid.NOT_JSON, str(exc)) from None

    return checked


# A click event, validated (types and bounds), or InvalidEvent saying why not.
decode_click = _checked_decoder(ClickEvent, CLICK_EVENT_VERSION, _CLICK_BOUNDS)


def _reason(data: bytes | str, message: str, version: int, bounds: dict[str, Invalid]) -> str:
    """The stable code for msgspec's explanation ``message`` of why ``data`` is no event of
    ``version``; ``bounds`` names the code for a field out of its bounds (else bad_field).
    Only on the error path."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:  # msgspec stops at the first bad value, before the rest
        return Invalid.NOT_JSON
    if not isinstance(raw, dict):
        return Invalid.NOT_AN_OBJECT
    if raw.get("v", version) != version:
        return Invalid.UNKNOWN_VERSION  # whatever else is wrong with it
    if message.startswith("Object missing required field"):
        return Invalid.MISSING_FIELD
    _, at, path = message.rpartition(" - at `$.")
    if not at or ", got `" in message:  # "Expected `int`, got `str`": the wrong JSON type
        return Invalid.BAD_FIELD
    return bounds.get(path.rstrip("`"), Invalid.BAD_FIELD)


class LinkChange(msgspec.Struct, gc=False):
    """A committed change to a link or to a tenant's settings, for caches and mirrors. Topic
    smartlinks.links (compacted), keyed by link_id (tenant_id for tenant_updated).

    For ``tenant_updated``, ``link_id`` and ``code`` are empty and every cached link of the
    tenant is stale. For ``domain_changed`` (a tenant's own domain added, changed or
    removed), ``link_id`` is the domain's id, ``code`` is empty and ``domain`` names it:
    redirectors read the set of domains again. Readers from before ``domain_changed``
    skip it as unreadable, and ignore ``domain`` on the other kinds."""

    kind: Literal["created", "updated", "deleted", "tenant_updated", "domain_changed"]
    tenant_id: NonEmpty
    link_id: Annotated[
        str, msgspec.Meta(description="Empty for tenant_updated; the domain's id for domain_changed")
    ]
    code: Annotated[str, msgspec.Meta(description="Empty for tenant_updated and domain_changed")]
    at: Annotated[int, msgspec.Meta(ge=0, description="Unix milliseconds of the commit")]
    v: Literal[1] = 1  # LINK_CHANGE_VERSION
    # A new optional field, not a new version: the link's own domain (its code is unique
    # there), empty for the default domain.
    domain: Annotated[
        str,
        msgspec.Meta(
            description="The link's host name (empty: the default domain); the domain for domain_changed"
        ),
    ] = ""

    def to_json(self) -> bytes:
        return _encode(self)

    @classmethod
    def from_json(cls, data: bytes | str) -> LinkChange:
        return _decode_change(data)


_decode_change = _checked_decoder(LinkChange, LINK_CHANGE_VERSION)


class FunnelEvent(msgspec.Struct, kw_only=True, gc=False):
    """A step of a campaign's funnel that is not a click, as POST /api/v1/events (or
    /api/v1/track/conversion) accepted it: a message delivered to a contact or a conversion.
    Topic smartlinks.events, keyed by tenant_id:contact_id. The consumer attributes
    conversions to clicks and writes both to ClickHouse. The ip is used for the country of a
    browser conversion and then dropped; it is never stored."""

    type: Literal["message.delivered", "conversion"]  # DELIVERED | CONVERSION
    id: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=200,
            description="The sender's id, unique per tenant: the de-duplication key",
        ),
    ]
    tenant_id: NonEmpty
    at: Annotated[int, msgspec.Meta(ge=0, description="When it happened, Unix milliseconds, UTC")]
    received_at: Annotated[
        int, msgspec.Meta(ge=0, description="When the API accepted it, Unix milliseconds, UTC")
    ]
    campaign: str | None
    contact_id: str | None
    message_id: Annotated[str | None, msgspec.Meta(description="Deliveries")]
    name: Annotated[str | None, msgspec.Meta(description="Conversions: what was completed")]
    click_id: Annotated[
        str | None, msgspec.Meta(description="Conversions: the event id of the click it follows")
    ]
    # What fits the column, Decimal(18, 4): at most 14 integer digits and 4 decimals, and
    # trailing zeros after them (the API once wrote values as given, "1.50000"). Anything
    # else is a dead letter, not an insert that fails the batch again and again.
    value: Annotated[
        Annotated[str, msgspec.Meta(pattern="^[0-9]{1,14}(\\.[0-9]{1,4}0*)?$")] | None,
        msgspec.Meta(description="Conversions: a decimal >= 0, as text (no float rounding)"),
    ]
    currency: Annotated[
        Annotated[str, msgspec.Meta(min_length=3, max_length=3, pattern="^[A-Z]{3}$")] | None,
        msgspec.Meta(description="ISO 4217, with value"),
    ]
    attribution_window_ms: Annotated[
        int, msgspec.Meta(ge=0, description="The tenant's window when the event was accepted")
    ]
    ip: str  # browser conversions only, for the country; never stored
    user_agent: str  # browser conversions only, for the device
    collect_metadata: bool
    v: Literal[1] = 1  # FUNNEL_EVENT_VERSION

    def to_json(self) -> bytes:
        return _encode(self)

    @property
    def key(self) -> bytes:
        """Partition key: one contact's events stay in order on one partition."""
        return f"{self.tenant_id}:{self.contact_id or self.id}".encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> FunnelEvent:
        return decode_funnel(data)


# A funnel event, validated (types and bounds), or InvalidEvent saying why not.
decode_funnel = _checked_decoder(FunnelEvent, FUNNEL_EVENT_VERSION)


def funnel_key(line: bytes) -> bytes:
    """The partition key of an encoded funnel event (``FunnelEvent.key``), or b"" for a
    line that is not one (it goes to the dead letters downstream all the same)."""
    try:
        raw = orjson.loads(line)
        return f"{raw['tenant_id']}:{raw.get('contact_id') or raw['id']}".encode()
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return b""

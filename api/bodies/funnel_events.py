"""Deliveries and conversions, the funnel steps around the click: what a client sends to
``POST /api/v1/events`` (and, one conversion at a time, to the browser's beacon), and what
it is answered.

A field sent as null counts as left out (``nulls_left_out``): an optional one takes its
default, a required one is ``missing_field``. What a type cannot say is checked after
decoding with codes of its own (api.funnel_events): the time's range (``at_out_of_range``),
the value and its currency (``value_required``, ``invalid_value``, ``currency_required``,
``invalid_currency``) and the click id (``invalid_click_id``, case-insensitive); those
fields take any JSON here, so their codes stay theirs whatever was sent.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta

from api.bodies.fields import NOT_BLANK, Body, Count, date_or_time, documented, schema_ref, text
from api.bodies.links import MAX_LABEL, Label
from api.bodies.reading import RequestBody
from api.errors import ErrorCode

MAX_EVENTS = 10_000
MAX_ID = 200
MAX_NAME = 100
MAX_KEY = 256  # a publishable key sent in the body

_NOT_BLANK = "Not blank; no control characters."


def _said(max_length: int, description: str = _NOT_BLANK) -> Meta:
    """A text that must say something: not blank, no control characters."""
    return Meta(min_length=1, max_length=max_length, pattern=NOT_BLANK, description=description)


EventId = Annotated[str, _said(MAX_ID, "Yours, unique per tenant: an id sent again counts once.")]
RequiredLabel = Annotated[str, _said(MAX_LABEL)]
At = Annotated[
    str,
    date_or_time(
        "When it happened (RFC 3339, or a date: midnight UTC at its start); left out or null: now."
        " At most 1 day ahead and 400 days back."
    ),
]
Value = Annotated[
    Any,
    documented(
        "A decimal >= 0 (at most 14 digits and 4 decimals), with `currency`.",
        anyOf=[
            {"type": "null"},
            {"type": "string", "pattern": r"^[0-9]{1,14}(\.[0-9]{1,4})?$"},
            {"type": "number", "minimum": 0, "maximum": 99_999_999_999_999, "multipleOf": 0.0001},
        ],
    ),
]
Currency = Annotated[
    Any, documented("ISO 4217, with `value`.", type=["string", "null"], pattern="^[A-Z]{3}$")
]
ClickId = Annotated[
    Any,
    documented(
        "The `sl_click` value the tracked link added to the landing page's URL.",
        type=["string", "null"],
        pattern="^[0-9a-fA-F]{32}$",
    ),
]
_BLANK: dict[str, ErrorCode] = {name: "blank" for name in ("id", "campaign", "contact_id", "name")}


def _sent(name: str) -> dict[str, Any]:
    return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}


# A conversion's value and currency go together: both, or neither (left out or null). A
# rule across fields, which a Struct's schema cannot hold: api.openapi_funnel_events adds it
# to the schema of each body with a value.
VALUE_WITH_CURRENCY: dict[str, Any] = {
    "allOf": [
        {"if": _sent("value"), "then": _sent("currency")},
        {"if": _sent("currency"), "then": _sent("value")},
    ]
}


class Delivered(RequestBody):
    nulls_left_out = True
    type: Literal["message.delivered"]
    id: EventId
    campaign: RequiredLabel
    contact_id: RequiredLabel
    message_id: Annotated[str, text(MAX_ID)] | None = None
    at: At | None = None
    refusals = _BLANK


class Conversion(RequestBody, kw_only=True):
    nulls_left_out = True
    type: Literal["conversion"]
    id: EventId
    name: Annotated[str, _said(MAX_NAME, "What was completed: purchase, signup, ...")]
    click_id: ClickId = None
    campaign: Label | None = None
    contact_id: Label | None = None
    value: Value = None
    currency: Currency = None
    at: At | None = None
    refusals = _BLANK


class ConversionBeacon(Conversion, kw_only=True):
    """One conversion of POST /api/v1/events, `type` left out, and perhaps the key."""

    type: Annotated[Literal["conversion"], Meta(description="Implied; any other type is refused.")] = (
        "conversion"
    )
    # Null or left out: the header's key.
    key: (
        Annotated[
            str,
            Meta(
                max_length=MAX_KEY,
                description="The publishable key, when no Authorization header can be sent.",
            ),
        ]
        | None
    ) = None


class FunnelEvents(RequestBody):
    nulls_left_out = True
    events: Annotated[
        list[Any],
        documented(
            f"At most {MAX_EVENTS}, each checked on its own (a Delivered or a Conversion).",
            maxItems=MAX_EVENTS,
            items={"oneOf": [schema_ref(Delivered), schema_ref(Conversion)]},
        ),
    ]


class EventError(Body):
    index: Count
    code: ErrorCode
    message: str
    field: str | None


class FunnelEventsResult(Body):
    accepted: Count
    duplicates: Count
    errors: list[EventError]

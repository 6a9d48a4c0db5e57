"""A contact's clicks, deliveries and conversions, as the API shows them (built as Structs
from the ClickHouse rows)."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from api.bodies.analytics import ClickFields
from api.bodies.attribution import Attributed
from api.bodies.fields import END, Body, NextCursor, Time
from api.bodies.links import LinkRef

# The newest deliveries and conversions a page of a contact's clicks holds beside them.
FUNNEL_SHOWN = 100


class ContactClick(ClickFields):
    link: Annotated[
        LinkRef | None, Meta(description="null: the link was deleted a moment ago (its clicks go with it).")
    ]
    campaign: str | None


class ContactDelivery(Body):
    id: Annotated[str, Meta(description="The delivery's id, as sent.")]
    campaign: str
    message_id: str | None
    at: Annotated[Time, Meta(description="When the message was delivered, RFC 3339 in UTC.")]


class ContactConversion(Attributed):
    id: Annotated[str, Meta(description="The conversion's id, as sent.")]
    name: str
    at: Annotated[Time, Meta(description="When the conversion happened, RFC 3339 in UTC.")]
    campaign: str | None
    value: Annotated[
        Annotated[str, Meta(pattern=rf"^[0-9]+(\.[0-9]{{1,4}})?{END}")] | None,
        Meta(
            description="A decimal as text in the currency's minor unit (2 decimals for most, none"
            " for JPY), more only where the value has nonzero digits beyond it; null without a value.",
        ),
    ]
    currency: Annotated[str | None, Meta(description="ISO 4217, with value.")]


class ContactDeliveryList(Body):
    contact_id: str
    items: list[ContactDelivery]
    next_cursor: NextCursor


class ContactConversionList(Body):
    contact_id: str
    items: list[ContactConversion]
    next_cursor: NextCursor


def _rest(kind: str) -> str:
    return (
        f"Pass as `cursor` to GET /api/v1/contacts/{{contact_id}}/{kind} for the {kind} after"
        " these; null when there are none."
    )


def _newest(kind: str) -> Meta:
    return Meta(
        max_length=FUNNEL_SHOWN,
        description=f"The contact's newest {FUNNEL_SHOWN} {kind}, newest first; the same on every page.",
    )


def _truncated(kind: str) -> Meta:
    return Meta(description=f"Whether the contact has more than {FUNNEL_SHOWN} {kind}.")


class ContactFunnel(Body):
    """The first ``FUNNEL_SHOWN`` deliveries and conversions of a contact, each with whether
    there are more and the cursor of the rest."""

    deliveries: Annotated[list[ContactDelivery], _newest("deliveries")]
    deliveries_truncated: Annotated[bool, _truncated("deliveries")]
    deliveries_next_cursor: Annotated[str | None, Meta(description=_rest("deliveries"))]
    conversions: Annotated[list[ContactConversion], _newest("conversions")]
    conversions_truncated: Annotated[bool, _truncated("conversions")]
    conversions_next_cursor: Annotated[str | None, Meta(description=_rest("conversions"))]


class ContactClickList(ContactFunnel):
    contact_id: str
    items: list[ContactClick]
    next_cursor: NextCursor

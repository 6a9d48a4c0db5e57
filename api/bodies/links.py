"""A link: how the API shows it, and what a client sends to create or change one."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from msgspec import UNSET, Meta, UnsetType

from api.bodies.fields import END, Body, Count, Id, NextCursor, Time, date_or_time, documented, text
from api.bodies.reading import RequestBody
from api.errors import ErrorCode
from smartlinks.urls import MAX_URL_LENGTH

MAX_TITLE = 500
MAX_LABEL = 200  # campaign and contact_id

_PORT = "([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
# What smartlinks.urls.validate_destination accepts, written for an ASCII host name: a
# scheme, a host of dotted labels, a port up to 65535, then anything but spaces, control
# characters and backslashes.
URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?(:{_PORT}?)?"
    r"([/?#][^\x00-\x20\x7f-\x9f\\]*)?$"
)
# Checked by validate_destination, whose codes (invalid_url, url_too_long, ...) say more
# than a pattern's failure could.
Url = Annotated[
    str,
    documented(
        "Absolute http(s) URL without credentials, spaces or control characters. The pattern"
        " shows an ASCII host name; an IPv6 literal (`[::1]`) or an internationalised host name in"
        " Unicode is accepted too, unless IDNA/NFKC would turn it into another host or a broken one"
        " (a full-width reverse solidus or percent sign, U+00A0, U+2002, U+3000): url_unsafe_normalisation.",
        minLength=1,
        maxLength=MAX_URL_LENGTH,
        pattern=URL_PATTERN,
    ),
]
Title = Annotated[str, text(MAX_TITLE)]
Label = Annotated[str, text(MAX_LABEL)]
CODE_PATTERN = f"^[A-Za-z0-9]{{4,12}}{END}"
_TRACKING = (
    "Whether the redirect appends the click's id to the destination under the tenant's"
    " `click_id_param` (default `sl_click`), for the site to send back with a conversion."
)
Expiry = Annotated[
    str,
    date_or_time(
        "RFC 3339 timestamp with a time zone, or a date (meaning midnight UTC at its start);"
        " must be in the future. Stored to the millisecond."
    ),
]


class LinkRef(Body):
    """A link as another object names it (a campaign's per-link table, a contact's clicks)."""

    id: Id
    code: Annotated[str, Meta(pattern=CODE_PATTERN)]
    short_url: str
    destination_url: str
    title: str | None


class Link(LinkRef):
    status: Literal["active", "expired"]
    expires_at: Time | None
    created_at: Time
    updated_at: Time
    campaign: str | None
    contact_id: str | None
    conversion_tracking: Annotated[bool, Meta(description=_TRACKING)]
    clicks: Annotated[Count, Meta(description="Lifetime total.")]


class LinkList(Body):
    items: list[Link]
    next_cursor: NextCursor


class LinkCreate(RequestBody):
    destination_url: Url
    code: (
        Annotated[
            str,
            Meta(
                pattern=CODE_PATTERN,
                description="Custom code, case-sensitive; reserved words are refused."
                " Left out or null: 7 random characters.",
            ),
        ]
        | None
    ) = None
    title: Title | None = None
    expires_at: Expiry | None = None
    campaign: Label | None = None
    contact_id: Label | None = None
    conversion_tracking: (
        Annotated[bool, Meta(description=_TRACKING + " Left out: the tenant's default.")] | UnsetType
    ) = UNSET
    refusals: ClassVar[dict[str, ErrorCode]] = {"code": "invalid_code"}
    explanations = {"code": "code must be 4-12 ASCII letters and digits."}


class LinkPatch(RequestBody):
    """Fields left out stay as they are; null clears title or expires_at. Sending `code` is
    refused with `code_immutable`."""

    destination_url: Url | UnsetType = UNSET
    title: Title | UnsetType | None = UNSET
    expires_at: Expiry | UnsetType | None = UNSET
    conversion_tracking: Annotated[bool, Meta(description=_TRACKING)] | UnsetType = UNSET

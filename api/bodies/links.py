"""A link: how the API shows it, and what a client sends to create or change one."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from msgspec import UNSET, Meta, UnsetType

from api.bodies.fields import (
    END,
    NO_CONTROL,
    NOT_BLANK,
    Body,
    Count,
    Id,
    NextCursor,
    Time,
    date_or_time,
    documented,
    text,
)
from api.bodies.reading import RequestBody
from api.errors import ErrorCode
from smartlinks.domains import HOST_PATTERN, MAX_HOST
from smartlinks.passwords import MAX_PASSWORD_LENGTH
from smartlinks.rules import DEVICES, OPERATING_SYSTEMS
from smartlinks.urls import MAX_URL_LENGTH

MAX_TITLE = 500
MAX_LABEL = 200  # campaign and contact_id

_PORT = "([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
# What smartlinks.urls.validate_destination accepts, written for an ASCII host name: a
# scheme, a host of dotted labels, a port up to 65535, then anything but spaces, control
# characters and backslashes.
# Labels of 1 to 63 characters that neither start nor end with "-", 253 at most in all (DNS's
# limits, which validate_destination holds a host to).
_LABEL = "[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
# The 253 as a negative lookahead: no run of 255 host characters, nor of 254 unless the last
# is the final dot. The positive form, (?=[A-Za-z0-9_.-]{1,253}\.?([:/?#]|$)), accepts the same
# URLs (300,000 random ones, 252-255 character hosts among them, judged alike) but made
# schemathesis spend 70-80 s building each string field that allows 4,096 characters and
# null (addDomain's not_found_url 310 s, updateLink's URLs about 280 s: most of the contract
# run); this form costs it under a second.
_HOST_LENGTH = "(?![A-Za-z0-9_.-]{255}|[A-Za-z0-9_.-]{253}[A-Za-z0-9_-])"
URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://{_HOST_LENGTH}{_LABEL}(\.{_LABEL})*\.?(:{_PORT}?)?"
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


MAX_TARGETS = 20
MAX_VARIANTS = 10
MAX_WEIGHT = 1_000_000
MAX_CLICKS = 2_000_000_000
_MAX_CLICKS = (
    "After this many human clicks the link answers 410 with the expired page, or redirects to"
    " expired_url when one is set. Bots never use a link up: HEAD requests, link previews,"
    " crawlers and scripts, as the click log's bot_reason names them (the bots your settings"
    " mark are known to analytics only, and count here as people). Every redirector sharing the"
    " link store counts against the same limit and never lets more clicks through; one may"
    " answer 410 a little early while another still holds clicks it leased (at most a few"
    " percent of what was left, handed back when that redirector stops). Raising it on edit"
    " opens a used-up link again."
)
_EXPIRED_URL = (
    "Where the link sends visitors (302) once it has expired (expires_at) or is used up"
    " (max_clicks), instead of the 410 page. Query parameters are not forwarded there."
)
_PASSWORD_DOC = (
    "Write-only: visitors must enter it on a password page before the redirect. Kept only as an"  # noqa: S105
    " Argon2id hash; never shown or logged (a link shows has_password)."
)
_TARGETS = (
    "Checked in order before anything else picks the destination; the first whose conditions all"
    " hold sends the visitor to its destination_url. OS and device come from the user agent"
    " (ios: iPhone, iPad, iPod; macos: Macintosh or Mac OS X otherwise; linux: Linux but not"
    " Android; tablet: an iPad or an Android device without Mobile; mobile: iPhone, iPod,"
    " Android Mobile or Mobi; desktop otherwise), country from the visitor's IP address (the"
    " GeoIP database; an address it cannot place matches no country)."
)
_VARIANTS = (
    "A/B test: each visitor lands on one variant, drawn by weight, and keeps it (by the visitor"
    " cookie). A matching target wins over the variants; the link's destination_url is used only"
    " by visitors no target or variant takes (none, when variants are set)."
)
# Checked by api.link_input (invalid_target, invalid_variants): a type's failure inside a
# list item could only say invalid_value.
Country = Annotated[str, documented("ISO 3166-1 alpha-2 country code, upper case: US.", pattern="^[A-Z]{2}$")]
OperatingSystemName = Annotated[
    str, documented("The visitor's operating system.", enum=list(OPERATING_SYSTEMS))
]
DeviceName = Annotated[str, documented("The visitor's kind of device.", enum=list(DEVICES))]
Weight = Annotated[
    int, documented(f"A whole number from 1 to {MAX_WEIGHT:,}.", minimum=1, maximum=MAX_WEIGHT)
]


class Target(Body):
    """A destination for visitors matching every condition given (at least one)."""

    destination_url: Url
    os: OperatingSystemName | None = None
    device: DeviceName | None = None
    country: Country | None = None


class Variant(Body):
    destination_url: Url
    weight: Weight


# A target that names no condition is refused (invalid_target): the document says so.
_NAMES_A_CONDITION = {
    "anyOf": [
        {"required": [name], "properties": {name: {"type": "string"}}} for name in ("os", "device", "country")
    ]
}
Targets = Annotated[
    list[Annotated[Target, Meta(extra_json_schema=_NAMES_A_CONDITION)]],
    Meta(max_length=MAX_TARGETS, description=_TARGETS),
]
# One variant is no test: 2 to 10, or none (an empty list clears them on edit). The count
# is checked by api.link_input (invalid_variants), the document states it.
Variants = Annotated[
    list[Variant],
    Meta(
        max_length=MAX_VARIANTS,
        description=_VARIANTS + f" 2 to {MAX_VARIANTS} variants, or none.",
        extra_json_schema={"not": {"minItems": 1, "maxItems": 1}},
    ),
]
MaxClicks = Annotated[int, Meta(ge=1, le=MAX_CLICKS, description=_MAX_CLICKS)]
Password = Annotated[
    str, Meta(min_length=1, max_length=MAX_PASSWORD_LENGTH, pattern=NO_CONTROL, description=_PASSWORD_DOC)
]
# What a request's rule fields earn when their constraints fail.
_RULE_REFUSALS: dict[str, ErrorCode] = {
    "max_clicks": "invalid_max_clicks",
    "targets": "too_many_targets",
    "variants": "invalid_variants",
    "password": "invalid_password",
}
_RULE_EXPLANATIONS = {
    "max_clicks": f"max_clicks must be a whole number from 1 to {MAX_CLICKS:,}.",
    "targets": f"targets may hold at most {MAX_TARGETS} entries.",
    "variants": f"variants must hold 2 to {MAX_VARIANTS} entries, or none.",
    "password": f"password must be 1 to {MAX_PASSWORD_LENGTH} characters without control characters.",
}


# Tags: a few short labels a tenant files links under (GET /api/v1/links?tag=...).
MAX_TAGS, MAX_TAG = 20, 50
Tag = Annotated[str, Meta(max_length=MAX_TAG, pattern=NOT_BLANK)]
Tags = Annotated[
    list[Tag],
    Meta(
        max_length=MAX_TAGS,
        description=f"At most {MAX_TAGS} tags of 1 to {MAX_TAG} characters, without control characters"
        " or line breaks. Kept as given, trimmed; matched case-insensitively, so a repeat in another"
        " case is dropped (the first spelling stays).",
    ),
]
_TAG_REFUSALS: dict[str, ErrorCode] = {"tags": "too_many_tags", "tags[]": "blank"}
_TAG_EXPLANATIONS = {"tags": f"At most {MAX_TAGS} tags a link."}
# A tenant's own domain (POST /api/v1/domains), as a host name.
Host = Annotated[
    str,
    Meta(
        max_length=MAX_HOST,
        pattern=f"^{HOST_PATTERN}{END}",
        description="The host of one of the tenant's domains (case-insensitive); left out or null:"
        " the service's default domain. The short URL is then https://{domain}/{code}. It cannot"
        " change later (domain_immutable).",
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
    max_clicks: Annotated[int | None, Meta(description=_MAX_CLICKS)]
    expired_url: Annotated[str | None, Meta(description=_EXPIRED_URL)]
    has_password: Annotated[bool, Meta(description="Whether visitors must enter a password first.")]
    targets: Annotated[list[Target], Meta(description=_TARGETS)]
    variants: Annotated[list[Variant], Meta(description=_VARIANTS)]
    tags: Annotated[list[str], Meta(description="As given; [] when none.")]
    domain: Annotated[str | None, Meta(description="The link's own domain; null: the default one.")]


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
    max_clicks: MaxClicks | None = None
    expired_url: Annotated[Url, Meta(description=_EXPIRED_URL)] | None = None
    password: Password | None = None
    targets: Targets | None = None
    variants: Variants | None = None
    tags: Tags | None = None
    domain: Host | None = None
    refusals: ClassVar[dict[str, ErrorCode]] = {
        "code": "invalid_code",
        **_RULE_REFUSALS,
        **_TAG_REFUSALS,
        "domain": "unknown_domain",  # no domain of anyone's looks like that
    }
    explanations = {
        "code": "code must be 4-12 ASCII letters and digits.",
        **_RULE_EXPLANATIONS,
        **_TAG_EXPLANATIONS,
    }


class LinkPatch(RequestBody):
    """Fields left out stay as they are; null clears title, expires_at, max_clicks,
    expired_url or password, and null or [] clears targets or variants. Sending `code` is
    refused with `code_immutable`, sending `domain` with `domain_immutable`; `tags`
    replaces the list (`[]` clears it)."""

    destination_url: Url | UnsetType = UNSET
    title: Title | UnsetType | None = UNSET
    expires_at: Expiry | UnsetType | None = UNSET
    conversion_tracking: Annotated[bool, Meta(description=_TRACKING)] | UnsetType = UNSET
    max_clicks: MaxClicks | UnsetType | None = UNSET
    expired_url: Annotated[Url, Meta(description=_EXPIRED_URL)] | UnsetType | None = UNSET
    password: Password | UnsetType | None = UNSET
    targets: Targets | UnsetType | None = UNSET
    variants: Variants | UnsetType | None = UNSET
    tags: Tags | UnsetType = UNSET
    refusals: ClassVar[dict[str, ErrorCode]] = {**_RULE_REFUSALS, **_TAG_REFUSALS}
    explanations = {**_RULE_EXPLANATIONS, **_TAG_EXPLANATIONS}

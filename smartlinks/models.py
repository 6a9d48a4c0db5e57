"""The link-store records shared by the API, the redirector and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Generic, Literal, TypeVar

from msgspec import UNSET, UnsetType
from msgspec.structs import replace as replace_struct

from smartlinks.rules import LinkRules, Target, Variant, rules_or_none

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Integer arithmetic, not float timestamps: a float loses sub-millisecond precision far in
# the future, so 9999-12-31T23:59:59.999Z would round up to year 10000 and fail to load.
def to_ms(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.astimezone(UTC)  # naive means local time, as datetime.timestamp() reads it
    return (value - _EPOCH) // _MS


def from_ms(value: int) -> datetime:
    return _EPOCH + value * _MS


def rfc3339(value: datetime) -> str:
    """The wire form of a time everywhere (API, webhook bodies): UTC to the millisecond with a
    ``Z``, which is what the stores keep."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


DEFAULT_CLICK_ID_PARAM = "sl_click"
DEFAULT_ATTRIBUTION_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    collect_metadata: bool
    created_at: datetime
    # The campaign funnel: whether new links append the click id to their destination
    # (``conversion_tracking``, under ``click_id_param``), and how far back a conversion
    # without a click id looks for its contact's last click on the campaign.
    conversion_tracking: bool = False
    click_id_param: str = DEFAULT_CLICK_ID_PARAM
    attribution_window_days: int = DEFAULT_ATTRIBUTION_WINDOW_DAYS
    # Clients the tenant knows are no people (its monitors, its QA): their clicks count as
    # bots. Case-insensitive user-agent substrings, and IP networks in CIDR notation.
    bot_user_agents: tuple[str, ...] = ()
    bot_ip_ranges: tuple[str, ...] = ()


# A secret key does everything; a publishable one (``slp_...``) is meant to sit in a web
# page, so it can only report conversions (``POST /api/v1/track/conversion``).
KeyKind = Literal["secret", "publishable"]
KEY_KINDS: tuple[KeyKind, ...] = ("secret", "publishable")
# What a secret key may do: everything, or read (GET and HEAD) only.
KeyScope = Literal["full", "read_only"]
KEY_SCOPES: tuple[KeyScope, ...] = ("full", "read_only")


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    tenant_id: str
    name: str
    prefix: str  # first characters of the key, shown so people can tell keys apart
    created_at: datetime
    revoked_at: datetime | None
    kind: KeyKind = "secret"
    scope: KeyScope = "full"
    last_used_at: datetime | None = None  # to the minute: smartlinks.store.key_use


@dataclass(frozen=True, slots=True)
class Link:
    id: str
    tenant_id: str
    code: str
    destination_url: str
    title: str | None
    expires_at: datetime | None
    campaign: str | None
    contact_id: str | None
    created_at: datetime
    updated_at: datetime
    # Whether the redirect appends the click's event id (under the tenant's click_id_param)
    # so the site can send it back with a conversion.
    conversion_tracking: bool = False
    rules: LinkRules | None = None  # None: a plain link (smartlinks.rules)
    # Tags and own domains (issue 15): tags as the client gave them (trimmed, without
    # case-insensitive repeats); the host of one of the tenant's domains, None for the
    # default one.
    tags: tuple[str, ...] = ()
    domain: str | None = None

    def status(self, now: datetime | None = None) -> Literal["active", "expired"]:
        if self.expires_at is not None and self.expires_at <= (now or utcnow()):
            return "expired"
        return "active"


@dataclass(frozen=True, slots=True)
class NewLink:
    tenant_id: str
    destination_url: str
    code: str | None = None  # None: generate one
    title: str | None = None
    expires_at: datetime | None = None
    campaign: str | None = None
    contact_id: str | None = None
    # The API fills in the tenant's default when the client leaves it out.
    conversion_tracking: bool = False
    rules: LinkRules | None = None
    tags: tuple[str, ...] = ()
    domain: str | None = None


# Marks a patch field that was not sent (``None`` means "clear it"): msgspec's marker, so a
# request body decoded by the API (api/bodies/) hands its fields over as they are.
Unset = UnsetType


@dataclass(frozen=True, slots=True)
class LinkPatch:
    destination_url: str | Unset = UNSET
    title: str | Unset | None = UNSET
    expires_at: datetime | Unset | None = UNSET
    conversion_tracking: bool | Unset = UNSET
    # The rules, each on its own (smartlinks.rules.LinkRules); () or None clears one.
    max_clicks: int | Unset | None = UNSET
    expired_url: str | Unset | None = UNSET
    password_hash: str | Unset | None = UNSET
    targets: tuple[Target, ...] | Unset = UNSET
    variants: tuple[Variant, ...] | Unset = UNSET
    tags: tuple[str, ...] | Unset = UNSET  # replaces the list; () clears it

    def rules_applied_to(self, rules: LinkRules | None) -> LinkRules | None:
        changed = {
            name: value
            for name in ("max_clicks", "expired_url", "password_hash", "targets", "variants")
            if not isinstance(value := getattr(self, name), Unset)
        }
        if not changed:
            return rules
        return rules_or_none(replace_struct(rules or LinkRules(), **changed))

    def applied_to(self, link: Link, now: datetime) -> Link:
        """``link`` with this patch's fields changed and ``updated_at`` set to ``now``."""
        destination = self.destination_url
        if isinstance(destination, Unset):
            destination = link.destination_url
        return replace(
            link,
            destination_url=destination,
            title=link.title if isinstance(self.title, Unset) else self.title,
            expires_at=link.expires_at if isinstance(self.expires_at, Unset) else self.expires_at,
            conversion_tracking=(
                link.conversion_tracking
                if isinstance(self.conversion_tracking, Unset)
                else self.conversion_tracking
            ),
            rules=self.rules_applied_to(link.rules),
            updated_at=now,
            tags=link.tags if isinstance(self.tags, Unset) else self.tags,
        )


@dataclass(frozen=True, slots=True)
class TenantPatch:
    """The tenant settings a request changes; those left ``UNSET`` stay as they are."""

    collect_metadata: bool | Unset = UNSET
    conversion_tracking: bool | Unset = UNSET
    click_id_param: str | Unset = UNSET
    attribution_window_days: int | Unset = UNSET
    bot_user_agents: tuple[str, ...] | Unset = UNSET
    bot_ip_ranges: tuple[str, ...] | Unset = UNSET

    def applied_to(self, tenant: Tenant) -> Tenant:
        changed = {
            name: value
            for name in (
                "collect_metadata",
                "conversion_tracking",
                "click_id_param",
                "attribution_window_days",
                "bot_user_agents",
                "bot_ip_ranges",
            )
            if not isinstance(value := getattr(self, name), Unset)
        }
        return replace(tenant, **changed)


@dataclass(frozen=True, slots=True)
class ResolvedLink:
    """What a redirector needs to serve a code, denormalised so a redirect is one lookup."""

    link_id: str
    tenant_id: str
    code: str
    location: str  # destination as an ASCII-safe header value
    expires_at_ms: int | None
    campaign: str | None
    contact_id: str | None
    collect_metadata: bool
    # The query parameter the click id goes under when the link tracks conversions (the
    # tenant's click_id_param), else None: decided once here, not on every redirect.
    click_param: str | None = None
    rules: LinkRules | None = None  # None for a plain link: the edge's one test for all rules


@dataclass(frozen=True, slots=True)
class Domain:
    """A tenant's own domain: its links' short URLs are ``https://{host}/{code}``, and the
    redirector answers that host's requests from its links."""

    id: str
    tenant_id: str
    host: str  # lower-case DNS name, no port
    not_found_url: str | None  # where an unknown code on this host redirects (else the 404 page)
    created_at: datetime
    updated_at: datetime


Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Page(Generic[Item]):
    """A page of a listing, newest first; ``next_after_id`` continues it (None: the last).
    Made as ``Page(...)``: ``Page[Link](...)`` cannot set its type on a frozen instance."""

    items: list[Item]
    next_after_id: str | None

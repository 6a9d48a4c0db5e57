"""What a client may send to create or change a link: the body's shape is checked by its
Struct (api/bodies/links.py); what a type cannot say is checked here."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from msgspec import UNSET, UnsetType

from api.bodies.links import MAX_VARIANTS, MAX_WEIGHT, LinkCreate
from api.bodies.links import LinkPatch as LinkPatchBody
from api.bodies.links import Target as TargetBody
from api.bodies.links import Variant as VariantBody
from api.bodies.reading import decode
from api.errors import ApiError, error_code
from api.service_hosts import ServiceOrigins
from api.validation import timestamp
from smartlinks.codes import is_reserved
from smartlinks.models import LinkPatch, NewLink, Tenant
from smartlinks.passwords import hash_password
from smartlinks.rules import DEVICES, OPERATING_SYSTEMS, LinkRules, Target, Variant, rules_or_none
from smartlinks.store.tags import fold
from smartlinks.urls import InvalidURL, validate_destination


def destination(value: str, field: str = "destination_url") -> str:
    try:
        return validate_destination(value, field)
    except InvalidURL as exc:
        raise ApiError(422, error_code(exc.code), exc.message, field=field) from None


def _one_of(value: str | None, allowed: tuple[str, ...], field: str) -> Any:
    if value is not None and value not in allowed:
        raise ApiError(422, "invalid_target", f"{field} must be one of {', '.join(allowed)}.", field)
    return value


def targets(sent: list[TargetBody] | None) -> tuple[Target, ...]:
    checked = []
    for at, target in enumerate(sent or ()):
        field = f"targets[{at}]"
        if target.os is None and target.device is None and target.country is None:
            message = f"{field} names no condition (os, device or country)."
            raise ApiError(422, "invalid_target", message, field)
        country = target.country
        if country is not None and not (len(country) == 2 and country.isascii() and country.isupper()):
            message = f"{field}.country must be an ISO 3166-1 alpha-2 code in upper case, such as US."
            raise ApiError(422, "invalid_target", message, field + ".country")
        checked.append(
            Target(
                destination(target.destination_url, field + ".destination_url"),
                _one_of(target.os, OPERATING_SYSTEMS, field + ".os"),
                _one_of(target.device, DEVICES, field + ".device"),
                country,
            )
        )
    return tuple(checked)


def variants(sent: list[VariantBody] | None) -> tuple[Variant, ...]:
    if not sent:
        return ()
    if not 2 <= len(sent) <= MAX_VARIANTS:
        message = f"variants must hold 2 to {MAX_VARIANTS} entries, or none."
        raise ApiError(422, "invalid_variants", message, "variants")
    checked = []
    for at, variant in enumerate(sent):
        field = f"variants[{at}]"
        if not 1 <= variant.weight <= MAX_WEIGHT:
            message = f"{field}.weight must be a whole number from 1 to {MAX_WEIGHT:,}."
            raise ApiError(422, "invalid_variants", message, field + ".weight")
        url = destination(variant.destination_url, field + ".destination_url")
        checked.append(Variant(url, variant.weight))
    return tuple(checked)


def password_hash(password: str | None) -> str | None:
    """The hash kept for ``password``: ~30 ms of CPU by design, so a create or edit that sets
    a password runs its decoding in a worker thread (``sets_password``)."""
    return None if password is None else hash_password(password)


def sets_password(body: Any) -> bool:
    """Whether a request body asks for a password to be hashed."""
    return isinstance(body, dict) and body.get("password") is not None


def code(value: str | None) -> str | None:
    if value is not None and is_reserved(value):
        raise ApiError(422, "code_reserved", f"code {value!r} is reserved for the service itself.", "code")
    return value


def expiry(value: str | None, now: datetime) -> datetime | None:
    if value is None:
        return None
    when = timestamp("expires_at", value)
    if when <= now:
        raise ApiError(422, "expires_in_past", "expires_at must be in the future.", field="expires_at")
    return when


def tags(values: list[str] | None) -> tuple[str, ...]:
    """Tags trimmed, without case-insensitive repeats (the first spelling stays): a user
    who types "Spring" and "spring" means one tag, and sees it as first typed."""
    kept: dict[str, str] = {}
    for value in values or ():
        tag = value.strip()
        kept.setdefault(fold(tag), tag)
    return tuple(kept.values())


def domain(value: str | None) -> str | None:
    """The host a link asks for, as domains are kept (lower case); whether it is the
    tenant's is the store's to say (unknown_domain)."""
    return None if value is None else value.lower()


def new_link(body: Any, tenant: Tenant, now: datetime) -> NewLink:
    """The link a create asks for; left out, conversion_tracking is the tenant's default."""
    sent = decode(body, LinkCreate)
    tracking = sent.conversion_tracking
    return NewLink(
        tenant_id=tenant.id,
        destination_url=destination(sent.destination_url),
        code=code(sent.code),
        title=sent.title,
        expires_at=expiry(sent.expires_at, now),
        campaign=sent.campaign,
        contact_id=sent.contact_id,
        conversion_tracking=tenant.conversion_tracking if tracking is UNSET else tracking,
        rules=rules_or_none(
            LinkRules(
                max_clicks=sent.max_clicks,
                expired_url=None
                if sent.expired_url is None
                else destination(sent.expired_url, "expired_url"),
                password_hash=password_hash(sent.password),
                targets=targets(sent.targets),
                variants=variants(sent.variants),
            )
        ),
        tags=tags(sent.tags),
        domain=domain(sent.domain),
    )


def link_patch(body: dict[str, Any], now: datetime) -> LinkPatch:
    """The fields sent; one sent as null clears it, one left out stays as it is."""
    if "code" in body:
        raise ApiError(422, "code_immutable", "A link's code cannot be changed.", field="code")
    if "domain" in body:
        # Its short URL may be printed already; the code on another domain may be taken.
        raise ApiError(422, "domain_immutable", "A link's domain cannot be changed.", field="domain")
    sent = decode(body, LinkPatchBody)
    return LinkPatch(
        destination_url=UNSET if sent.destination_url is UNSET else destination(sent.destination_url),
        title=sent.title,
        expires_at=UNSET if sent.expires_at is UNSET else expiry(sent.expires_at, now),
        conversion_tracking=sent.conversion_tracking,
        max_clicks=sent.max_clicks,
        expired_url=(
            sent.expired_url
            if sent.expired_url is UNSET or sent.expired_url is None
            else destination(sent.expired_url, "expired_url")
        ),
        password_hash=UNSET if sent.password is UNSET else password_hash(sent.password),
        targets=UNSET if sent.targets is UNSET else targets(sent.targets),
        variants=UNSET if sent.variants is UNSET else variants(sent.variants),
        tags=UNSET if sent.tags is UNSET else tags(sent.tags),
    )


def _urls(
    destination_url: str | UnsetType,
    expired_url: str | UnsetType | None,
    targets: Sequence[Target] | UnsetType,
    variants: Sequence[Variant] | UnsetType,
) -> Iterator[tuple[str, str]]:
    """(field, URL) of every destination a link sends visitors to."""
    if isinstance(destination_url, str):
        yield "destination_url", destination_url
    if isinstance(expired_url, str):
        yield "expired_url", expired_url
    for at, target in enumerate(targets or ()):
        yield f"targets[{at}].destination_url", target.destination_url
    for at, variant in enumerate(variants or ()):
        yield f"variants[{at}].destination_url", variant.destination_url


def refuse_loops(link: NewLink | LinkPatch, service: ServiceOrigins) -> None:
    """Raise ``redirect_loop`` for the first destination that leads back to this service."""
    if isinstance(link, NewLink):
        rules = link.rules
        urls = _urls(
            link.destination_url,
            None if rules is None else rules.expired_url,
            () if rules is None else rules.targets,
            () if rules is None else rules.variants,
        )
    else:
        urls = _urls(link.destination_url, link.expired_url, link.targets, link.variants)
    for field, url in urls:
        if service.covers(url):
            message = f"{field} leads back to this service (its own host or a tenant's domain)."
            raise ApiError(422, "redirect_loop", message, field)

"""What a client may send to create or change a link: the body's shape is checked by its
Struct (api/bodies/links.py); what a type cannot say is checked here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec import UNSET

from api.bodies.links import LinkCreate
from api.bodies.links import LinkPatch as LinkPatchBody
from api.bodies.reading import decode
from api.errors import ApiError, error_code
from api.validation import timestamp
from smartlinks.codes import is_reserved
from smartlinks.models import LinkPatch, NewLink, Tenant
from smartlinks.urls import InvalidURL, validate_destination


def destination(value: str) -> str:
    try:
        return validate_destination(value)
    except InvalidURL as exc:
        raise ApiError(422, error_code(exc.code), exc.message, field="destination_url") from None


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
    )


def link_patch(body: dict[str, Any], now: datetime) -> LinkPatch:
    """The fields sent; one sent as null clears it, one left out stays as it is."""
    if "code" in body:
        raise ApiError(422, "code_immutable", "A link's code cannot be changed.", field="code")
    sent = decode(body, LinkPatchBody)
    return LinkPatch(
        destination_url=UNSET if sent.destination_url is UNSET else destination(sent.destination_url),
        title=sent.title,
        expires_at=UNSET if sent.expires_at is UNSET else expiry(sent.expires_at, now),
        conversion_tracking=sent.conversion_tracking,
    )

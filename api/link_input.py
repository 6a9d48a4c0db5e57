"""What a client may send to create or change a link, checked field by field."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from api.errors import ApiError, error_code
from api.validation import boolean, reject_unknown, text, timestamp, wrong_type
from smartlinks.codes import MAX_LENGTH, MIN_LENGTH, is_possible_code, is_reserved
from smartlinks.models import LinkPatch, NewLink, Tenant
from smartlinks.urls import InvalidURL, validate_destination

MAX_TITLE = 500
MAX_LABEL = 200  # campaign and contact_id

CREATE_FIELDS = (
    "destination_url", "title", "code", "expires_at", "campaign", "contact_id", "conversion_tracking",
)  # fmt: skip
PATCH_FIELDS = ("destination_url", "title", "expires_at", "conversion_tracking")


def destination(value: Any) -> str:
    if not isinstance(value, str):
        raise wrong_type("destination_url", "a string", value)
    try:
        return validate_destination(value)
    except InvalidURL as exc:
        raise ApiError(422, error_code(exc.code), exc.message, field="destination_url") from None


def code(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise wrong_type("code", "a string or null", value)
    if not is_possible_code(value):
        raise ApiError(
            422, "invalid_code", f"code must be {MIN_LENGTH}-{MAX_LENGTH} ASCII letters and digits.", "code"
        )
    if is_reserved(value):
        raise ApiError(422, "code_reserved", f"code {value!r} is reserved for the service itself.", "code")
    return value


def expiry(value: Any, now: datetime) -> datetime | None:
    if value is None:
        return None
    when = timestamp("expires_at", value)
    if when <= now:
        raise ApiError(422, "expires_in_past", "expires_at must be in the future.", field="expires_at")
    return when


def new_link(body: dict[str, Any], tenant: Tenant, now: datetime) -> NewLink:
    """The link a create asks for; left out, conversion_tracking is the tenant's default."""
    reject_unknown(body, CREATE_FIELDS, f"a link is created from {', '.join(CREATE_FIELDS)}.")
    if "destination_url" not in body:
        raise ApiError(422, "missing_field", "destination_url is required.", field="destination_url")
    tracking = body.get("conversion_tracking", tenant.conversion_tracking)
    return NewLink(
        tenant_id=tenant.id,
        destination_url=destination(body["destination_url"]),
        code=code(body.get("code")),
        title=text("title", body.get("title"), MAX_TITLE),
        expires_at=expiry(body.get("expires_at"), now),
        campaign=text("campaign", body.get("campaign"), MAX_LABEL),
        contact_id=text("contact_id", body.get("contact_id"), MAX_LABEL),
        conversion_tracking=boolean("conversion_tracking", tracking),
    )


def link_patch(body: dict[str, Any], now: datetime) -> LinkPatch:
    """The fields sent; one sent as null clears it, one left out stays as it is."""
    if "code" in body:
        raise ApiError(422, "code_immutable", "A link's code cannot be changed.", field="code")
    reject_unknown(body, PATCH_FIELDS, f"a link's {', '.join(PATCH_FIELDS)} can be changed.")
    patch = LinkPatch()
    if "destination_url" in body:
        patch = replace(patch, destination_url=destination(body["destination_url"]))
    if "title" in body:
        patch = replace(patch, title=text("title", body["title"], MAX_TITLE))
    if "expires_at" in body:
        patch = replace(patch, expires_at=expiry(body["expires_at"], now))
    if "conversion_tracking" in body:
        patch = replace(
            patch, conversion_tracking=boolean("conversion_tracking", body["conversion_tracking"])
        )
    return patch

"""The JSON shapes of API objects: links, API keys and timestamps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smartlinks.codes import short_url
from smartlinks.models import ApiKey, Link, rfc3339
from smartlinks.settings import Settings


def timestamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z``, to the millisecond (what the store keeps)."""
    return None if value is None else rfc3339(value)


def link_ref(link: Link, settings: Settings) -> dict[str, Any]:
    """A link as another object names it (a campaign's per-link table, a contact's clicks)."""
    return {
        "id": link.id,
        "code": link.code,
        "short_url": short_url(settings.base_url, link.code),
        "destination_url": link.destination_url,
        "title": link.title,
    }


def link_json(link: Link, settings: Settings, clicks: int, now: datetime) -> dict[str, Any]:
    return {
        **link_ref(link, settings),
        "status": link.status(now),
        "expires_at": timestamp(link.expires_at),
        "created_at": timestamp(link.created_at),
        "updated_at": timestamp(link.updated_at),
        "campaign": link.campaign,
        "contact_id": link.contact_id,
        "conversion_tracking": link.conversion_tracking,
        "clicks": clicks,
    }


def key_json(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "created_at": timestamp(key.created_at),
        "revoked_at": timestamp(key.revoked_at),
        "kind": key.kind,
    }

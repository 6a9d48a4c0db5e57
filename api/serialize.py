"""API objects built from the store's models: links and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from api.bodies.keys import ApiKey as ApiKeyBody
from api.bodies.links import Link as LinkBody
from api.bodies.links import LinkRef
from api.bodies.links import Target as TargetBody
from api.bodies.links import Variant as VariantBody
from smartlinks.domains import link_short_url as short_url_of
from smartlinks.models import ApiKey, Link, rfc3339
from smartlinks.rules import NO_RULES, LinkRules
from smartlinks.settings import Settings


def timestamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z``, to the millisecond (what the store keeps)."""
    return None if value is None else rfc3339(value)


def link_short_url(link: Link, settings: Settings) -> str:
    """The link's short URL: on its own domain when it has one (smartlinks.domains)."""
    return short_url_of(settings.base_url, link.domain, link.code)


def link_ref(link: Link, settings: Settings) -> LinkRef:
    """A link as another object names it (a campaign's per-link table, a contact's clicks)."""
    return LinkRef(
        id=link.id,
        code=link.code,
        short_url=link_short_url(link, settings),
        destination_url=link.destination_url,
        title=link.title,
    )


def link_body(link: Link, settings: Settings, clicks: int, now: datetime) -> LinkBody:
    return LinkBody(
        **msgspec.structs.asdict(link_ref(link, settings)),
        status=link.status(now),
        expires_at=timestamp(link.expires_at),
        created_at=rfc3339(link.created_at),
        updated_at=rfc3339(link.updated_at),
        campaign=link.campaign,
        contact_id=link.contact_id,
        conversion_tracking=link.conversion_tracking,
        clicks=clicks,
        **rule_fields(link.rules),
        tags=list(link.tags),
        domain=link.domain,
    )


def rule_fields(rules: LinkRules | None) -> dict[str, Any]:
    """A link's rules as its body shows them: the password only as has_password."""
    rules = rules or NO_RULES
    return {
        "max_clicks": rules.max_clicks,
        "expired_url": rules.expired_url,
        "has_password": rules.password_hash is not None,
        "targets": [TargetBody(t.destination_url, t.os, t.device, t.country) for t in rules.targets],
        "variants": [VariantBody(v.destination_url, v.weight) for v in rules.variants],
    }


def key_body(key: ApiKey) -> ApiKeyBody:
    return ApiKeyBody(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        created_at=rfc3339(key.created_at),
        revoked_at=timestamp(key.revoked_at),
        kind=key.kind,
        scope=key.scope,
        last_used_at=timestamp(key.last_used_at),
    )

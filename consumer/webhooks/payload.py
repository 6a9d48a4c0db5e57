"""The JSON bodies of deliveries. ``link.clicked``:

    {"id": <delivery id>, "type": "link.clicked", "created_at": <RFC 3339>,
     "data": {"link": {id, code, short_url, destination_url, title, campaign, contact_id},
              "click": {id, ts, kind, contact_id, campaign, country, city, device,
                        browser, os, referrer}}}

``conversion.recorded`` (``occurred_at``: the conversion's own time, as sent):

    {"id": <delivery id>, "type": "conversion.recorded", "created_at": <RFC 3339>,
     "occurred_at": <RFC 3339>,
     "data": {"conversion": {id, name, value, currency, campaign, contact_id, link_id,
                             click_id, attribution}}}

The body is made once, when the delivery is enqueued, and sent byte for byte on every
attempt: its ``id`` is the receiver's de-duplication key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from consumer.enrich.row import StoredClick
from consumer.funnel import StoredConversion
from smartlinks.domains import link_short_url
from smartlinks.models import Link, from_ms, rfc3339
from smartlinks.webhooks import CONVERSION_RECORDED, LINK_CLICKED


def link_json(link: Link, base_url: str) -> dict[str, Any]:
    return {
        "id": link.id,
        "code": link.code,
        "short_url": link_short_url(base_url, link.domain, link.code),
        "destination_url": link.destination_url,
        "title": link.title,
        "campaign": link.campaign,
        "contact_id": link.contact_id,
    }


def click_json(click: StoredClick) -> dict[str, Any]:
    row = click.row
    # Unknown values are empty strings in ClickHouse and null here, as in the click log.
    return {
        "id": row.event_id,
        "ts": rfc3339(from_ms(row.ts)),
        "kind": click.kind,
        "contact_id": row.contact_id or None,
        "campaign": row.campaign or None,
        "country": row.country or None,
        "city": row.city or None,
        "device": row.device or None,
        "browser": row.browser or None,
        "os": row.os or None,
        "referrer": row.referrer_host or None,
        "bot_reason": row.bot_reason or None,
        "variant": row.variant or None,
    }


def link_clicked(delivery_id: str, created_at: datetime, link: dict[str, Any], click: StoredClick) -> bytes:
    return orjson.dumps(
        {
            "id": delivery_id,
            "type": LINK_CLICKED,
            "created_at": rfc3339(created_at),
            "data": {"link": link, "click": click_json(click)},
        }
    )


def conversion_json(stored: StoredConversion) -> dict[str, Any]:
    event = stored.event
    # As in click_json: what the conversion lacks is null, not an empty string.
    return {
        "id": event.id,
        "name": event.name,
        "value": event.value,  # a decimal as text, as the sender gave it (no float rounding)
        "currency": event.currency,
        "campaign": stored.campaign or None,
        "contact_id": stored.contact_id or None,
        "link_id": stored.link_id or None,
        "click_id": stored.click_id or None,
        "attribution": stored.attribution,
    }


def conversion_recorded(delivery_id: str, created_at: datetime, stored: StoredConversion) -> bytes:
    return orjson.dumps(
        {
            "id": delivery_id,
            "type": CONVERSION_RECORDED,
            "created_at": rfc3339(created_at),
            "occurred_at": rfc3339(from_ms(stored.event.at)),
            "data": {"conversion": conversion_json(stored)},
        }
    )

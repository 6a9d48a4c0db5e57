"""A contact's deliveries and conversions, for the contact view beside its clicks
(``GET /api/v1/contacts/{contact_id}/clicks``): the newest ``FUNNEL_SHOWN`` of each, newest
first, with a flag when the contact has more.

Both tables are ordered by tenant and campaign, not contact: the reads lean on their
bloom-filter indexes on ``contact_id`` (0006_funnel.sql), so only the granules holding the
contact are read. Synchronous: call from a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.analytics.funnel import money
from smartlinks.clickhouse import Client
from smartlinks.models import from_ms, rfc3339

FUNNEL_SHOWN = 100

# The columns read, checked against the schema by tests/clickhouse/test_schema.py.
READS: dict[str, set[str]] = {
    "deliveries": {"tenant_id", "contact_id", "id", "campaign", "message_id", "ts"},
    "conversions": {
        "tenant_id", "contact_id", "id", "name", "ts", "campaign", "link_id", "click_id", "attribution",
        "value", "currency",
    },
}  # fmt: skip

_DELIVERIES = """
SELECT id, campaign, message_id, toUnixTimestamp64Milli(ts) AS at
FROM deliveries
WHERE tenant_id = {tenant:String} AND contact_id = {contact:String}
ORDER BY ts DESC, id DESC
LIMIT {limit:UInt32}
"""

_CONVERSIONS = """
SELECT id, name, toUnixTimestamp64Milli(ts) AS at, campaign, link_id, click_id,
       toString(attribution), value, currency
FROM conversions
WHERE tenant_id = {tenant:String} AND contact_id = {contact:String}
ORDER BY ts DESC, id DESC
LIMIT {limit:UInt32}
"""


def no_funnel() -> dict[str, Any]:
    """What ``contact_funnel`` answers for a contact nothing was sent for."""
    return {
        "deliveries": [],
        "deliveries_truncated": False,
        "conversions": [],
        "conversions_truncated": False,
    }


def contact_funnel(
    client: Client, tenant_id: str, contact_id: str, shown: int = FUNNEL_SHOWN
) -> dict[str, Any]:
    """``{deliveries, deliveries_truncated, conversions, conversions_truncated}`` of a contact.
    Text ClickHouse keeps empty for "none" is null here, as in the click log."""
    params = {"tenant": tenant_id, "contact": contact_id, "limit": shown + 1}
    deliveries = client.query(_DELIVERIES, parameters=params).result_rows
    conversions = client.query(_CONVERSIONS, parameters=params).result_rows
    return {
        "deliveries": [_delivery(row) for row in deliveries[:shown]],
        "deliveries_truncated": len(deliveries) > shown,
        "conversions": [_conversion(row) for row in conversions[:shown]],
        "conversions_truncated": len(conversions) > shown,
    }


def _delivery(row: Sequence[Any]) -> dict[str, Any]:
    delivery_id, campaign, message_id, at = row
    # A delivery always names its campaign (POST /api/v1/events requires it).
    return {"id": delivery_id, "campaign": campaign, "message_id": message_id or None, "at": _at(at)}


def _conversion(row: Sequence[Any]) -> dict[str, Any]:
    conversion_id, name, at, campaign, link_id, click_id, attribution, value, currency = row
    return {
        "id": conversion_id,
        "name": name,
        "at": _at(at),
        "campaign": campaign or None,
        "link_id": link_id or None,
        "click_id": click_id or None,
        "attribution": attribution,
        # As the campaign funnel shows money. A conversion sent without a value is stored
        # as 0 with no currency.
        "value": money(value, currency) if currency else None,
        "currency": currency or None,
    }


def _at(ms: int) -> str:
    return rfc3339(from_ms(ms))

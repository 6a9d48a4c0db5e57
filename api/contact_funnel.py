"""A contact's deliveries and conversions, newest first, a page at a time: beside the
contact's clicks (``GET /api/v1/contacts/{contact_id}/clicks`` holds the first
``FUNNEL_SHOWN`` of each) and on their own (``GET /api/v1/contacts/{contact_id}/deliveries``
and ``.../conversions``, keyset-paged, for the rest).

Both tables are ordered by tenant and campaign, not contact: the reads lean on their
bloom-filter indexes on ``contact_id`` (0006_funnel.sql), so only the granules holding the
contact are read. The queries are synchronous: the endpoints run them in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.analytics.funnel import money
from api.analytics_routes import label, label_route, page_limit
from api.auth import tenant_of
from api.bodies.contacts import (
    FUNNEL_SHOWN,
    ContactConversion,
    ContactConversionList,
    ContactDelivery,
    ContactDeliveryList,
    ContactFunnel,
)
from api.bodies.links import MAX_LABEL
from api.cursors import Keyset, encode_keyset, keyset_of
from api.errors import ApiError
from api.responses import json_response
from api.routing import Endpoint
from smartlinks.clickhouse import Client
from smartlinks.models import from_ms, rfc3339

Kind = Literal["deliveries", "conversions"]

PATHS: dict[Kind, str] = {
    "deliveries": "/api/v1/contacts/{contact_id}/deliveries",
    "conversions": "/api/v1/contacts/{contact_id}/conversions",
}

# The columns read, checked against the schema by tests/clickhouse/test_schema.py.
READS: dict[str, set[str]] = {
    "deliveries": {"tenant_id", "contact_id", "id", "campaign", "message_id", "ts"},
    "conversions": {
        "tenant_id", "contact_id", "id", "name", "ts", "campaign", "link_id", "click_id", "attribution",
        "value", "currency",
    },
}  # fmt: skip

_COLUMNS: dict[Kind, str] = {
    "deliveries": "id, toUnixTimestamp64Milli(ts) AS at, campaign, message_id",
    "conversions": "id, toUnixTimestamp64Milli(ts) AS at, name, campaign, link_id, click_id,"
    " toString(attribution), value, currency",
}
# An event id is the sender's text (at most 200 characters, api.funnel_events): the
# cursor carries it whole, after the time.
_CURSOR = re.compile(r"([0-9]{1,15}):(.{1,200})", re.DOTALL)
_MAX_CURSOR = 1200  # base64 of 15 digits, ":" and 200 characters of up to 4 bytes


def _select(kind: Kind, after: bool) -> str:
    # Newest first, ties by id: the same order as the cursor, so no item is skipped or repeated.
    keyset = "AND (toUnixTimestamp64Milli(ts), id) < ({at:Int64}, {id:String})" if after else ""
    return f"""
SELECT {_COLUMNS[kind]}
FROM {kind}
WHERE tenant_id = {{tenant:String}} AND contact_id = {{contact:String}} {keyset}
ORDER BY ts DESC, id DESC
LIMIT {{limit:UInt32}}
"""


def funnel_page(
    client: Client, kind: Kind, tenant_id: str, contact_id: str, limit: int, before: Keyset | None = None
) -> tuple[list[Any], Keyset | None]:
    """A page of the contact's ``kind``, newest first, after ``before``, and the cursor of
    the next page (None on the last). Text ClickHouse keeps empty for "none" is null here,
    as in the click log."""
    params: dict[str, Any] = {"tenant": tenant_id, "contact": contact_id, "limit": limit + 1}
    if before is not None:
        params.update(at=before[0], id=before[1])
    rows = client.query(_select(kind, before is not None), parameters=params).result_rows
    shown = rows[:limit]
    following = (shown[-1][1], shown[-1][0]) if len(rows) > limit else None
    return [_ITEM[kind](row) for row in shown], following


def contact_funnel(
    client: Client, tenant_id: str, contact_id: str, shown: int = FUNNEL_SHOWN
) -> ContactFunnel:
    """The first ``shown`` deliveries and conversions of a contact, each with whether there
    are more and the cursor of the rest (for ``GET .../deliveries`` and ``.../conversions``)."""
    deliveries, deliveries_after = funnel_page(client, "deliveries", tenant_id, contact_id, shown)
    conversions, conversions_after = funnel_page(client, "conversions", tenant_id, contact_id, shown)
    return ContactFunnel(
        deliveries=deliveries,
        deliveries_truncated=deliveries_after is not None,
        deliveries_next_cursor=_cursor_of(deliveries_after),
        conversions=conversions,
        conversions_truncated=conversions_after is not None,
        conversions_next_cursor=_cursor_of(conversions_after),
    )


def _cursor_of(following: Keyset | None) -> str | None:
    return None if following is None else encode_keyset(following)


def decode_cursor(params: QueryParams) -> Keyset | None:
    """The ``cursor`` of a deliveries or conversions page, if one was sent."""
    return keyset_of(params, _CURSOR, _MAX_CURSOR)


class ContactFunnelEndpoints:
    """``GET /api/v1/contacts/{contact_id}/deliveries`` and ``.../conversions``."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def routes(self) -> list[Route]:
        return [label_route(path, "contact_id", get=self._endpoint(kind)) for kind, path in PATHS.items()]

    def _endpoint(self, kind: Kind) -> Endpoint:
        async def page(request: Request) -> Response:
            tenant = tenant_of(request)
            limit = page_limit(request.query_params)
            before = decode_cursor(request.query_params)
            contact_id = contact_id_of(request)
            items, following = await asyncio.to_thread(
                funnel_page, self.client, kind, tenant.id, contact_id, limit, before
            )
            return json_response(_LIST[kind](request.path_params["contact_id"], items, _cursor_of(following)))

        return page


def contact_id_of(request: Request) -> str:
    """The path's contact_id; 400 ``invalid_contact_id`` for one no link or event can have
    (a mistake, not an unknown contact)."""
    contact_id = label(request, "contact_id")
    if contact_id is None:
        raise ApiError(
            400,
            "invalid_contact_id",
            f"contact_id must be 1 to {MAX_LABEL} characters without control characters.",
            field="contact_id",
        )
    return contact_id


def _delivery(row: Sequence[Any]) -> ContactDelivery:
    delivery_id, at, campaign, message_id = row
    # A delivery always names its campaign (POST /api/v1/events requires it).
    return ContactDelivery(id=delivery_id, campaign=campaign, message_id=message_id or None, at=_at(at))


def _conversion(row: Sequence[Any]) -> ContactConversion:
    conversion_id, at, name, campaign, link_id, click_id, attribution, value, currency = row
    return ContactConversion(
        id=conversion_id,
        name=name,
        at=_at(at),
        campaign=campaign or None,
        link_id=link_id or None,
        click_id=click_id or None,
        attribution=attribution,
        # As the campaign funnel shows money. A conversion sent without a value is stored
        # as 0 with no currency.
        value=money(value, currency) if currency else None,
        currency=currency or None,
    )


_ITEM: dict[Kind, Callable[[Sequence[Any]], Any]] = {
    "deliveries": _delivery,
    "conversions": _conversion,
}
_LIST: dict[Kind, type[ContactDeliveryList] | type[ContactConversionList]] = {
    "deliveries": ContactDeliveryList,
    "conversions": ContactConversionList,
}


def _at(ms: int) -> str:
    return rfc3339(from_ms(ms))

"""``POST /api/v1/events``: deliveries and conversions, the funnel steps around the click.

A messaging platform reports ``message.delivered`` for each message that reached a contact;
a site reports each ``conversion``. Up to 10,000 events a request, each checked on its own:
one bad event never refuses the others, and the answer lists its index and reason. An id
is the sender's and unique per tenant: an id sent again (in the same request, or already
recorded) is accepted and counted once.

Accepted events are appended to the API's funnel log (``smartlinks.eventlog``), on disk
before the answer leaves; the consumer (embedded) or the Kafka publisher (topic
``smartlinks.events``) reads it from there, so a 200 is a promise like a redirect is.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.bodies.funnel_events import (
    MAX_EVENTS,
    Conversion,
    Delivered,
    EventError,
    FunnelEvents,
    FunnelEventsResult,
)
from api.bodies.reading import decode
from api.context import ApiContext
from api.errors import ApiError
from api.responses import json_response
from api.routing import resource
from api.validation import read_object, timestamp, wrong_type
from schemas.events import CONVERSION, DELIVERED, FunnelEvent
from smartlinks.ids import HEX_ID
from smartlinks.models import Tenant, to_ms, utcnow
from smartlinks.recorded_events import recorded_ids

PATH = "/api/v1/events"
MAX_EVENTS_BODY = 16 << 20  # 10,000 events of a few hundred bytes each
MAX_FUTURE = timedelta(days=1)
MAX_AGE = timedelta(days=400)
_DECIMAL = re.compile(r"[0-9]{1,14}(?:\.[0-9]{1,4})?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_DAY_MS = 86_400_000

_SHAPES: dict[str, type[Delivered] | type[Conversion]] = {DELIVERED: Delivered, CONVERSION: Conversion}


@dataclass(frozen=True, slots=True)
class BrowserClient:
    """Who sent a conversion from a browser: for its country and device, when the tenant
    keeps them. The IP is used by the consumer and never stored."""

    ip: str
    user_agent: str


def funnel_event_routes(ctx: ApiContext) -> list[Route]:
    return [resource(PATH, post=FunnelEndpoint(ctx).post)]


class FunnelEndpoint:
    def __init__(self, ctx: ApiContext) -> None:
        self.ingest = FunnelIngest(ctx)

    async def post(self, request: Request) -> Response:
        tenant = tenant_of(request)
        body = await read_object(request, MAX_EVENTS_BODY)
        events = decode(body, FunnelEvents).events
        if len(events) > MAX_EVENTS:
            raise ApiError(422, "too_many_events", f"At most {MAX_EVENTS} events a request.", "events")
        return json_response(await self.ingest.accept(tenant, events))


class FunnelIngest:
    """Checks events, drops ids already recorded, and logs the rest durably. Shared by the
    server-side ``/events`` and the browser's ``/track/conversion``."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx

    async def accept(
        self, tenant: Tenant, events: Sequence[Any], browser: BrowserClient | None = None
    ) -> FunnelEventsResult:
        now = utcnow()
        errors: list[EventError] = []
        valid: list[FunnelEvent] = []
        seen: set[str] = set()
        duplicates = 0
        for index, raw in enumerate(events):
            try:
                event = funnel_event(raw, tenant, now, browser)
            except ApiError as exc:
                errors.append(EventError(index, exc.code, exc.message, exc.field))
                continue
            if event.id in seen:
                duplicates += 1
                continue
            seen.add(event.id)
            valid.append(event)
        recorded = await self._recorded(tenant.id, [event.id for event in valid])
        fresh = [event for event in valid if event.id not in recorded]
        duplicates += len(valid) - len(fresh)
        log = self.ctx.funnel_log
        if fresh:
            if log is None:
                raise ApiError(503, "events_unavailable", "This process does not record funnel events.")
            # One group, so written all or none: none is a 503 the sender retries.
            written = await asyncio.gather(*[log.append(event.to_json()) for event in fresh])
            if not all(written):
                raise ApiError(
                    503, "events_unavailable", "The events could not be recorded; send them again."
                )
        return FunnelEventsResult(accepted=len(fresh), duplicates=duplicates, errors=errors)

    async def _recorded(self, tenant_id: str, ids: list[str]) -> set[str]:
        """The ids ClickHouse already holds. An id still on its way from a request a moment
        ago is not among them: it is accepted again and the consumer still counts it once."""
        queries = self.ctx.analytics
        if not ids or queries is None:
            return set()
        return await asyncio.to_thread(recorded_ids, queries.client, tenant_id, ids)


def funnel_event(raw: Any, tenant: Tenant, now: datetime, browser: BrowserClient | None) -> FunnelEvent:
    """One event of a request, checked; raises ApiError naming the field at fault."""
    if not isinstance(raw, dict):
        raise ApiError(422, "invalid_type", "An event must be a JSON object.")
    kind = raw.get("type")
    if isinstance(kind, dict | list) or kind not in _SHAPES:  # an object or array is unhashable
        raise ApiError(422, "unknown_event_type", "type must be message.delivered or conversion.", "type")
    sent = decode(raw, _SHAPES[kind])
    at = _at(sent.at, now)
    conversion = sent if isinstance(sent, Conversion) else None
    # As sent: decode() reads a float like 10.0 as the whole number 10, and the value keeps
    # the digits it was sent with.
    value, currency = (None, None) if conversion is None else _value(raw.get("value"), conversion.currency)
    keep = tenant.collect_metadata and browser is not None
    return FunnelEvent(
        type=kind,
        id=sent.id,
        tenant_id=tenant.id,
        at=to_ms(at),
        received_at=to_ms(now),
        campaign=sent.campaign,
        contact_id=sent.contact_id,
        message_id=sent.message_id if isinstance(sent, Delivered) else None,
        name=None if conversion is None else conversion.name,
        click_id=None if conversion is None else _click_id(conversion.click_id),
        value=value,
        currency=currency,
        attribution_window_ms=tenant.attribution_window_days * _DAY_MS,
        ip=browser.ip if keep and browser else "",
        user_agent=browser.user_agent if keep and browser else "",
        collect_metadata=tenant.collect_metadata,
    )


def _at(value: str | None, now: datetime) -> datetime:
    if value is None:
        return now
    at = timestamp("at", value)
    if at > now + MAX_FUTURE or at < now - MAX_AGE:
        raise ApiError(
            422, "at_out_of_range", "at may be at most 1 day in the future and 400 days in the past.", "at"
        )
    return at


def _value(value: Any, currency: Any) -> tuple[str | None, str | None]:
    if value is None and currency is None:
        return None, None
    if value is None:
        raise ApiError(422, "value_required", "currency goes with a value.", "value")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise wrong_type("value", "a decimal number (or a string holding one)", value)
    written = value if isinstance(value, str) else repr(value)
    try:
        amount = Decimal(written)
    except InvalidOperation:
        raise ApiError(422, "invalid_value", "value must be a decimal number >= 0.", "value") from None
    # Trailing zeros of the fraction only: 1e20 is 21 digits, not 1 (it would not fit the
    # column, Decimal(18, 4), and its insert would fail the consumer's batch).
    normal = format(amount, "f") if amount.is_finite() else ""
    significant = normal.rstrip("0").rstrip(".") if "." in normal else normal
    if not normal or amount < 0 or not _DECIMAL.fullmatch(significant):
        raise ApiError(
            422,
            "invalid_value",
            "value must be a decimal >= 0 with at most 14 digits and 4 decimals.",
            "value",
        )
    if currency is None:
        raise ApiError(422, "currency_required", "value needs its currency (ISO 4217, e.g. EUR).", "currency")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ApiError(422, "invalid_currency", "currency must be an ISO 4217 code, e.g. EUR.", "currency")
    return normal, currency


def _click_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not HEX_ID.fullmatch(value.lower()):
        raise ApiError(
            422, "invalid_click_id", "click_id is the sl_click value: 32 hex characters.", "click_id"
        )
    return value.lower()

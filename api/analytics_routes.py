"""``GET /api/v1/links/{id}/analytics`` and ``/clicks``: the HTTP side of analytics.

Parses and checks the query (range, interval, zone, bot toggle, page size, cursor), runs
the ClickHouse queries of ``api.analytics`` in a worker thread (chDB has no async client),
and wraps their answer with the link and the resolved range. The campaign and contact
endpoints (``api.campaigns``, ``api.contacts``) take their parsing from here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, compile_path

from api.analytics.buckets import INTERVALS, RangeError
from api.analytics.query import AnalyticsQueries, ClickCursor
from api.analytics.variants import variant_breakdown
from api.bodies.links import MAX_LABEL
from api.context import ApiContext
from api.cursors import encode_keyset, keyset_of
from api.errors import ApiError
from api.links import PREFIX, LinkEndpoints
from api.responses import json_response
from api.routing import Endpoint, resource
from api.serialize import link_body
from api.validation import CONTROL, query_boolean
from smartlinks.models import rfc3339, utcnow

T = TypeVar("T")
Q = TypeVar("Q")

PRESETS = {"7d": 7, "30d": 30, "90d": 90}
DEFAULT_PRESET = "7d"
DEFAULT_CLICKS_LIMIT = 50
MAX_CLICKS_LIMIT = 200
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# RFC 3339 (its "T" and "Z" in either case, or a space for the "T"), with the offset it requires.
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_LIMIT = re.compile(r"[0-9]{1,4}")
_CLICK_CURSOR = re.compile(r"([0-9]{1,15}):([0-9a-f]{32})")
_MAX_CLICK_CURSOR = 95


def _zone(params: QueryParams) -> tuple[str, ZoneInfo]:
    name = params.get("tz") or "UTC"
    try:
        if len(name) > 64:
            raise ValueError(name)
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ApiError(
            400, "invalid_tz", "tz must be an IANA time zone such as Europe/Berlin.", field="tz"
        ) from None


def _instant(name: str, raw: str, zone: ZoneInfo, end_of_day: bool) -> datetime:
    """A ``from``/``to`` value: a date (a whole day in ``tz``; ``to`` includes it) or an
    RFC 3339 timestamp with an offset."""
    try:
        if _DATE.fullmatch(raw):
            day = date.fromisoformat(raw) + timedelta(days=1 if end_of_day else 0)
            return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        if _TIMESTAMP.fullmatch(raw):
            return datetime.fromisoformat(
                raw[:10] + "T" + raw[11:].upper().replace("Z", "+00:00")
            ).astimezone(UTC)
    except (ValueError, OverflowError):  # no such day, or before year 1 or after 9999 in UTC
        pass
    raise ApiError(
        400, "invalid_datetime", f"{name} must be a date (YYYY-MM-DD) or an RFC 3339 timestamp.", field=name
    )


def analytics_range(params: QueryParams, now: datetime) -> tuple[datetime, datetime, str, str, ZoneInfo]:
    """(start, end, interval, tz name, zone) of an analytics request; end is exclusive."""
    tz_name, zone = _zone(params)
    interval = params.get("interval") or "day"
    if interval not in INTERVALS:
        raise ApiError(
            400, "invalid_interval", "interval must be hour, day, week or month.", field="interval"
        )
    bounds = _bounds(params, now, zone, DEFAULT_PRESET)
    assert bounds is not None  # a default preset always gives a range
    return bounds[0], bounds[1], interval, tz_name, zone


def log_range(params: QueryParams, now: datetime) -> tuple[datetime, datetime] | None:
    """[start, end) of a click-log request as analytics requests name it (preset, or from
    and to in tz), or None when it names none: the whole log."""
    _, zone = _zone(params)
    return _bounds(params, now, zone, None)


def _bounds(
    params: QueryParams, now: datetime, zone: ZoneInfo, default: str | None
) -> tuple[datetime, datetime] | None:
    preset = params.get("preset") or None
    raw_from, raw_to = params.get("from") or None, params.get("to") or None
    if preset is not None and (raw_from or raw_to):
        raise ApiError(400, "invalid_range", "Give either preset or from/to, not both.", field="preset")
    if raw_from is None and raw_to is None:
        preset = preset or default
        if preset is None:
            return None
        if preset not in PRESETS:
            raise ApiError(400, "invalid_preset", "preset must be 7d, 30d or 90d.", field="preset")
        return now - timedelta(days=PRESETS[preset]), now
    if raw_from is None:
        raise ApiError(400, "invalid_range", "from is required with to.", field="from")
    start = _instant("from", raw_from, zone, end_of_day=False)
    end = _instant("to", raw_to, zone, end_of_day=True) if raw_to is not None else now
    if end <= start:
        raise ApiError(400, "invalid_range", "to must be after from.", field="to")
    return start, end


def page_limit(params: QueryParams) -> int:
    raw = params.get("limit")
    if not raw:
        return DEFAULT_CLICKS_LIMIT
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= MAX_CLICKS_LIMIT:
        raise ApiError(
            400, "invalid_limit", f"limit must be a whole number from 1 to {MAX_CLICKS_LIMIT}.", field="limit"
        )
    return int(raw)


@dataclass(frozen=True, slots=True)
class AnalyticsRequest:
    """The query of an analytics request, checked: [start, end) in UTC and how to show it."""

    start: datetime
    end: datetime
    interval: str
    tz: str
    exclude_bots: bool

    def range_json(self) -> dict[str, Any]:
        return {
            "from": rfc3339(self.start),
            "to": rfc3339(self.end),
            "interval": self.interval,
            "tz": self.tz,
            "exclude_bots": self.exclude_bots,
        }


def analytics_request(params: QueryParams, now: datetime) -> AnalyticsRequest:
    start, end, interval, tz_name, _ = analytics_range(params, now)
    return AnalyticsRequest(start, end, interval, tz_name, query_boolean(params, "exclude_bots"))


async def run_query(query: Callable[..., T], *args: Any) -> T:
    """A ClickHouse query in a worker thread; a range the queries refuse is a 400."""
    try:
        return await asyncio.to_thread(query, *args)
    except RangeError as exc:
        raise ApiError(400, "invalid_range", str(exc)) from None


def label(request: Request, name: str) -> str | None:
    """A path parameter naming a campaign or contact, as links take them (any text of 1
    to 200 characters without control characters), or None if it cannot be one."""
    value: str = request.path_params[name]
    return value if 0 < len(value) <= MAX_LABEL and not CONTROL.search(value) else None


def label_route(template: str, name: str, **endpoints: Endpoint) -> Route:
    """``resource`` for a path whose ``{name}`` segment holds a campaign or contact, which
    may contain "/": the server decodes %2F before routing, so the segment is matched as a
    path. The template's text after it keeps the match exact."""
    route = resource(template, **endpoints)
    regex, route.path_format, route.param_convertors = compile_path(
        template.replace(f"{{{name}}}", f"{{{name}:path}}")
    )
    # DOTALL: a segment with a newline is a label no link has (404 by the endpoint), not
    # an unknown path.
    route.path_regex = re.compile(regex.pattern, re.DOTALL)
    return route


def click_cursor(params: QueryParams) -> ClickCursor | None:
    """The ``cursor`` of a click-log page, if one was sent."""
    return keyset_of(params, _CLICK_CURSOR, _MAX_CLICK_CURSOR)


class LinkQueryEndpoints(Generic[Q]):
    """The setup of endpoints that answer from ClickHouse queries (``Q``, run in a worker
    thread) about links: the API's context, the queries, and the link endpoints that find
    the link a ``/links/{id}/...`` path names."""

    def __init__(self, ctx: ApiContext, queries: Q, links: LinkEndpoints) -> None:
        self.ctx = ctx
        self.queries = queries
        self.links = links


class AnalyticsEndpoints(LinkQueryEndpoints[AnalyticsQueries]):
    def routes(self) -> list[Route]:
        return [
            resource(PREFIX + "/{id}/analytics", get=self.analytics),
            resource(PREFIX + "/{id}/clicks", get=self.clicks),
        ]

    async def analytics(self, request: Request) -> Response:
        link = await self.links.link_of(request)
        now = utcnow()
        query = analytics_request(request.query_params, now)
        figures = await run_query(
            self.queries.link_analytics,
            link.tenant_id,
            link.id,
            query.start,
            query.end,
            query.interval,
            query.tz,
            query.exclude_bots,
            link.campaign or "",
        )
        lifetime = await self.ctx.clicks.lifetime_clicks(link.tenant_id, [link.id])
        body: dict[str, Any] = {
            "link": link_body(link, self.ctx.settings, lifetime.get(link.id, 0), now),
            "range": query.range_json(),
            **figures,
        }
        if link.rules is not None and link.rules.variants:
            body["variants"] = await run_query(
                variant_breakdown,
                self.queries.client,
                link.tenant_id,
                link.id,
                [variant.destination_url for variant in link.rules.variants],
                query.start,
                query.end,
                query.exclude_bots,
                link.conversion_tracking,
            )
        return json_response(body)

    async def clicks(self, request: Request) -> Response:
        link = await self.links.link_of(request)
        limit = page_limit(request.query_params)
        before = click_cursor(request.query_params)
        within = log_range(request.query_params, utcnow())
        exclude_bots = query_boolean(request.query_params, "exclude_bots")
        items, following = await asyncio.to_thread(
            self.queries.click_log, link.tenant_id, link.id, limit, before, within, exclude_bots
        )
        return json_response(
            {"items": items, "next_cursor": None if following is None else encode_keyset(following)}
        )


class AnalyticsClickCounter:
    """Lifetime click totals for link objects, from the hourly rollup (a few rows a link)."""

    def __init__(self, queries: AnalyticsQueries) -> None:
        self.queries = queries

    async def lifetime_clicks(self, tenant_id: str, link_ids: list[str]) -> dict[str, int]:
        return await asyncio.to_thread(self.queries.lifetime_clicks, tenant_id, link_ids)

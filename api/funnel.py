"""``GET /api/v1/campaigns/{campaign}/funnel`` and ``GET /api/v1/links/{id}/funnel``: the
HTTP side of the funnel (delivered → clicked → converted, in distinct contacts).

The range is an analytics range (``preset``, ``from``, ``to``, ``interval``, ``tz``, parsed
by ``api.analytics_routes``); the figures come from ``api.analytics.funnel``. A campaign
is known when a live link carries it or ClickHouse holds a delivery or a conversion of it;
its per-link rows are its live links', at most ``LINK_TABLE_LIMIT`` (``links_truncated``
says when it has more).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.analytics.funnel import FunnelQueries
from api.analytics_routes import LinkQueryEndpoints, analytics_range, label, label_route, run_query
from api.auth import tenant_of
from api.bodies.analytics import Interval
from api.bodies.campaigns import LINK_TABLE_LIMIT
from api.bodies.funnel import FunnelLink, FunnelRange
from api.campaigns import PREFIX as CAMPAIGNS
from api.errors import ApiError
from api.links import PREFIX as LINKS
from api.responses import json_response
from api.routing import resource
from smartlinks.models import rfc3339, utcnow


class FunnelEndpoints(LinkQueryEndpoints[FunnelQueries]):
    def routes(self) -> list[Route]:
        return [
            label_route(CAMPAIGNS + "/{campaign}/funnel", "campaign", get=self.campaign_funnel),
            resource(LINKS + "/{id}/funnel", get=self.link_funnel),
        ]

    async def campaign_funnel(self, request: Request) -> Response:
        tenant = tenant_of(request)
        campaign = label(request, "campaign")
        link_ids = await self.ctx.store.campaign_link_ids(tenant.id, campaign) if campaign else []
        if campaign is None or (
            not link_ids and not await run_query(self.queries.campaign_exists, tenant.id, campaign)
        ):
            raise ApiError(
                404,
                "campaign_not_found",
                "No live link, delivery or conversion has this campaign.",
                field="campaign",
            )
        start, end, interval, tz, _ = analytics_range(request.query_params, utcnow())
        figures = await run_query(
            self.queries.campaign_funnel,
            tenant.id,
            campaign,
            set(link_ids),
            start,
            end,
            interval,
            tz,
            LINK_TABLE_LIMIT,
        )
        wanted = [row["link_id"] for row in figures["links"]]
        codes = {link.id: link.code for link in await self.ctx.store.get_links(tenant.id, wanted)}
        figures["links"] = [
            _row(row, codes[row["link_id"]])
            for row in figures["links"]
            if row["link_id"] in codes  # deleted a moment ago
        ]
        # Every live link has a row (zeros when idle) until the table is full.
        figures["links_truncated"] = len(set(link_ids)) > LINK_TABLE_LIMIT
        # In api.bodies.funnel.Funnel's shape: the figures stay the queries' dicts.
        return json_response({"range": _range(start, end, interval, tz), **figures})

    async def link_funnel(self, request: Request) -> Response:
        link = await self.links.link_of(request)
        start, end, interval, tz, _ = analytics_range(request.query_params, utcnow())
        figures = await run_query(self.queries.link_funnel, link, start, end, interval, tz)
        figures["links"] = [_row(row, link.code) for row in figures["links"]]
        figures["links_truncated"] = False
        return json_response({"range": _range(start, end, interval, tz), **figures})


def _range(start: datetime, end: datetime, interval: str, tz: str) -> FunnelRange:
    # analytics_range refused any interval but the four.
    return FunnelRange(rfc3339(start), rfc3339(end), cast(Interval, interval), tz)


def _row(figures: dict[str, Any], code: str) -> FunnelLink:
    return FunnelLink(figures["link_id"], code, figures["clicked"], figures["converted"])

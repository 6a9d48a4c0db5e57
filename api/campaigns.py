"""``GET /api/v1/campaigns`` and ``GET /api/v1/campaigns/{campaign}/analytics``: a
tenant's campaigns with their lifetime figures, and one campaign's analytics.

A campaign is the set of the tenant's live links that carry its name, as the link store
knows them now: a deleted link leaves its campaign's figures with it. Its analytics are
the link analytics of that set, which are figure by figure the sums of its links' (see
``api.analytics.query``): a campaign's ``unique`` is the sum of its links' unique
visitors. On top of those, ``totals.contacts`` counts the distinct contacts who clicked,
and a per-link table gives each link's totals.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api import cursors
from api.analytics.link_sets import LinkSet
from api.analytics.query import AnalyticsQueries, LinkFigures
from api.analytics_routes import (
    AnalyticsRequest,
    analytics_request,
    label,
    label_route,
    page_limit,
    run_query,
)
from api.auth import tenant_of
from api.bodies.campaigns import LINK_TABLE_LIMIT, CampaignLink, CampaignList
from api.bodies.campaigns import CampaignSummary as CampaignItem
from api.context import ApiContext
from api.errors import ApiError
from api.responses import json_response
from api.routing import resource
from api.serialize import link_ref
from smartlinks.models import Link, rfc3339, to_ms, utcnow
from smartlinks.store.base import CampaignSummary

PREFIX = "/api/v1/campaigns"

_NO_FIGURES = LinkFigures(0, 0, 0)
_CursorKey = tuple[int, str]  # (-ms of the campaign's newest link, campaign): the list's order


async def live_campaign(ctx: ApiContext, request: Request) -> tuple[str, list[str]]:
    """The campaign the path names and the ids of its tenant's live links on it; 404 when
    there are none (what a campaign's analytics and its click export both answer)."""
    campaign = label(request, "campaign")
    link_ids = await ctx.store.campaign_link_ids(tenant_of(request).id, campaign) if campaign else []
    if campaign is None or not link_ids:
        raise ApiError(404, "campaign_not_found", "No live link has this campaign.", field="campaign")
    return campaign, link_ids


class CampaignEndpoints:
    def __init__(self, ctx: ApiContext, queries: AnalyticsQueries) -> None:
        self.ctx = ctx
        self.queries = queries

    def routes(self) -> list[Route]:
        return [
            resource(PREFIX, get=self.list_campaigns),
            label_route(PREFIX + "/{campaign}/analytics", "campaign", get=self.analytics),
        ]

    async def list_campaigns(self, request: Request) -> Response:
        """The tenant's campaigns, the one with the newest link first, each with its live
        links' lifetime figures from the campaign-ordered rollups."""
        tenant = tenant_of(request)
        limit = page_limit(request.query_params)
        after = _cursor(request.query_params)
        ordered = sorted(await self.ctx.store.list_campaigns(tenant.id), key=_order)
        if after is not None:
            ordered = [summary for summary in ordered if _order(summary) > after]
        page = ordered[:limit]
        groups = [await self.ctx.store.campaign_link_ids(tenant.id, summary.campaign) for summary in page]
        names = [summary.campaign for summary in page]
        figures = await run_query(self.queries.lifetime_by_campaign, tenant.id, names)
        items = [
            CampaignItem(
                campaign=summary.campaign,
                links=len(link_ids),
                total=lifetime.clicks,
                unique=lifetime.unique,
                bots=lifetime.bots,
                first_link_at=rfc3339(summary.first_created_at),
                last_link_at=rfc3339(summary.last_created_at),
            )
            for summary, link_ids, lifetime in zip(page, groups, figures, strict=True)
        ]
        following = _encode_cursor(_order(page[-1])) if len(ordered) > limit else None
        return json_response(CampaignList(items, following))

    async def analytics(self, request: Request) -> Response:
        tenant = tenant_of(request)
        campaign, link_ids = await live_campaign(self.ctx, request)
        named = {"campaign": {"campaign": campaign, "links": len(link_ids)}}
        return json_response({**named, **await self.set_analytics(request, tenant.id, link_ids, campaign)})

    async def set_analytics(
        self, request: Request, tenant_id: str, link_ids: list[str], campaign: str | None = None
    ) -> dict[str, Any]:
        """The analytics of a set of the tenant's live links, as a campaign's are shown (a
        tag's too): the figures, the contacts who clicked and the per-link table. A
        campaign's (``campaign`` given, ``link_ids`` its links) are read by its key."""
        query = analytics_request(request.query_params, utcnow())
        figures, per_link = await run_query(self._figures, tenant_id, campaign, link_ids, query)

        def total(link_id: str) -> int:
            found = per_link.get(link_id, _NO_FIGURES)
            return found.clicks - found.bots if query.exclude_bots else found.clicks

        # Most clicks first, then oldest first; links without clicks in range fill the rest.
        shown = sorted(link_ids, key=lambda link_id: (-total(link_id), link_id))[:LINK_TABLE_LIMIT]
        clicked = [link_id for link_id in per_link if total(link_id) > 0]
        wanted = sorted({*shown, *clicked})
        stored = {link.id: link for link in await self.ctx.store.get_links(tenant_id, wanted)}
        # A click carries its link's contact (fixed when the link is made), so the contacts
        # who clicked are the contacts of the links clicked.
        contacts = {stored[link_id].contact_id for link_id in clicked if link_id in stored} - {None, ""}
        figures["totals"]["contacts"] = len(contacts)
        # In api.bodies.campaigns.CampaignAnalytics's shape: the figures stay the queries' dicts.
        return {
            "range": query.range_json(),
            **figures,
            "links": [
                self._row(stored[link_id], per_link.get(link_id, _NO_FIGURES), total(link_id))
                for link_id in shown
                if link_id in stored  # deleted a moment ago
            ],
            "links_truncated": len(link_ids) > LINK_TABLE_LIMIT,
        }

    def _figures(
        self, tenant_id: str, campaign: str | None, link_ids: list[str], query: AnalyticsRequest
    ) -> tuple[dict[str, Any], dict[str, LinkFigures]]:
        """The set's analytics and its links' figures, in one worker thread."""
        if campaign is not None:
            start, end, interval, tz = query.start, query.end, query.interval, query.tz
            return self.queries.campaign_analytics(
                tenant_id, campaign, link_ids, start, end, interval, tz, query.exclude_bots
            )
        links = LinkSet(link_ids)
        figures = self.queries.analytics(
            tenant_id, links, query.start, query.end, query.interval, query.tz, query.exclude_bots
        )
        return figures, self.queries.per_link(tenant_id, links, query.start, query.end)

    def _row(self, link: Link, figures: LinkFigures, total: int) -> CampaignLink:
        return CampaignLink(
            **msgspec.structs.asdict(link_ref(link, self.ctx.settings)),
            contact_id=link.contact_id,
            total=total,
            unique=figures.unique,
            bots=figures.bots,
        )


def _order(summary: CampaignSummary) -> _CursorKey:
    return -to_ms(summary.last_created_at), summary.campaign


def _encode_cursor(key: _CursorKey) -> str:
    return cursors.encode(orjson.dumps(list(key)))


def _cursor(params: QueryParams) -> _CursorKey | None:
    raw = params.get("cursor") or None
    if raw is None:
        return None
    data = cursors.decode(raw) if len(raw) < 1200 else None
    try:
        key = None if data is None else orjson.loads(data)
    except orjson.JSONDecodeError:
        key = None
    if isinstance(key, list) and len(key) == 2 and type(key[0]) is int and isinstance(key[1], str):
        return key[0], key[1]
    raise cursors.invalid_cursor()

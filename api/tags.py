"""``GET /api/v1/tags`` and ``GET /api/v1/tags/{tag}/analytics``: the tenant's tags with
their live links, and one tag's analytics.

A tag is the set of the tenant's live links that carry it, matched case-insensitively, as
the link store knows them now. Its analytics are a campaign's over that set (the same
parameters, the same figures; see ``api.campaigns``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.analytics.query import AnalyticsQueries
from api.analytics_routes import label_route
from api.auth import tenant_of
from api.bodies.tags import TagList, TagSummary
from api.campaigns import CampaignEndpoints
from api.context import ApiContext
from api.errors import ApiError
from api.listing import tag_filter
from api.responses import json_response
from api.routing import resource

PREFIX = "/api/v1/tags"


class TagEndpoints:
    def __init__(self, ctx: ApiContext, queries: AnalyticsQueries | None) -> None:
        self.ctx = ctx
        self.sets = None if queries is None else CampaignEndpoints(ctx, queries)

    def routes(self) -> list[Route]:
        """The list always; the analytics where there are analytics (ClickHouse)."""
        routes = [resource(PREFIX, get=self.list_tags)]
        if self.sets is not None:
            routes.append(label_route(PREFIX + "/{tag}/analytics", "tag", get=self.analytics))
        return routes

    async def list_tags(self, request: Request) -> Response:
        found = await self.ctx.store.tags.list_tags(tenant_of(request).id)
        return json_response(TagList([TagSummary(summary.tag, summary.links) for summary in found]))

    async def analytics(self, request: Request) -> Response:
        tenant = tenant_of(request)
        tag = tag_filter(request.path_params["tag"])
        link_ids = await self.ctx.store.tags.link_ids(tenant.id, tag) if tag else []
        if tag is None or not link_ids:
            raise ApiError(404, "tag_not_found", "No live link has this tag.", field="tag")
        named = {"tag": {"tag": tag, "links": len(link_ids)}}
        assert self.sets is not None  # routed only with analytics
        return json_response({**named, **await self.sets.set_analytics(request, tenant.id, link_ids)})

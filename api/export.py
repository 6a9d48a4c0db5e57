"""CSV downloads: a link's clicks, a campaign's clicks, and the link list.

``GET /api/v1/links/{id}/clicks/export`` and ``GET /api/v1/campaigns/{campaign}/clicks/export``
take the analytics endpoints' range and bot filters (``preset``, ``from``, ``to``, ``tz``,
``exclude_bots``), parsed and refused by the same code; ``GET /api/v1/links/export`` takes
the link list's filters (``search``, ``status``, ``campaign``, ``tag``) and writes every
page. Each body is streamed a page at a time (``api.export_clicks``), so memory stays flat
whatever the size. The first page is read before the response starts, so a refused range
or an unreachable ClickHouse is still an ordinary error response, not a cut-off file.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from api.analytics_routes import analytics_request, label_route
from api.auth import tenant_of
from api.campaigns import PREFIX as CAMPAIGNS
from api.campaigns import live_campaign
from api.context import ApiContext
from api.export_clicks import HEADER, click_pages
from api.export_csv import Cell, attachment, lines
from api.links import PREFIX as LINKS
from api.links import LinkEndpoints
from api.listing import MAX_LIMIT, link_query
from api.routing import resource
from api.serialize import link_short_url, timestamp
from smartlinks.clickhouse import Client
from smartlinks.models import Link, rfc3339, utcnow
from smartlinks.rules import NO_RULES

CSV = "text/csv; charset=utf-8"
LINK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "The link's id."),
    ("code", "Its code."),
    ("short_url", "Its short URL."),
    ("destination_url", "Where it redirects."),
    ("title", "Its title, empty for none."),
    ("campaign", "Its campaign, empty for none."),
    ("contact_id", "Its contact, empty for none."),
    ("tags", "Its tags, separated by `|`."),
    ("created_at", "RFC 3339 in UTC with `Z`."),
    ("expires_at", "RFC 3339 in UTC with `Z`, empty for never."),
    ("max_clicks", "Human clicks after which it expires, empty for no limit."),
    ("has_password", "`true` or `false`."),
    ("clicks", "Lifetime clicks, bots included (as the link list's `clicks`)."),
)
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
# Query parameters of the analytics endpoints the exports have no use for: without
# buckets, an interval means nothing, so any value of it is left alone.
_NOT_EXPORT_PARAMETERS = frozenset({"interval"})


def _filename(kind: str, name: str) -> str:
    safe = _FILENAME_UNSAFE.sub("-", name).strip("-")[:60]
    return f"{kind}-{safe or 'export'}.csv"


def _export_params(params: QueryParams) -> QueryParams:
    return QueryParams([(k, v) for k, v in params.multi_items() if k not in _NOT_EXPORT_PARAMETERS])


class ExportEndpoints:
    def __init__(self, ctx: ApiContext, links: LinkEndpoints) -> None:
        self.ctx = ctx
        self.links = links

    def routes(self) -> list[Route]:
        """The link list's export; before the link routes, as "/links/export" is no link id."""
        return [resource(LINKS + "/export", get=self.export_links)]

    def click_routes(self, client: Client) -> list[Route]:
        """The click exports, when the API has analytics."""
        clicks = ClickExports(client, self.links, self.ctx)
        return [
            resource(LINKS + "/{id}/clicks/export", get=clicks.link_clicks),
            label_route(CAMPAIGNS + "/{campaign}/clicks/export", "campaign", get=clicks.campaign_clicks),
        ]

    async def export_links(self, request: Request) -> Response:
        tenant = tenant_of(request)
        params = QueryParams(
            [(k, v) for k, v in request.query_params.multi_items() if k not in ("limit", "cursor")]
        )
        query = replace(link_query(params, tenant.id), limit=MAX_LIMIT, after_id=None)
        page = await self.ctx.store.list_links(query)
        first_rows = await self._link_rows(tenant.id, page.items)

        async def body() -> AsyncIterator[bytes]:
            yield lines([tuple(name for name, _ in LINK_COLUMNS), *first_rows])
            after = page.next_after_id
            while after is not None:
                following = await self.ctx.store.list_links(replace(query, after_id=after))
                yield lines(await self._link_rows(tenant.id, following.items))
                after = following.next_after_id

        return StreamingResponse(body(), media_type=CSV, headers=attachment("links.csv"))

    async def _link_rows(self, tenant_id: str, links: list[Link]) -> list[tuple[Cell, ...]]:
        clicks = await self.ctx.clicks.lifetime_clicks(tenant_id, [link.id for link in links])
        return [self._link_row(link, clicks.get(link.id, 0)) for link in links]

    def _link_row(self, link: Link, clicks: int) -> tuple[Cell, ...]:
        rules = link.rules or NO_RULES
        return (
            link.id,
            link.code,
            link_short_url(link, self.ctx.settings),
            link.destination_url,
            link.title,
            link.campaign,
            link.contact_id,
            "|".join(link.tags),
            rfc3339(link.created_at),
            timestamp(link.expires_at),
            rules.max_clicks,
            rules.password_hash is not None,
            clicks,
        )


class ClickExports:
    def __init__(self, client: Client, links: LinkEndpoints, ctx: ApiContext) -> None:
        self.client = client
        self.links = links
        self.ctx = ctx

    async def link_clicks(self, request: Request) -> Response:
        link = await self.links.link_of(request)
        return await self._stream(request, link.tenant_id, [link.id], _filename("clicks", link.code))

    async def campaign_clicks(self, request: Request) -> Response:
        campaign, link_ids = await live_campaign(self.ctx, request)
        tenant_id = tenant_of(request).id
        return await self._stream(request, tenant_id, link_ids, _filename("campaign-clicks", campaign))

    async def _stream(self, request: Request, tenant_id: str, link_ids: list[str], filename: str) -> Response:
        query = analytics_request(_export_params(request.query_params), utcnow())
        pages = click_pages(self.client, tenant_id, link_ids, query.start, query.end, query.exclude_bots)
        first = await asyncio.to_thread(next, pages, None)

        async def body() -> AsyncIterator[bytes]:
            yield lines([HEADER, *(first or [])])
            if first is not None:
                async for page in _following(pages):
                    yield lines(page)

        return StreamingResponse(body(), media_type=CSV, headers=attachment(filename))


async def _following(pages: Iterator[list[tuple[Cell, ...]]]) -> AsyncIterator[list[tuple[Cell, ...]]]:
    """The rest of the pages, each read in a worker thread (chDB has no async client)."""
    while (page := await asyncio.to_thread(next, pages, None)) is not None:
        yield page

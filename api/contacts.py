"""``GET /api/v1/contacts/{contact_id}/clicks``: one contact's clicks on every link of
every campaign, newest first, keyset-paged like a link's click log; beside them, on every
page, the contact's newest deliveries and conversions (``api.contact_funnel``).

A contact is not something the service stores: it is the ``contact_id`` links are made
with, which every click on them carries (and the deliveries and conversions sent for it).
An id nothing carries has an empty log. A deleted link's clicks are removed with it; until
that reaches ClickHouse (at once in one process, within moments across processes) such a
click shows with ``link: null``.
"""

from __future__ import annotations

import asyncio

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.analytics.query import AnalyticsQueries
from api.analytics_routes import click_cursor, label_route, page_limit
from api.auth import tenant_of
from api.bodies.contacts import ContactClick, ContactClickList
from api.contact_funnel import contact_funnel, contact_id_of
from api.context import ApiContext
from api.cursors import encode_keyset
from api.responses import json_response
from api.serialize import link_ref
from smartlinks.models import Link

PATH = "/api/v1/contacts/{contact_id}/clicks"


class ContactEndpoints:
    def __init__(self, ctx: ApiContext, queries: AnalyticsQueries) -> None:
        self.ctx = ctx
        self.queries = queries

    def routes(self) -> list[Route]:
        return [label_route(PATH, "contact_id", get=self.clicks)]

    async def clicks(self, request: Request) -> Response:
        tenant = tenant_of(request)
        limit = page_limit(request.query_params)
        before = click_cursor(request.query_params)
        contact_id = contact_id_of(request)
        clicks, following = await asyncio.to_thread(
            self.queries.contact_log, tenant.id, contact_id, limit, before
        )
        funnel = await asyncio.to_thread(contact_funnel, self.queries.client, tenant.id, contact_id)
        links: dict[str, Link] = {}
        if clicks:
            link_ids = sorted({click["link_id"] for click in clicks})
            links = {link.id: link for link in await self.ctx.store.get_links(tenant.id, link_ids)}
        items = []
        for click in clicks:
            link = links.get(click["link_id"])
            items.append(
                ContactClick(
                    id=click["id"],
                    ts=click["ts"],
                    kind=click["kind"],
                    link=None if link is None else link_ref(link, self.ctx.settings),
                    campaign=click["campaign"],
                    country=click["country"],
                    city=click["city"],
                    device=click["device"],
                    browser=click["browser"],
                    os=click["os"],
                    referrer=click["referrer"],
                    bot_reason=click["bot_reason"],
                )
            )
        return json_response(
            ContactClickList(
                contact_id=request.path_params["contact_id"],
                items=items,
                next_cursor=None if following is None else encode_keyset(following),
                **msgspec.structs.asdict(funnel),
            )
        )

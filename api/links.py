"""Link management endpoints: create, list, read, change and delete a tenant's links."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.bodies.links import Link as LinkBody
from api.bodies.links import LinkList
from api.context import ApiContext
from api.errors import ApiError
from api.link_input import link_patch, new_link, refuse_loops, sets_password
from api.listing import encode_cursor, is_id, link_query
from api.responses import json_response
from api.routing import resource
from api.serialize import link_body
from api.service_hosts import ServiceHosts
from api.validation import read_object
from smartlinks.models import Link, LinkPatch, utcnow
from smartlinks.store.base import CodeTaken
from smartlinks.store.domain_store import UnknownDomain

PREFIX = "/api/v1/links"


class LinkEndpoints:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.service = ServiceHosts(ctx.settings.base_url, ctx.store.domains.every)

    def routes(self) -> list[Route]:
        return [
            resource(PREFIX, get=self.list_links, post=self.create_link),
            resource(PREFIX + "/{id}", get=self.get_link, patch=self.patch_link, delete=self.delete_link),
        ]

    async def _render(self, tenant_id: str, links: Sequence[Link], now: datetime) -> list[LinkBody]:
        counts = (
            await self.ctx.clicks.lifetime_clicks(tenant_id, [link.id for link in links]) if links else {}
        )
        return [link_body(link, self.ctx.settings, counts.get(link.id, 0), now) for link in links]

    async def link_of(self, request: Request) -> Link:
        """The link the path names, if it is the tenant's; else 404."""
        link_id: str = request.path_params["id"]
        link = await self.ctx.store.get_link(tenant_of(request).id, link_id) if is_id(link_id) else None
        if link is None:
            raise _not_found()
        return link

    async def create_link(self, request: Request) -> Response:
        tenant = tenant_of(request)
        now = utcnow()
        body = await read_object(request)
        # A password is hashed slowly on purpose: off the event loop.
        new = (
            await asyncio.to_thread(new_link, body, tenant, now)
            if sets_password(body)
            else new_link(body, tenant, now)
        )
        refuse_loops(new, await self.service.current())
        try:
            link = await self.ctx.store.create_link(new)
        except CodeTaken:
            raise ApiError(409, "code_taken", f"code {new.code!r} is already taken.", field="code") from None
        except UnknownDomain:
            raise unknown_domain(new.domain) from None
        await self.ctx.deliver_changes()
        return json_response(
            link_body(link, self.ctx.settings, 0, now),
            status=201,
            headers={"Location": f"{PREFIX}/{link.id}"},
        )

    async def list_links(self, request: Request) -> Response:
        tenant = tenant_of(request)
        page = await self.ctx.store.list_links(link_query(request.query_params, tenant.id))
        items = await self._render(tenant.id, page.items, utcnow())
        cursor = None if page.next_after_id is None else encode_cursor(page.next_after_id)
        return json_response(LinkList(items, cursor))

    async def get_link(self, request: Request) -> Response:
        link = await self.link_of(request)
        [body] = await self._render(link.tenant_id, [link], utcnow())
        return json_response(body)

    async def patch_link(self, request: Request) -> Response:
        tenant = tenant_of(request)
        link = await self.link_of(request)
        sent = await read_object(request)
        patch = (
            await asyncio.to_thread(link_patch, sent, utcnow())
            if sets_password(sent)
            else link_patch(sent, utcnow())
        )
        refuse_loops(patch, await self.service.current())
        if patch == LinkPatch():  # nothing sent: no write, no change event
            [body] = await self._render(tenant.id, [link], utcnow())
            return json_response(body)
        updated = await self.ctx.store.update_link(tenant.id, link.id, patch)
        if updated is None:  # deleted between the read and the write
            raise _not_found()
        await self.ctx.deliver_changes()
        [body] = await self._render(tenant.id, [updated], utcnow())
        return json_response(body)

    async def delete_link(self, request: Request) -> Response:
        tenant = tenant_of(request)
        link_id: str = request.path_params["id"]
        deleted = await self.ctx.store.delete_link(tenant.id, link_id) if is_id(link_id) else None
        if deleted is None:
            raise _not_found()
        await self.ctx.deliver_changes()
        return Response(status_code=204)


def unknown_domain(host: str | None) -> ApiError:
    return ApiError(422, "unknown_domain", f"{host!r} is not one of your domains.", field="domain")


def _not_found() -> ApiError:
    return ApiError(404, "link_not_found", "No link with this id.", field="id")

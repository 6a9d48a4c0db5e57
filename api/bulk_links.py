"""``POST /api/v1/links/bulk``: up to 10,000 links in one request, for per-contact links of
a campaign. Each item is the body of a single create and gets its own result, in order:
one bad item does not fail the others. All items are written in one transaction, which
is what makes thousands per second possible (and an Idempotency-Key retry exact)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.bodies.bulk import MAX_ITEMS, BulkCreated, BulkCreateResult, BulkFailed, ItemError
from api.bodies.bulk import BulkCreate as BulkBody
from api.bodies.reading import decode
from api.context import ApiContext
from api.errors import ApiError
from api.idempotency import idempotency_key, replay, request_hash
from api.link_input import new_link, refuse_loops, sets_password
from api.links import unknown_domain
from api.routing import resource
from api.serialize import link_body
from api.service_hosts import ServiceHosts, ServiceOrigins
from api.validation import read_object
from smartlinks.models import Link, NewLink, Tenant, utcnow
from smartlinks.store.base import CodeTaken, IdempotencyConflict, IdempotentRequest
from smartlinks.store.domain_store import UnknownDomain

PATH = "/api/v1/links/bulk"
MAX_BULK_BODY = 16 << 20  # 10,000 items with URLs of a few hundred characters fit


def bulk_routes(ctx: ApiContext) -> list[Route]:
    return [resource(PATH, post=BulkCreate(ctx).create)]


class BulkCreate:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.service = ServiceHosts(ctx.settings.base_url, ctx.store.domains.every)

    async def create(self, request: Request) -> Response:
        tenant = tenant_of(request)
        key = idempotency_key(request)
        body = await read_object(request, MAX_BULK_BODY)
        if key is not None and (stored := await self.ctx.store.stored_response(tenant.id, key)):
            return replay(stored, request_hash(body))
        items = _items(body)
        now = utcnow()
        # Passwords are hashed slowly on purpose (~30 ms each): then off the event loop.
        if any(sets_password(item) for item in items):
            checked = await asyncio.to_thread(_checked, items, tenant, now)
        else:
            checked = _checked(items, tenant, now)
        checked = await _on_known_domains(self.ctx, tenant.id, checked)
        checked = _without_loops(checked, await self.service.current())
        respond = _Responder(checked, self.ctx, now)
        news = [item for item in checked if isinstance(item, NewLink)]
        idempotent = None if key is None else IdempotentRequest(key, request_hash(body), 200, respond)
        try:
            results = await self.ctx.store.create_links(tenant.id, news, idempotent)
        except IdempotencyConflict as conflict:  # the same key, committed a moment ago
            return replay(conflict.stored, request_hash(body))
        except UnknownDomain as exc:  # removed since it was checked above
            raise unknown_domain(exc.args[0]) from None
        await self.ctx.deliver_changes()
        return Response(respond.body or respond(results), media_type="application/json")


def _checked(items: list[Any], tenant: Tenant, now: datetime) -> list[NewLink | ApiError]:
    """Each item as the link it asks for, or the error it earns."""
    checked: list[NewLink | ApiError] = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, dict):
                raise ApiError(422, "invalid_type", "An item must be a JSON object.", f"items[{index}]")
            checked.append(new_link(item, tenant, now))
        except ApiError as exc:
            checked.append(exc)
    return checked


def _without_loops(checked: list[NewLink | ApiError], service: ServiceOrigins) -> list[NewLink | ApiError]:
    """Each item whose destination leads back to the service becomes its own redirect_loop."""
    kept: list[NewLink | ApiError] = []
    for item in checked:
        try:
            if isinstance(item, NewLink):
                refuse_loops(item, service)
            kept.append(item)
        except ApiError as exc:
            kept.append(exc)
    return kept


async def _on_known_domains(
    ctx: ApiContext, tenant_id: str, checked: list[NewLink | ApiError]
) -> list[NewLink | ApiError]:
    """Each item on a domain the tenant does not have becomes its own unknown_domain error
    (one read of the tenant's domains, only when an item names one)."""
    if not any(isinstance(item, NewLink) and item.domain for item in checked):
        return checked
    hosts = await ctx.store.domains.hosts(tenant_id)
    return [
        unknown_domain(item.domain)
        if isinstance(item, NewLink) and item.domain and item.domain not in hosts
        else item
        for item in checked
    ]


def _items(body: dict[str, Any]) -> list[Any]:
    # items left out is refused as the wrong type, as it always was (not missing_field).
    items = decode({**body, "items": body.get("items")}, BulkBody).items
    if not items:
        raise ApiError(422, "no_items", "items is empty.", field="items")
    if len(items) > MAX_ITEMS:
        raise ApiError(422, "too_many_items", f"At most {MAX_ITEMS} items per request.", field="items")
    return items


class _Responder:
    """Builds the response body from the store's results (the store calls it inside the
    write's transaction when the request is idempotent, to keep the body with the links)."""

    def __init__(self, checked: Sequence[NewLink | ApiError], ctx: ApiContext, now: Any) -> None:
        self.checked = checked
        self.ctx = ctx
        self.now = now
        self.body: bytes | None = None

    def __call__(self, results: Sequence[Link | CodeTaken]) -> bytes:
        created = iter(results)
        items: list[BulkCreated | BulkFailed] = []
        for index, item in enumerate(self.checked):
            outcome = item if isinstance(item, ApiError) else next(created)
            if isinstance(outcome, Link):
                items.append(BulkCreated(index, 201, link_body(outcome, self.ctx.settings, 0, self.now)))
                continue
            if isinstance(outcome, CodeTaken):
                outcome = ApiError(409, "code_taken", f"code {outcome.args[0]!r} is already taken.", "code")
            error = ItemError(outcome.code, outcome.message, outcome.field)
            items.append(BulkFailed(index, outcome.status, error))
        failed = sum(1 for item in items if isinstance(item, BulkFailed))
        self.body = msgspec.json.encode(BulkCreateResult(items, len(items) - failed, failed))
        return self.body

"""Webhooks: a tenant's webhooks (create, list, read, change, delete) and the log of their
deliveries. A webhook hears ``link.clicked``, ``conversion.recorded`` or both (``events``;
``link.clicked`` when it names none).

The signing secret is in the answer to the create, and nowhere after. A URL must be
http(s) and, unless the deployment allows it (``SMARTLINKS_WEBHOOK_ALLOW_PRIVATE``),
resolve to public addresses only (``smartlinks.netguard``); the delivery worker checks
again before every attempt.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import msgspec
from msgspec import UNSET
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.bodies.reading import decode
from api.bodies.webhooks import Webhook as WebhookBody
from api.bodies.webhooks import (
    WebhookAttempt,
    WebhookCreate,
    WebhookCreated,
    WebhookDelivery,
    WebhookDeliveryList,
    WebhookList,
)
from api.bodies.webhooks import WebhookPatch as WebhookPatchBody
from api.context import ApiContext
from api.errors import ApiError
from api.listing import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor, is_id
from api.responses import json_response
from api.routing import resource
from api.serialize import timestamp
from api.validation import read_object, wrong_type
from smartlinks import netguard
from smartlinks.models import rfc3339
from smartlinks.webhooks import (
    DEFAULT_EVENTS,
    EVENTS,
    MAX_WEBHOOKS_PER_TENANT,
    Delivery,
    DeliveryAttempt,
    NewWebhook,
    Webhook,
    WebhookLimitReached,
    WebhookPatch,
)

PATH = "/api/v1/webhooks"


def webhook_body(hook: Webhook) -> WebhookBody:
    return WebhookBody(
        id=hook.id,
        url=hook.url,
        events=list(hook.events),
        campaign=hook.campaign,
        link_id=hook.link_id,
        include_bots=hook.include_bots,
        enabled=hook.enabled,
        disabled_reason=hook.disabled_reason,
        created_at=rfc3339(hook.created_at),
        updated_at=rfc3339(hook.updated_at),
    )


def attempt_body(attempt: DeliveryAttempt) -> WebhookAttempt:
    return WebhookAttempt(
        at=rfc3339(attempt.at),
        status_code=attempt.status_code,
        error=attempt.error,
        body=attempt.body,
        duration_ms=attempt.duration_ms,
    )


def delivery_body(delivery: Delivery) -> WebhookDelivery:
    last = delivery.last_response
    return WebhookDelivery(
        id=delivery.id,
        event_id=delivery.event_id,
        type=delivery.type,
        status=delivery.status,
        attempts=delivery.attempts,
        created_at=rfc3339(delivery.created_at),
        next_attempt_at=timestamp(delivery.next_attempt_at),
        delivered_at=timestamp(delivery.delivered_at),
        last_response=None if last is None else attempt_body(last),
        attempt_log=[attempt_body(attempt) for attempt in delivery.attempt_log],
    )


class WebhookEndpoints:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.store = ctx.store.webhooks

    def routes(self) -> list[Route]:
        one = {"get": self.get_webhook, "patch": self.patch_webhook, "delete": self.delete_webhook}
        return [
            resource(PATH, get=self.list_webhooks, post=self.create_webhook),
            resource(PATH + "/{id}", **one),
            resource(PATH + "/{id}/deliveries", get=self.list_deliveries),
        ]

    # -- fields -----------------------------------------------------------------------

    async def _url(self, value: str) -> str:
        url = value.strip()
        try:
            await netguard.check(url, self.ctx.settings.webhook_allow_private)
        except netguard.ForbiddenTarget as exc:
            raise ApiError(
                422,
                "webhook_url_forbidden",
                f"url is refused: {exc}. Webhooks go to public addresses only.",
                field="url",
            ) from None
        except netguard.InvalidTarget as exc:
            raise ApiError(422, "invalid_webhook_url", f"url is refused: {exc}.", field="url") from None
        return url

    @staticmethod
    def _events(value: list[Any]) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(event, str) for event in value):
            raise wrong_type("events", "an array of strings", value)
        unknown = [event for event in value if event not in EVENTS]
        if unknown or not value:
            raise ApiError(
                422,
                "invalid_event",
                f"events must list one or more of {', '.join(EVENTS)}"
                + (f"; {unknown[0]!r} is not one." if unknown else "."),
                field="events",
            )
        return tuple(event for event in EVENTS if event in value)

    async def _link_id(self, tenant_id: str, value: str | None) -> str | None:
        if value is None:
            return None
        if not is_id(value) or await self.ctx.store.get_link(tenant_id, value) is None:
            raise ApiError(422, "link_not_found", "link_id is not a link of this tenant.", field="link_id")
        return value

    async def webhook_of(self, request: Request) -> Webhook:
        webhook_id: str = request.path_params["id"]
        tenant = tenant_of(request)
        hook = await self.store.get_webhook(tenant.id, webhook_id) if is_id(webhook_id) else None
        if hook is None:
            raise ApiError(404, "webhook_not_found", "No webhook with this id.", field="id")
        return hook

    # -- endpoints --------------------------------------------------------------------

    async def create_webhook(self, request: Request) -> Response:
        tenant = tenant_of(request)
        sent = decode(await read_object(request), WebhookCreate)
        new = NewWebhook(
            tenant_id=tenant.id,
            url=await self._url(sent.url),
            events=DEFAULT_EVENTS if sent.events is UNSET else self._events(sent.events),
            campaign=sent.campaign,
            link_id=await self._link_id(tenant.id, sent.link_id),
            include_bots=sent.include_bots,
        )
        try:
            hook = await self.store.create_webhook(new, MAX_WEBHOOKS_PER_TENANT)
        except WebhookLimitReached:
            raise ApiError(
                409,
                "too_many_webhooks",
                f"A tenant may have at most {MAX_WEBHOOKS_PER_TENANT} webhooks; delete one first.",
            ) from None
        # The only time the secret is shown.
        created = WebhookCreated(**msgspec.structs.asdict(webhook_body(hook)), secret=hook.secret)
        return json_response(created, status=201, headers={"Location": f"{PATH}/{hook.id}"})

    async def list_webhooks(self, request: Request) -> Response:
        hooks = await self.store.list_webhooks(tenant_of(request).id)
        return json_response(WebhookList([webhook_body(hook) for hook in hooks]))

    async def get_webhook(self, request: Request) -> Response:
        return json_response(webhook_body(await self.webhook_of(request)))

    async def patch_webhook(self, request: Request) -> Response:
        hook = await self.webhook_of(request)
        sent = decode(await read_object(request), WebhookPatchBody)
        patch = WebhookPatch()
        if sent.url is not UNSET:
            patch = replace(patch, url=await self._url(sent.url))
        if sent.events is not UNSET:
            patch = replace(patch, events=self._events(sent.events))
        if sent.campaign is not UNSET:
            patch = replace(patch, campaign=sent.campaign)
        if sent.link_id is not UNSET:
            patch = replace(patch, link_id=await self._link_id(hook.tenant_id, sent.link_id))
        if sent.include_bots is not UNSET:
            patch = replace(patch, include_bots=sent.include_bots)
        if sent.enabled is not UNSET:
            patch = replace(patch, enabled=sent.enabled)
        if patch == WebhookPatch():
            return json_response(webhook_body(hook))
        updated = await self.store.update_webhook(hook.tenant_id, hook.id, patch)
        if updated is None:  # deleted between the read and the write
            raise ApiError(404, "webhook_not_found", "No webhook with this id.", field="id")
        return json_response(webhook_body(updated))

    async def delete_webhook(self, request: Request) -> Response:
        hook = await self.webhook_of(request)
        await self.store.delete_webhook(hook.tenant_id, hook.id)
        return Response(status_code=204)

    async def list_deliveries(self, request: Request) -> Response:
        hook = await self.webhook_of(request)
        limit, after_id = _page(request.query_params)
        page = await self.store.list_deliveries(hook.tenant_id, hook.id, limit, after_id)
        return json_response(
            WebhookDeliveryList(
                items=[delivery_body(delivery) for delivery in page.items],
                next_cursor=None if page.next_after_id is None else encode_cursor(page.next_after_id),
            )
        )


def _page(params: QueryParams) -> tuple[int, str | None]:
    limit = DEFAULT_LIMIT
    if raw := params.get("limit"):
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and 1 <= int(raw) <= MAX_LIMIT):
            raise ApiError(
                400, "invalid_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.", field="limit"
            )
        limit = int(raw)
    cursor = params.get("cursor") or None
    return limit, None if cursor is None else decode_cursor(cursor)


def webhook_routes(ctx: ApiContext) -> list[Route]:
    return WebhookEndpoints(ctx).routes()

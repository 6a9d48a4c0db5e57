"""``POST /api/v1/messages/rewrite``: a campaign message with every http(s) URL replaced by
a tracked short link of the tenant, and everything else left exactly as it was.

One link per distinct destination per campaign and contact, reused on repeat calls (so
sending the same message to a contact twice does not double their links); URLs that lead
to this service (our short links, on its public host or any tenant's own domain: a link
to them would be a redirect loop), and text that only looks like a URL, are left alone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.bodies.bulk import ItemError
from api.bodies.messages import (
    MAX_MESSAGES,
    MAX_URLS,
    MessageFailed,
    MessageRewritten,
    MessagesToRewrite,
    MessageToRewrite,
    RewrittenLink,
    RewrittenMessage,
    RewrittenMessages,
)
from api.bodies.reading import decode
from api.context import ApiContext
from api.errors import ApiError
from api.message_urls import FoundURL, find_urls
from api.responses import json_response
from api.routing import resource
from api.serialize import link_body, link_short_url
from api.service_hosts import ServiceHosts, ServiceOrigins
from api.validation import read_object
from smartlinks.models import Link, Tenant, from_ms, to_ms, utcnow
from smartlinks.store.base import LinksWanted
from smartlinks.urls import InvalidURL, validate_destination

PATH = "/api/v1/messages/rewrite"
MAX_BATCH_BODY = 16 << 20  # 10,000 messages of a few hundred characters fit


def _to_the_ms(moment: datetime) -> datetime:
    # As the store keeps created_at: a link made within this millisecond is not older.
    return from_ms(to_ms(moment))


def message_routes(ctx: ApiContext) -> list[Route]:
    return [resource(PATH, post=MessageRewriter(ctx).rewrite)]


@dataclass(frozen=True, slots=True)
class _Plan:
    """A message checked, its URLs found: what rewriting it needs from the store."""

    text: str
    found: list[tuple[FoundURL, str]]  # each URL to replace, with its destination
    wanted: LinksWanted


class MessageRewriter:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        # A rewrite is a hot path of its own (a campaign sends one message per recipient),
        # and a domain is added long before its links are sent: read at most once a second.
        self.service = ServiceHosts(ctx.settings.base_url, ctx.store.domains.every, fresh_for=1.0)

    async def rewrite(self, request: Request) -> Response:
        tenant = tenant_of(request)
        body = await read_object(request, MAX_BATCH_BODY)
        if "messages" in body:
            return json_response(await self._rewrite_batch(tenant, body))
        plan = self._plan(body, await self.service.current())
        started = _to_the_ms(utcnow())
        links = await self.ctx.store.reuse_or_create_links(
            tenant.id, plan.wanted.destinations, plan.wanted.campaign, plan.wanted.contact_id,
            tenant.conversion_tracking,
        )  # fmt: skip
        await self.ctx.deliver_changes()
        counts = await self._lifetime_clicks(tenant.id, links, started)
        return json_response(self._rewritten(plan, links, counts, utcnow()))

    async def _rewrite_batch(self, tenant: Tenant, body: dict[str, Any]) -> RewrittenMessages:
        """Every message of a campaign's batch in one store transaction."""
        items = decode(body, MessagesToRewrite).messages
        if not items:
            raise ApiError(422, "no_items", "messages is empty.", field="messages")
        if len(items) > MAX_MESSAGES:
            raise ApiError(422, "too_many_items", f"At most {MAX_MESSAGES} messages a request.", "messages")
        plans: list[_Plan | ApiError] = []
        service = await self.service.current()
        for index, item in enumerate(items):
            try:
                if not isinstance(item, dict):
                    raise ApiError(
                        422, "invalid_type", "A message must be a JSON object.", f"messages[{index}]"
                    )
                plans.append(self._plan(item, service))
            except ApiError as exc:
                plans.append(exc)
        good = [plan for plan in plans if isinstance(plan, _Plan)]
        started = _to_the_ms(utcnow())
        links = await self.ctx.store.reuse_or_create_many(
            tenant.id, [plan.wanted for plan in good], tenant.conversion_tracking
        )
        await self.ctx.deliver_changes()
        counts = await self._lifetime_clicks(tenant.id, [link for each in links for link in each], started)
        now, made = utcnow(), iter(links)
        results: list[MessageRewritten | MessageFailed] = []
        for index, plan in enumerate(plans):
            if isinstance(plan, ApiError):
                error = ItemError(plan.code, plan.message, plan.field)
                results.append(MessageFailed(index=index, status=plan.status, error=error))
                continue
            done = self._rewritten(plan, next(made), counts, now)
            results.append(MessageRewritten(done.text, done.links, index=index, status=200))
        failed = len(plans) - len(good)
        return RewrittenMessages(results, rewritten=len(good), failed=failed)

    def _plan(self, body: dict[str, Any], service: ServiceOrigins) -> _Plan:
        sent = decode(body, MessageToRewrite)
        found = [
            (place, destination)
            for place in find_urls(sent.text)
            if (destination := self._tracked(place, service))
        ]
        destinations = list(dict.fromkeys(destination for _, destination in found))
        if len(destinations) > MAX_URLS:
            raise ApiError(422, "too_many_urls", f"At most {MAX_URLS} distinct URLs per message.", "text")
        return _Plan(sent.text, found, LinksWanted(destinations, sent.campaign, sent.contact_id))

    async def _lifetime_clicks(
        self, tenant_id: str, links: Sequence[Link], started: datetime
    ) -> dict[str, int]:
        """The clicks of the links used; a link made by this request has none, so only the
        reused ones are asked for (a ClickHouse query a message would otherwise wait for)."""
        reused = list({link.id for link in links if link.created_at < started})
        return await self.ctx.clicks.lifetime_clicks(tenant_id, reused) if reused else {}

    def _rewritten(
        self, plan: _Plan, links: Sequence[Link], counts: Mapping[str, int], now: datetime
    ) -> RewrittenMessage:
        by_destination = dict(zip(plan.wanted.destinations, links, strict=True))
        pieces: list[str] = []
        done = 0
        for place, destination in plan.found:
            short = link_short_url(by_destination[destination], self.ctx.settings)
            pieces += [plan.text[done : place.start], short]
            done = place.end
        pieces.append(plan.text[done:])
        first_seen = {destination: place.url for place, destination in reversed(plan.found)}
        return RewrittenMessage(
            text="".join(pieces),
            links=[
                RewrittenLink(
                    url=first_seen[destination],
                    link=link_body(link, self.ctx.settings, counts.get(link.id, 0), now),
                )
                for destination, link in by_destination.items()
            ],
        )

    def _tracked(self, place: FoundURL, service: ServiceOrigins) -> str | None:
        """The destination to track for a URL in the text, or None to leave it as it is."""
        try:
            destination = validate_destination(place.url)
        except InvalidURL:
            return None  # only looks like a URL ("https://-"): not ours to change
        return None if service.covers(destination) else destination

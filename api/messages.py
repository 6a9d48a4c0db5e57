"""``POST /api/v1/messages/rewrite``: a campaign message with every http(s) URL replaced by
a tracked short link of the tenant, and everything else left exactly as it was.

One link per distinct destination per campaign and contact, reused on repeat calls (so
sending the same message to a contact twice does not double their links); URLs that are
already our short links, and text that only looks like a URL, are left alone."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.bodies.messages import MAX_URLS, MessageToRewrite, RewrittenLink, RewrittenMessage
from api.bodies.reading import decode
from api.context import ApiContext
from api.errors import ApiError
from api.message_urls import FoundURL, find_urls
from api.responses import json_response
from api.routing import resource
from api.serialize import link_body
from api.validation import read_object
from smartlinks.codes import is_possible_code, short_url
from smartlinks.models import utcnow
from smartlinks.urls import InvalidURL, validate_destination

PATH = "/api/v1/messages/rewrite"


def message_routes(ctx: ApiContext) -> list[Route]:
    return [resource(PATH, post=MessageRewriter(ctx).rewrite)]


class MessageRewriter:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        base = urlsplit(ctx.settings.base_url)
        self._short_origin = (base.scheme.lower(), base.netloc.lower(), base.path.rstrip("/"))

    async def rewrite(self, request: Request) -> Response:
        tenant = tenant_of(request)
        body = await read_object(request)
        if body.get("text", 0) is None:  # a null text is as missing as one left out
            raise ApiError(422, "missing_field", "text is required.", field="text")
        sent = decode(body, MessageToRewrite)
        message, campaign, contact_id = sent.text, sent.campaign, sent.contact_id
        found = [
            (place, destination) for place in find_urls(message) if (destination := self._tracked(place))
        ]
        destinations = list(dict.fromkeys(destination for _, destination in found))
        if len(destinations) > MAX_URLS:
            raise ApiError(422, "too_many_urls", f"At most {MAX_URLS} distinct URLs per message.", "text")
        links = (
            await self.ctx.store.reuse_or_create_links(
                tenant.id, destinations, campaign, contact_id, tenant.conversion_tracking
            )
            if destinations
            else []
        )
        await self.ctx.deliver_changes()
        by_destination = dict(zip(destinations, links, strict=True))
        pieces: list[str] = []
        done = 0
        for place, destination in found:
            pieces += [message[done : place.start], self._short_url(by_destination[destination].code)]
            done = place.end
        pieces.append(message[done:])
        now = utcnow()
        counts = (
            await self.ctx.clicks.lifetime_clicks(tenant.id, [link.id for link in links]) if links else {}
        )
        first_seen = {destination: place.url for place, destination in reversed(found)}
        return json_response(
            RewrittenMessage(
                text="".join(pieces),
                links=[
                    RewrittenLink(
                        url=first_seen[destination],
                        link=link_body(link, self.ctx.settings, counts.get(link.id, 0), now),
                    )
                    for destination, link in by_destination.items()
                ],
            )
        )

    def _tracked(self, place: FoundURL) -> str | None:
        """The destination to track for a URL in the text, or None to leave it as it is."""
        try:
            destination = validate_destination(place.url)
        except InvalidURL:
            return None  # only looks like a URL ("https://-"): not ours to change
        return None if self._is_short_link(destination) else destination

    def _is_short_link(self, url: str) -> bool:
        parts = urlsplit(url)
        scheme, netloc, prefix = self._short_origin
        if (parts.scheme.lower(), parts.netloc.lower()) != (scheme, netloc):
            return False
        path = parts.path
        return path.startswith(prefix + "/") and is_possible_code(path[len(prefix) + 1 :])

    def _short_url(self, code: str) -> str:
        return short_url(self.ctx.settings.base_url, code)

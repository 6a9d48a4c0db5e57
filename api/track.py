"""``POST /api/v1/track/conversion``: one conversion, sent by a web page with a publishable
key (``slp_...``), for a site with no server of its own to report it (a server sends
``POST /api/v1/events`` with its secret key instead).

A page reads the click id (``sl_click``) from its URL and sends it back with the
conversion, by ``fetch`` (``keepalive``) or by ``navigator.sendBeacon``. A beacon cannot set
headers and sends its string body as ``text/plain``, so the key may ride in the body
(``key``) and a ``text/plain`` body is read as JSON here.

This path is public to the API's authentication (``api.auth``): the key is checked here,
and no cookie is read, so neither the dashboard's session nor its CSRF rule applies. CORS
answers any origin with ``*``: the key is public by design and the only credential, and
with no cookie involved a credentialed answer would grant nothing more; ``*`` also lets a
cache keep one preflight for every site, with no ``Vary: Origin``.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import bearer_key
from api.bodies.funnel_events import ConversionBeacon as ConversionBeaconBody
from api.bodies.reading import decode
from api.context import ApiContext
from api.errors import ApiError
from api.funnel_events import BrowserClient, FunnelIngest
from api.responses import json_response
from api.routing import resource
from api.validation import read_object, wrong_type
from schemas.events import CONVERSION
from smartlinks.client_headers import MAX_USER_AGENT, ClientAddress
from smartlinks.models import Tenant

PATH = "/api/v1/track/conversion"
MAX_BODY = 16 << 10  # one conversion: a few hundred bytes
CORS_HEADERS = {"Access-Control-Allow-Origin": "*"}
PREFLIGHT_HEADERS = {
    **CORS_HEADERS,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "authorization, content-type",
    "Access-Control-Max-Age": "7200",  # Chromium's ceiling: one preflight per page per 2 h
}
_UNAUTHORIZED = "Send a publishable key (slp_...) as 'Authorization: Bearer <key>' or as the body's key."
_NOT_PUBLISHABLE = (
    "This takes a publishable key (slp_...): a secret key must not be in a web page."
    " A server reports conversions with POST /api/v1/events."
)


def track_routes(ctx: ApiContext) -> list[Route]:
    return [resource(PATH, post=ConversionBeacon(ctx).post, options=preflight)]


async def preflight(request: Request) -> Response:
    return Response(status_code=204, headers=PREFLIGHT_HEADERS)


class ConversionBeacon:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.ingest = FunnelIngest(ctx)
        self.client_address = ClientAddress(ctx.settings.trusted_proxies)

    async def post(self, request: Request) -> Response:
        # Every answer, refusals included, carries CORS: the page must see why it failed.
        try:
            return await self._record(request)
        except ApiError as exc:
            return exc.response(CORS_HEADERS)

    async def _record(self, request: Request) -> Response:
        body = await read_object(request, MAX_BODY, also_as=("text/plain",))
        tenant = await self._tenant(request, body.get("key"))
        event = {name: value for name, value in body.items() if name != "key"}
        if event.get("type", CONVERSION) != CONVERSION:
            raise ApiError(422, "unknown_event_type", "Only a conversion can be sent here.", "type")
        # The body's shape holds whichever key authenticated: a key too long to be one is
        # refused here even when the header's key let the request in.
        decode(body, ConversionBeaconBody)
        result = await self.ingest.accept(
            tenant, [{**event, "type": CONVERSION}], browser=self._browser(request)
        )
        if result.errors:  # one event: refused as a whole, with the event's own reason
            [refusal] = result.errors
            raise ApiError(422, refusal.code, refusal.message, refusal.field)
        return json_response(result, headers=CORS_HEADERS)

    async def _tenant(self, request: Request, in_body: Any) -> Tenant:
        """The tenant of the publishable key in the header or else the body."""
        key = bearer_key(request.scope)
        if key is None and in_body is not None:
            if not isinstance(in_body, str):
                raise wrong_type("key", "a string", in_body)
            # Any text: one that is no key (too long, control characters) is unknown, 401.
            key = in_body.strip()
        holder = await self.ctx.store.key_holder(key) if key else None
        if holder is None:
            raise ApiError(401, "unauthorized", _UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
        if holder.kind != "publishable":
            raise ApiError(403, "key_not_allowed", _NOT_PUBLISHABLE)
        await self.ctx.store.record_key_use((holder.key_id,))  # once a minute at most
        return holder.tenant

    def _browser(self, request: Request) -> BrowserClient:
        """The visitor as the redirector sees one: the peer, or behind trusted proxies the
        address they forwarded, and the user agent, capped alike."""
        peer = request.client.host if request.client else ""
        forwarded = request.headers.getlist("x-forwarded-for")
        ip = self.client_address.resolve(peer, ", ".join(forwarded) if forwarded else None)
        return BrowserClient(ip, request.headers.get("user-agent", "")[:MAX_USER_AGENT])

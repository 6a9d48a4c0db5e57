"""Bearer API-key authentication, as pure ASGI middleware in front of every API route.

Secure by default: every path needs a key except the few named public ones, so a new
route cannot be forgotten. The tenant found for the key rides along in the ASGI scope.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response
from smartlinks.models import Tenant
from smartlinks.store.base import LinkStore

TENANT_KEY = "smartlinks.tenant"
# Real keys are "sl_" plus 43 letters and digits; anything far off that shape is refused
# without a store round trip.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_\-.~+/=]{8,256}")


def bearer_key(scope: Scope) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"authorization":
            scheme, _, key = value.decode("latin-1").strip().partition(" ")
            key = key.strip()
            if scheme.lower() == "bearer" and _KEY_SHAPE.fullmatch(key):
                return key
            return None
    return None


class BearerAuth:
    def __init__(self, app: ASGIApp, store: LinkStore, public_paths: Collection[str]) -> None:
        self.app = app
        self.store = store
        self.public_paths = frozenset(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public_paths:
            await self.app(scope, receive, send)
            return
        key = bearer_key(scope)
        tenant = None if key is None else await self.store.tenant_for_api_key(key)
        if tenant is None:
            response = error_response(
                401,
                "unauthorized",
                "Send a valid API key as 'Authorization: Bearer <key>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        scope[TENANT_KEY] = tenant
        await self.app(scope, receive, send)


def tenant_of(connection: HTTPConnection) -> Tenant:
    """The tenant whose key authenticated this request."""
    tenant = connection.scope.get(TENANT_KEY)
    if not isinstance(tenant, Tenant):
        raise RuntimeError("route is not behind BearerAuth")
    return tenant

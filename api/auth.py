"""Authentication in front of every API route, as pure ASGI middleware: an API key sent as
``Authorization: Bearer``, or the dashboard's session cookie.

Secure by default: every path needs one or the other except the few named public ones,
so a new route cannot be forgotten. The tenant found rides along in the ASGI scope.

The session cookie is what the dashboard holds after signing in with a key (the key
itself never reaches the page's scripts). It is stateless and signed with the
deployment's secret; it names the tenant and the key that signed in, and stops working
when that key is revoked or the session expires. A cookie-authenticated request that
changes anything must also carry the session's CSRF token in ``X-Smartlinks-CSRF`` and,
if it names an origin, come from this host: a cookie alone authorises only reads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import orjson
from starlette.requests import HTTPConnection, cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import error_response
from smartlinks.models import Tenant
from smartlinks.store.base import LinkStore

TENANT_KEY = "smartlinks.tenant"
SESSION_COOKIE = "smartlinks_session"
CSRF_HEADER = "X-Smartlinks-CSRF"
SESSION_LIFETIME = 12 * 3600  # seconds; signing in again is cheap, a stolen cookie ages out
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Real keys are "sl_" plus 43 letters and digits; anything far off that shape is refused
# without a store round trip.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_\-.~+/=]{8,256}")
_UNAUTHORIZED = (
    "Send a valid API key as 'Authorization: Bearer <key>' (or, from the dashboard, a live"
    f" session whose changes carry its {CSRF_HEADER} token)."
)
_COOKIE_SHAPE = re.compile(r"v1\.[A-Za-z0-9_-]{1,2048}\.[A-Za-z0-9_-]{43}")


def _header(scope: Scope, wanted: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == wanted:
            return value.decode("latin-1")
    return None


def bearer_key(scope: Scope) -> str | None:
    authorization = _header(scope, b"authorization")
    if authorization is None:
        return None
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    if scheme.lower() == "bearer" and _KEY_SHAPE.fullmatch(key):
        return key
    return None


def same_origin(scope: Scope) -> bool:
    """Whether the request's ``Origin`` (when a browser sent one) names this very host.

    Only host and port are compared: behind a TLS-terminating proxy the page is https
    while this server sees http."""
    origin = _header(scope, b"origin")
    if origin is None:
        return True  # not a browser, or a same-origin GET: nothing to judge
    host = _header(scope, b"host")
    _, separator, netloc = origin.partition("://")
    return bool(separator) and host is not None and netloc.lower() == host.lower()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class Session:
    tenant_id: str
    key_ids: tuple[str, ...]  # the key that signed in (more only if key prefixes collide)
    expires_at: int  # Unix seconds


class Sessions:
    """Issues and checks signed session cookies (``v1.<claims>.<HMAC-SHA256>``)."""

    def __init__(self, secret: Callable[[], bytes], lifetime: int = SESSION_LIFETIME) -> None:
        self._secret = secret  # read lazily: building the app must not touch the data dir
        self._keys: tuple[bytes, bytes] | None = None
        self.lifetime = lifetime

    def _derived(self) -> tuple[bytes, bytes]:
        if self._keys is None:
            secret = self._secret()
            self._keys = (
                hmac.digest(secret, b"smartlinks dashboard session v1", hashlib.sha256),
                hmac.digest(secret, b"smartlinks dashboard csrf v1", hashlib.sha256),
            )
        return self._keys

    def issue(self, tenant_id: str, key_ids: Sequence[str], now: float | None = None) -> str:
        expires_at = int(now if now is not None else time.time()) + self.lifetime
        claims = _b64(orjson.dumps({"t": tenant_id, "k": list(key_ids), "x": expires_at}))
        signature = hmac.digest(self._derived()[0], f"v1.{claims}".encode(), hashlib.sha256)
        return f"v1.{claims}.{_b64(signature)}"

    def read(self, cookie: str, now: float | None = None) -> Session | None:
        """The session a cookie holds, if it is ours, intact and not expired."""
        if not _COOKIE_SHAPE.fullmatch(cookie):
            return None
        signed, _, signature = cookie.rpartition(".")
        expected = hmac.digest(self._derived()[0], signed.encode(), hashlib.sha256)
        if not hmac.compare_digest(_b64(expected), signature):
            return None
        claims = orjson.loads(_unb64(signed[3:]))
        if claims["x"] <= (now if now is not None else time.time()):
            return None
        return Session(claims["t"], tuple(claims["k"]), claims["x"])

    def csrf_token(self, cookie: str) -> str:
        """The token a page must echo in ``X-Smartlinks-CSRF``, bound to this cookie."""
        return _b64(hmac.digest(self._derived()[1], cookie.encode(), hashlib.sha256))[:32]

    def check_csrf(self, scope: Scope, cookie: str) -> bool:
        sent = _header(scope, CSRF_HEADER.lower().encode())
        if sent is None or not same_origin(scope):
            return False
        return hmac.compare_digest(sent.encode("latin-1"), self.csrf_token(cookie).encode())

    async def tenant(self, store: LinkStore, session: Session) -> Tenant | None:
        """The session's tenant, while every key the session stands on is still active."""
        active = {key.id for key in await store.list_api_keys(session.tenant_id) if key.revoked_at is None}
        if not session.key_ids or not active.issuperset(session.key_ids):
            return None
        return await store.get_tenant(session.tenant_id)


def session_cookie(scope: Scope) -> str | None:
    cookies = _header(scope, b"cookie")
    return None if cookies is None else cookie_parser(cookies).get(SESSION_COOKIE)


class BearerAuth:
    def __init__(
        self,
        app: ASGIApp,
        store: LinkStore,
        public_paths: Collection[str],
        sessions: Sessions | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.public_paths = frozenset(public_paths)
        self.sessions = sessions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public_paths:
            await self.app(scope, receive, send)
            return
        tenant = await self._authenticate(scope)
        if tenant is None:
            response = error_response(
                401, "unauthorized", _UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"}
            )
            await response(scope, receive, send)
            return
        scope[TENANT_KEY] = tenant
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope) -> Tenant | None:
        # A request that sends a key is judged by that key alone, cookie or not.
        cookie = None
        if self.sessions is not None and _header(scope, b"authorization") is None:
            cookie = session_cookie(scope)
        if cookie is None or self.sessions is None:
            key = bearer_key(scope)
            return None if key is None else await self.store.tenant_for_api_key(key)
        session = self.sessions.read(cookie)
        if session is None:
            return None
        if scope["method"] not in SAFE_METHODS and not self.sessions.check_csrf(scope, cookie):
            return None
        return await self.sessions.tenant(self.store, session)


def tenant_of(connection: HTTPConnection) -> Tenant:
    """The tenant whose key (or dashboard session) authenticated this request."""
    tenant = connection.scope.get(TENANT_KEY)
    if not isinstance(tenant, Tenant):
        raise RuntimeError("route is not behind BearerAuth")
    return tenant

"""Authentication in front of every API route, as pure ASGI middleware: an API key sent as
``Authorization: Bearer``, or the dashboard's session cookie.

Secure by default: every path needs one or the other except the few named public ones,
so a new route cannot be forgotten. The tenant found rides along in the ASGI scope.

The session cookie is what the dashboard holds after signing in with a key (the key
itself never reaches the page's scripts). It is signed with the deployment's secret; it
names the tenant, the key that signed in and a random session id, and stops working when
that key is revoked, the session expires or it is signed out. Signing out is the one
thing kept on the server: the session id goes into the link store (``revoked_sessions``)
until the cookie would have expired, so every API process refuses it, after a restart too.
A cookie-authenticated request that changes anything must also carry the session's CSRF
token in ``X-Smartlinks-CSRF`` and, if it names an origin, come from this host: a cookie
alone authorises only reads, and a change without the token is a 403 ``csrf_failed``.

Only secret keys pass here. A publishable key (``slp_...``) is public by design, so it
opens nothing but ``POST /api/v1/track/conversion``, which is a public path that checks its
key itself (``api.track``); anywhere else it is a 403 ``key_not_allowed``.

A secret key's scope is checked here too, from what the key lookup already read (the key
cache holds it): a ``read_only`` key, or a session signed in with one, may GET and HEAD;
anything else is a 403 ``insufficient_scope``, before the route reads a body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from starlette.requests import HTTPConnection, cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import ApiError
from smartlinks.models import KeyScope, Tenant
from smartlinks.store.link_store import LinkStore

TENANT_KEY = "smartlinks.tenant"
SESSION_COOKIE = "smartlinks_session"
CSRF_HEADER = "X-Smartlinks-CSRF"
SESSION_LIFETIME = 12 * 3600  # seconds; signing in again is cheap, a stolen cookie ages out
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_METHODS = frozenset({"GET", "HEAD"})  # what a read-only key may send
# Real keys are "sl_" (or "slp_") plus 43 letters and digits; anything far off that shape is refused
# without a store round trip.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_\-.~+/=]{8,256}")
_UNAUTHORIZED = (
    "Send a valid API key as 'Authorization: Bearer <key>' (or, from the dashboard, a live session)."
)
_PUBLISHABLE_ONLY = (
    "A publishable key can only report conversions (POST /api/v1/track/conversion); this needs a secret key."
)
_READ_ONLY = (
    "This API key is read-only: it can read (GET, HEAD) but not change anything."
    " Use a key with the full scope for this."
)
_READ_ONLY_SESSION = (
    "This dashboard session was signed in with a read-only API key: it can look but not change"
    " anything. Sign in with a key with the full scope to make changes."
)
_CSRF_FAILED = (
    f"A change made with the dashboard's session must carry the session's {CSRF_HEADER} token"
    " and come from the dashboard's own origin."
)
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{22}")
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
class SignedIn:
    """Who a live session is, and what the key it signed in with may do."""

    tenant: Tenant
    scope: KeyScope


@dataclass(frozen=True, slots=True)
class Session:
    tenant_id: str
    key_ids: tuple[str, ...]  # the key that signed in (more only if key prefixes collide)
    expires_at: int  # Unix seconds
    id: str  # random: what signing out revokes, in the link store


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
        session_id = secrets.token_urlsafe(16)
        claims = _b64(orjson.dumps({"t": tenant_id, "k": list(key_ids), "x": expires_at, "s": session_id}))
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
        session_id = claims.get("s")
        if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
            return None  # signed before sessions had ids: it could not be signed out
        return Session(claims["t"], tuple(claims["k"]), claims["x"], session_id)

    def csrf_token(self, cookie: str) -> str:
        """The token a page must echo in ``X-Smartlinks-CSRF``, bound to this cookie."""
        return _b64(hmac.digest(self._derived()[1], cookie.encode(), hashlib.sha256))[:32]

    def check_csrf(self, scope: Scope, cookie: str) -> bool:
        sent = _header(scope, CSRF_HEADER.lower().encode())
        if sent is None or not same_origin(scope):
            return False
        return hmac.compare_digest(sent.encode("latin-1"), self.csrf_token(cookie).encode())

    async def signed_in(self, store: LinkStore, session: Session) -> SignedIn | None:
        """The session's tenant and scope, while every key the session stands on is still
        active and the session has not been signed out. Read-only if any of its keys is."""
        keys = await store.list_api_keys(session.tenant_id)
        active = {key.id: key.scope for key in keys if key.revoked_at is None}
        if not session.key_ids or not all(key_id in active for key_id in session.key_ids):
            return None
        if await store.is_session_revoked(session.id):
            return None
        tenant = await store.get_tenant(session.tenant_id)
        if tenant is None:
            return None
        scopes = {active[key_id] for key_id in session.key_ids}
        return SignedIn(tenant, "full" if scopes == {"full"} else "read_only")

    async def sign_out(self, store: LinkStore, session: Session) -> None:
        """End the session on the server: its cookie, kept or copied, no longer works."""
        await store.revoke_session(session.id, datetime.fromtimestamp(session.expires_at, UTC))


def _unauthorized() -> Response:
    return ApiError(401, "unauthorized", _UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"}).response()


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
        if isinstance(tenant, Response):
            await tenant(scope, receive, send)
            return
        scope[TENANT_KEY] = tenant
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope) -> Tenant | Response:
        """The request's tenant, or the refusal to answer with."""
        # A request that sends a key is judged by that key alone, cookie or not.
        cookie = None
        if self.sessions is not None and _header(scope, b"authorization") is None:
            cookie = session_cookie(scope)
        if cookie is None or self.sessions is None:
            key = bearer_key(scope)
            holder = None if key is None else await self.store.key_holder(key)
            if holder is None:
                return _unauthorized()
            if holder.kind != "secret":  # known, but it may not do this: 403, not 401
                return ApiError(403, "key_not_allowed", _PUBLISHABLE_ONLY).response()
            if holder.scope != "full" and scope["method"] not in READ_METHODS:
                return ApiError(403, "insufficient_scope", _READ_ONLY).response()
            await self.store.record_key_use((holder.key_id,))
            return holder.tenant
        session = self.sessions.read(cookie)
        found = None if session is None else await self.sessions.signed_in(self.store, session)
        if session is None or found is None:
            return _unauthorized()
        # Who is asking is known and signed in; what is missing is the proof that the
        # dashboard's own page asks, so this is a 403, and signing in again would not help.
        if scope["method"] not in SAFE_METHODS and not self.sessions.check_csrf(scope, cookie):
            return ApiError(403, "csrf_failed", _CSRF_FAILED).response()
        if found.scope != "full" and scope["method"] not in READ_METHODS:
            return ApiError(403, "insufficient_scope", _READ_ONLY_SESSION).response()
        await self.store.record_key_use(session.key_ids)
        return found.tenant


def tenant_of(connection: HTTPConnection) -> Tenant:
    """The tenant whose key (or dashboard session) authenticated this request."""
    tenant = connection.scope.get(TENANT_KEY)
    if not isinstance(tenant, Tenant):
        raise RuntimeError("route is not behind BearerAuth")
    return tenant

"""The dashboard under ``/dashboard``: the built single-page app (``api/dashboard_static/``,
made from ``dashboard/`` by ``make dashboard``), served with strict security headers, and
the session endpoints that trade an API key for an HttpOnly session cookie.

Everything the dashboard shows it reads through the public ``/api/v1``, authenticated by
that cookie (see ``api.auth``); nothing here reads links or clicks.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import SESSION_COOKIE, Sessions, SignedIn, same_origin, session_cookie
from api.bodies.dashboard import Session, SessionTenant, SignedOut, SignIn
from api.bodies.reading import decode
from api.context import ApiContext
from api.errors import EXCEPTION_HANDLERS, ApiError
from api.responses import json_response
from api.routing import resource
from api.validation import read_object
from smartlinks.models import KeyScope

PREFIX = "/dashboard"
STATIC_DIR = Path(__file__).parent / "dashboard_static"
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}  # names carry a content hash
_NO_STORE = {"Cache-Control": "no-store"}

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # "same-origin", not "no-referrer": with the latter a browser sends "Origin: null" on the
    # page's own POSTs, and the CSRF checks need the real origin.
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
)


class SecurityHeaders:
    """Adds ``SECURITY_HEADERS`` to every response of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class DashboardMount:
    """Sends ``/dashboard`` and everything below it to the dashboard, the rest on to the API.

    It sits in front of the API's authentication: dashboard pages are public (the page
    signs in by itself), and the API's route table stays exactly its documented routes."""

    def __init__(self, app: ASGIApp, dashboard: ASGIApp) -> None:
        self.app = app
        self.dashboard = dashboard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.dashboard(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _timestamp(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat().replace("+00:00", "Z")


def _is_https(request: Request) -> bool:
    """Whether the browser talks https to us, perhaps through a TLS-terminating proxy: its
    ``Origin`` says so even when this server sees plain http."""
    return request.url.scheme == "https" or request.headers.get("origin", "").startswith("https://")


def _cross_origin() -> ApiError:
    return ApiError(401, "unauthorized", "Sign in and out from the dashboard's own page.")


def create_dashboard(ctx: ApiContext, sessions: Sessions, static_dir: Path = STATIC_DIR) -> ASGIApp:
    def signed_in(who: SignedIn, cookie: str, key_ids: tuple[str, ...], expires_at: int) -> Session:
        return Session(
            signed_in=True,
            tenant=SessionTenant(id=who.tenant.id, name=who.tenant.name),
            key_ids=list(key_ids),
            csrf_token=sessions.csrf_token(cookie),
            expires_at=_timestamp(expires_at),
            scope=who.scope,
        )

    async def session_status(request: Request) -> Response:
        cookie = session_cookie(request.scope)
        session = None if cookie is None else sessions.read(cookie)
        who = None if session is None else await sessions.signed_in(ctx.store, session)
        if cookie is None or session is None or who is None:
            response = json_response(SignedOut(signed_in=False), headers=_NO_STORE)
            if cookie is not None:  # expired, revoked or forged: drop it
                response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
            return response
        return json_response(signed_in(who, cookie, session.key_ids, session.expires_at), headers=_NO_STORE)

    async def sign_in(request: Request) -> Response:
        if not same_origin(request.scope):
            raise _cross_origin()
        key = decode(await read_object(request), SignIn).key.strip()
        holder = await ctx.store.key_holder(key) if key else None
        if holder is None:
            raise ApiError(401, "unauthorized", "This API key is unknown or revoked.", field="key")
        if holder.kind != "secret":
            raise ApiError(
                403,
                "key_not_allowed",
                "Sign in with a secret key: a publishable key only reports conversions.",
                field="key",
            )
        tenant = holder.tenant
        # The store shows keys by prefix only; should two active keys share this key's
        # prefix, the session stands on both and ends when either is revoked.
        keys = await ctx.store.list_api_keys(tenant.id)
        signing = [k for k in keys if k.revoked_at is None and key.startswith(k.prefix)]
        key_ids = tuple(k.id for k in signing)
        scope: KeyScope = "full" if all(k.scope == "full" for k in signing) else "read_only"
        cookie = sessions.issue(tenant.id, key_ids)
        session = sessions.read(cookie)
        assert session is not None
        who = SignedIn(tenant, scope)
        response = json_response(signed_in(who, cookie, key_ids, session.expires_at), headers=_NO_STORE)
        response.set_cookie(
            SESSION_COOKIE,
            cookie,
            max_age=sessions.lifetime,
            path="/",
            secure=_is_https(request),
            httponly=True,
            samesite="strict",
        )
        return response

    async def sign_out(request: Request) -> Response:
        if not same_origin(request.scope):
            raise _cross_origin()
        cookie = session_cookie(request.scope)
        session = None if cookie is None else sessions.read(cookie)
        if session is not None:
            # Deleting the cookie only asks the browser to forget it; a copy of it (or a
            # browser that ignores the request) must find the session over as well.
            await sessions.sign_out(ctx.store, session)
        response = Response(status_code=204, headers=_NO_STORE)
        response.delete_cookie(SESSION_COOKIE, secure=_is_https(request), httponly=True, samesite="strict")
        return response

    def static_file(name: str, headers: dict[str, str]) -> Response:
        path = static_dir / name
        if not _FILE_NAME.fullmatch(path.name) or not path.is_file():
            raise HTTPException(404)
        return FileResponse(path, headers=headers)

    async def asset(request: Request) -> Response:
        name: str = request.path_params["name"]
        if not _FILE_NAME.fullmatch(name):
            raise HTTPException(404)
        return static_file(f"assets/{name}", _IMMUTABLE)

    async def page(request: Request) -> Response:
        """The app's one HTML page for every screen's path; the page routes by itself."""
        rest: str = request.path_params.get("rest", "")
        if "." in rest:  # a file at the top of the build (favicon.svg), or nothing
            if "/" in rest:
                raise HTTPException(404)
            return static_file(rest, {"Cache-Control": "public, max-age=3600"})
        index = static_dir / "index.html"
        if not index.is_file():
            return Response(
                "<!doctype html><title>Smart Links</title><p>The dashboard is not built: run"
                " <code>make dashboard</code>.",
                status_code=503,
                media_type="text/html",
            )
        return Response(index.read_bytes(), media_type="text/html", headers={"Cache-Control": "no-cache"})

    app = Starlette(
        routes=[
            resource(PREFIX + "/session", get=session_status, post=sign_in, delete=sign_out),
            resource(PREFIX + "/assets/{name}", get=asset),
            resource(PREFIX, get=page),
            resource(PREFIX + "/{rest:path}", get=page),
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.router.redirect_slashes = False
    return app

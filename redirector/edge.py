"""The redirect hot path: ``GET|HEAD /{code}`` as a plain ASGI callable (and ``POST /{code}``,
the password form of a link with a password: ``redirector.password_gate``).

Everything here runs on every click, so it parses only what it needs, allocates little,
logs nothing and never awaits the network on a cache hit: the code is looked up in memory,
the click event is appended to the edge log (one write per event-loop turn for all the
redirects of that turn), and only then is the response sent.
Anything that is not a redirect goes to the ``fallback`` app (health, metrics, 404 page).
A link with rules (max_clicks, targets, variants: ``redirector/link_rules.py``) is decided
from its cached rules; a plain link pays one ``is None`` test for all of them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from redirector import pages
from redirector.cache import LinkCache
from redirector.domains import KnownDomains, host_of
from redirector.link_rules import EdgeRules
from redirector.password_gate import PasswordGate
from redirector.query import merge_query
from schemas.events import ClickEvent
from smartlinks.client_headers import MAX_ACCEPT_LANGUAGE, MAX_REFERER, MAX_USER_AGENT, ClientAddress
from smartlinks.codes import is_possible_code, is_reserved
from smartlinks.domains import split_key
from smartlinks.eventlog.writer import EventLog
from smartlinks.ids import new_id
from smartlinks.models import ResolvedLink
from smartlinks.settings import Settings
from smartlinks.types import ASGIApp, Receive, Scope, Send
from smartlinks.visitor import COOKIE_MAX_AGE, COOKIE_NAME, valid_cookie, visitor_hash

_COOKIE_PREFIX = COOKIE_NAME + "="
_REDIRECT_HEADERS = (
    (b"cache-control", b"no-store"),  # so every repeat click reaches us and is counted
    (b"content-length", b"0"),
    (b"x-robots-tag", b"noindex"),  # a short link is not a page search engines should list
)
_FOUND = 302


@dataclass(slots=True)
class EdgeStats:
    redirects: int = 0
    not_found: int = 0
    gone: int = 0
    rejected: int = 0  # wrong methods


def _cookie_value(header: str) -> str | None:
    # A hand-rolled scan: SimpleCookie costs ~20 µs and we want one cookie only.
    for part in header.split(";"):
        part = part.strip()
        if part.startswith(_COOKIE_PREFIX):
            value = part[len(_COOKIE_PREFIX) :]
            return value if valid_cookie(value) else None
    return None


class RedirectEdge:
    def __init__(
        self,
        settings: Settings,
        cache: LinkCache,
        click_log: EventLog,
        visitor_key: bytes,
        fallback: ASGIApp,
        rules: EdgeRules,
        domains: KnownDomains | None = None,
    ) -> None:
        self.cache = cache
        self.rules = rules
        self.domains = domains or KnownDomains()
        self.click_log = click_log
        self.fallback = fallback
        self.stats = EdgeStats()
        self._visitor_key = visitor_key
        self._forward_query = settings.forward_query
        self._status = settings.redirect_status
        self._client = ClientAddress(settings.trusted_proxies)
        self._trust_forwarded = bool(settings.trusted_proxies)
        secure = "; Secure" if settings.base_url.startswith("https://") else ""
        self._cookie_suffix = f"; Max-Age={COOKIE_MAX_AGE}; Path=/; HttpOnly; SameSite=Lax{secure}"
        self.password_gate = PasswordGate(visitor_key, secure=bool(secure))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.fallback(scope, receive, send)
            return
        code = scope["path"][1:]
        # ``/{code}/`` is the same link (people and tools add the slash); the last character
        # is looked at only once the common case has failed.
        if not is_possible_code(code) and (code[-1:] != "/" or not is_possible_code(code := code[:-1])):
            await self.fallback(scope, receive, send)
            return
        if is_reserved(code):
            await self.fallback(scope, receive, send)
            return
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            if method == "POST":
                await self._post(scope, receive, send, code)
                return
            self.stats.rejected += 1
            await pages.send_page(send, 405, pages.METHOD_NOT_ALLOWED, method, [(b"allow", b"GET, HEAD")])
            return

        # While no tenant has a domain of its own, a redirect pays this truth test and nothing else.
        hosts = self.domains.hosts
        key = self._key(scope, code) if hosts else code
        found, link = self.cache.peek(key)
        if not found:
            link = await self.cache.get(key)
        if link is None:
            self.stats.not_found += 1
            if key is not code and (elsewhere := hosts.get(split_key(key)[0])) is not None:
                headers = [(b"location", elsewhere), *_REDIRECT_HEADERS]
                await send({"type": "http.response.start", "status": 302, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return
            await pages.send_page(send, 404, pages.NOT_FOUND, method)
            return
        now_ms = int(time.time() * 1000)
        if link.expires_at_ms is not None and link.expires_at_ms <= now_ms:
            await self._gone(send, method, link)
            return
        rules = link.rules
        if rules is not None:  # a plain link pays this one test for every rule
            # Used up: no password form (known without the store: redirector/click_budget.py).
            if rules.max_clicks is not None and self.rules.used_up(link):
                await self._gone(send, method, link)
                return
            password_hash = rules.password_hash
            if password_hash is not None and not self.password_gate.admits(scope, link, password_hash):
                await self.password_gate.show(send, method)
                return
        await self._redirect(scope, send, link, code, method, now_ms, self._status, None)

    def _key(self, scope: Scope, code: str) -> str:
        """The cache key of ``code`` as this request's Host names it: ``host/code`` on one of
        the tenants' own domains (smartlinks.domains.link_key), else the code itself."""
        host = host_of(scope["headers"])
        return host + "/" + code if host in self.domains.hosts else code

    async def _post(self, scope: Scope, receive: Receive, send: Send, code: str) -> None:
        """The password form's answer: the one POST a short code takes, on a link with a password."""
        link = await self.cache.get(self._key(scope, code) if self.domains.hosts else code)
        if link is None:
            self.stats.not_found += 1
            await pages.send_page(send, 404, pages.NOT_FOUND, "POST")
            return
        password_hash = link.rules.password_hash if link.rules is not None else None
        if password_hash is None:
            self.stats.rejected += 1
            await pages.send_page(send, 405, pages.METHOD_NOT_ALLOWED, "POST", [(b"allow", b"GET, HEAD")])
            return
        now_ms = int(time.time() * 1000)
        if link.expires_at_ms is not None and link.expires_at_ms <= now_ms:
            await self._gone(send, "POST", link)
            return
        cookie = await self.password_gate.check(
            scope, receive, send, link, password_hash, self._address(scope)
        )
        if cookie is not None:
            # 303 whatever the configured status: the browser must follow with a GET, and a
            # 307 or 308 would re-post the password to the destination. The click is the
            # visitor's GET of the link, so it is recorded as one.
            await self._redirect(scope, send, link, code, "GET", int(time.time() * 1000), 303, cookie)

    def _address(self, scope: Scope) -> str:
        client = scope.get("client")
        peer = client[0] if client else ""
        if self._trust_forwarded:
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    return self._client.resolve(peer, value.decode("latin-1"))
        return peer

    async def _redirect(
        self,
        scope: Scope,
        send: Send,
        link: ResolvedLink,
        code: str,
        method: Literal["GET", "HEAD"],
        now_ms: int,
        status: int,
        set_cookie: bytes | None,
    ) -> None:
        """The redirect and its click, recorded before the response: every path to a
        destination ends here."""
        user_agent = referer = accept_language = ""
        cookie: str | None = None
        forwarded_for: str | None = None
        for name, value in scope["headers"]:
            if name == b"user-agent":
                user_agent = value[:MAX_USER_AGENT].decode("latin-1")
            elif name == b"referer":
                referer = value[:MAX_REFERER].decode("latin-1")
            elif name == b"accept-language":
                accept_language = value[:MAX_ACCEPT_LANGUAGE].decode("latin-1")
            elif name == b"cookie":
                cookie = _cookie_value(value.decode("latin-1"))
            elif name == b"x-forwarded-for" and self._trust_forwarded:
                forwarded_for = value.decode("latin-1")
        client = scope.get("client")
        peer = client[0] if client else ""
        ip = self._client.resolve(peer, forwarded_for) if forwarded_for is not None else peer

        # The visitor is decided here, once: the cookie, or the hash that becomes the cookie.
        # The event carries it, so the consumer never recomputes it.
        visitor = visitor_hash(self._visitor_key, ip, user_agent) if cookie is None else cookie

        location = link.location
        variant = ""
        if (rules := link.rules) is not None:
            # Past the password gate: only a visitor who passes spends a click.
            if rules.max_clicks is not None and not await self.rules.admit(link, method, user_agent):
                await self._gone(send, method, link)
                return
            location, variant = self.rules.destination(link, user_agent, ip, visitor)

        # One id for the click event and, on a link that tracks conversions, for the
        # destination, so a conversion that sends it back names exactly this click.
        event_id = new_id()
        query = scope["query_string"] if self._forward_query else b""
        if link.click_param is not None:
            location = merge_query(location, query, f"{link.click_param}={event_id}")
        elif query:
            location = merge_query(location, query)
        headers = [(b"location", location.encode("latin-1")), *_REDIRECT_HEADERS]
        if set_cookie is not None:
            headers.append((b"set-cookie", set_cookie))
        if cookie is None:
            headers.append((b"set-cookie", (_COOKIE_PREFIX + visitor + self._cookie_suffix).encode()))
        # On disk before the response goes out: a redirect that was answered is never lost,
        # even to a killed process.
        await self.click_log.append(
            ClickEvent(
                event_id=event_id,
                ts=now_ms,
                tenant_id=link.tenant_id,
                link_id=link.link_id,
                code=code,
                campaign=link.campaign,
                contact_id=link.contact_id,
                method=method,
                ip=ip,
                user_agent=user_agent,
                referer=referer,
                accept_language=accept_language,
                visitor_cookie=cookie,
                collect_metadata=link.collect_metadata,
                visitor_id=visitor,
                variant=variant,
            ).to_json()
        )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        self.stats.redirects += 1

    async def _gone(self, send: Send, method: str, link: ResolvedLink) -> None:
        """An expired or used-up link: the 410 page, or its ``expired_url`` when it has one."""
        self.stats.gone += 1
        if link.rules is not None and (location := self.rules.expired_location(link)) is not None:
            headers = [(b"location", location.encode("latin-1")), *_REDIRECT_HEADERS]
            await send({"type": "http.response.start", "status": _FOUND, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await pages.send_page(send, 410, pages.GONE, method)

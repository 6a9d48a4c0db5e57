"""Assembling the redirector: the hot edge in front of a small Starlette router.

The router serves what is not a redirect (health, readiness, metrics, ``/robots.txt``, the
home page ``/`` and the 404 page for paths that cannot be a code). Resources are opened by
whoever runs the redirector (the embedded process or the ``smartlinks redirector``
command), in their lifespan.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route, Router

from redirector import pages
from redirector.cache import LinkCache
from redirector.click_budget import ClickCounter, MemoryCounter
from redirector.domains import KnownDomains
from redirector.edge import RedirectEdge
from redirector.link_rules import EdgeRules
from smartlinks.eventlog.writer import EventLog
from smartlinks.metrics import Sample, StatsCollector
from smartlinks.settings import Settings
from smartlinks.types import Receive, Scope, Send


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    """The router's answer for any path it does not serve: the same page as an unknown code."""
    if scope["type"] == "http":
        await pages.send_page(send, 404, pages.NOT_FOUND, scope["method"])


# Short links are not pages to index: every path under the redirector is closed to crawlers.
ROBOTS_TXT = "User-agent: *\nDisallow: /\n"


async def robots(request: Request) -> Response:
    return PlainTextResponse(ROBOTS_TXT)


def own_routes(settings: Settings, dashboard: bool) -> list[BaseRoute]:
    """``/robots.txt``, and ``/``: a 302 to ``SMARTLINKS_HOME_URL``, else to the dashboard
    when this process serves it, else (a redirector alone has nothing to show) the 404 page."""
    routes: list[BaseRoute] = [Route("/robots.txt", robots, methods=["GET", "HEAD"])]
    location = settings.home_url or ("/dashboard" if dashboard else "")
    if location:

        async def home(request: Request) -> Response:
            return RedirectResponse(location, 302, headers={"cache-control": "no-store"})

        routes.append(Route("/", home, methods=["GET", "HEAD"]))
    return routes


def create_redirector(
    settings: Settings,
    cache: LinkCache,
    click_log: EventLog,
    visitor_key: bytes,
    routes: list[BaseRoute],
    click_counter: ClickCounter | None = None,
    domains: KnownDomains | None = None,
    dashboard: bool = False,
) -> RedirectEdge:
    """``click_counter``: where ``max_clicks`` is counted, the link store's (shared by every
    redirector on it); without one (benches), this process alone. ``dashboard``: whether
    this process serves the dashboard too (the embedded mode), where ``/`` then leads."""
    fallback = Router(routes=[*routes, *own_routes(settings, dashboard)], default=not_found)
    rules = EdgeRules(click_counter or MemoryCounter(), settings.geoip_db)
    return RedirectEdge(settings, cache, click_log, visitor_key, fallback, rules, domains)


def redirector_metrics(edge: RedirectEdge) -> StatsCollector:
    cache = edge.cache

    def outcomes() -> Mapping[str, float]:
        s = edge.stats
        return {"redirect": s.redirects, "not_found": s.not_found, "gone": s.gone, "rejected": s.rejected}

    def password_gate() -> Mapping[str, float]:
        s = edge.password_gate.stats
        return {
            "page": s.pages,
            "admitted": s.admitted,
            "right": s.right,
            "wrong": s.wrong,
            "limited": s.limited,
            "refused": s.refused,
        }

    def lookups() -> Mapping[str, float]:
        s = cache.stats
        return {"hit": s.hits, "negative_hit": s.negative_hits, "miss": s.misses}

    return StatsCollector(
        [
            Sample(
                "redirect_requests_total",
                "Requests for short codes by outcome.",
                "counter",
                lambda: dict(outcomes()),
                label="outcome",
            ),
            Sample(
                "password_gate_total",
                "Visits to links with a password: pages shown, visits admitted by cookie, and "
                "guesses right, wrong, limited (429) or refused (a body the form cannot send).",
                "counter",
                lambda: dict(password_gate()),
                label="outcome",
            ),
            Sample(
                "link_cache_lookups_total",
                "Link cache lookups by result.",
                "counter",
                lambda: dict(lookups()),
                label="result",
            ),
            Sample(
                "link_cache_store_lookups_total",
                "Lookups that reached the link store.",
                "counter",
                lambda: cache.stats.store_lookups,
            ),
            Sample(
                "link_cache_entries",
                "Links and unknown codes held in the cache.",
                "gauge",
                lambda: len(cache),
            ),
        ]
    )

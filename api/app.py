"""The API as a Starlette app: every route under ``/api/v1``, with no lifespan of its own
(the host opens and closes the store, the feed and analytics). The dashboard rides along
in front of it: ``/dashboard`` and below are public pages (see ``api.dashboard``)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware

from api.analytics.funnel import FunnelQueries
from api.analytics_routes import AnalyticsEndpoints
from api.auth import BearerAuth, Sessions
from api.bulk_links import bulk_routes
from api.campaigns import CampaignEndpoints
from api.clicks import ClickCounter, ZeroClickCounter
from api.contact_funnel import ContactFunnelEndpoints
from api.contacts import ContactEndpoints
from api.context import ApiContext
from api.dashboard import DashboardMount, create_dashboard
from api.domains import DomainEndpoints
from api.errors import EXCEPTION_HANDLERS
from api.export import ExportEndpoints
from api.funnel import FunnelEndpoints
from api.funnel_events import funnel_event_routes
from api.keys import key_routes
from api.links import LinkEndpoints
from api.messages import message_routes
from api.openapi import PATH as OPENAPI_PATH
from api.openapi import openapi_route
from api.qr import QrEndpoints
from api.settings_routes import settings_routes
from api.tags import TagEndpoints
from api.track import PATH as TRACK_PATH
from api.track import track_routes
from api.validation import SingleValuedQuery
from api.webhooks import webhook_routes

__all__ = ["ApiContext", "ClickCounter", "ZeroClickCounter", "create_api"]

# Paths that need no key. /dashboard pages are public too, but never reach the auth
# middleware: DashboardMount answers them before it. The conversion beacon checks its
# publishable key itself (a browser's beacon may carry it in the body).
PUBLIC_PATHS = frozenset({OPENAPI_PATH, TRACK_PATH})


def create_api(ctx: ApiContext) -> Starlette:
    links = LinkEndpoints(ctx)
    exports = ExportEndpoints(ctx, links)
    analytics = (
        []
        if ctx.analytics is None
        else [
            *AnalyticsEndpoints(ctx, ctx.analytics, links).routes(),
            *exports.click_routes(ctx.analytics.client),
            *CampaignEndpoints(ctx, ctx.analytics).routes(),
            *ContactEndpoints(ctx, ctx.analytics).routes(),
            *ContactFunnelEndpoints(ctx.analytics.client).routes(),
            *FunnelEndpoints(ctx, ctx.funnel or FunnelQueries(ctx.analytics.client), links).routes(),
        ]
    )
    routes = [
        *bulk_routes(ctx),  # before links: "/links/bulk" is not a link id
        *exports.routes(),  # and "/links/export" neither
        *links.routes(),
        *message_routes(ctx),
        *funnel_event_routes(ctx),
        *analytics,
        *QrEndpoints(ctx, links).routes(),
        *settings_routes(ctx),
        *key_routes(ctx),
        *webhook_routes(ctx),
        *TagEndpoints(ctx, ctx.analytics).routes(),
        *DomainEndpoints(ctx).routes(),
        *track_routes(ctx),
        openapi_route(ctx.settings),
    ]
    sessions = Sessions(ctx.settings.load_secret_key)
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(DashboardMount, dashboard=create_dashboard(ctx, sessions)),
            Middleware(BearerAuth, store=ctx.store, public_paths=PUBLIC_PATHS, sessions=sessions),
            Middleware(SingleValuedQuery),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
    )
    # An API path is exact: "/api/v1/links/" is a 404, not a redirect a client may not follow.
    app.router.redirect_slashes = False
    return app

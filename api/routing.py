"""One Starlette route per path, however many methods it has, so a 405's ``Allow`` header
names every method of the path (with a route per method, it would name only one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]


def resource(path: str, **endpoints: Endpoint) -> Route:
    """``resource("/x", get=read, post=create)``: a route serving each method by its endpoint."""
    by_method = {method.upper(): endpoint for method, endpoint in endpoints.items()}
    if "GET" in by_method:
        by_method.setdefault("HEAD", by_method["GET"])

    async def dispatch(request: Request) -> Response:
        return await by_method[request.method](request)

    return Route(path, dispatch, methods=list(by_method))

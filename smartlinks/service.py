"""The service endpoints every long-running process serves: ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import CollectorRegistry
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from smartlinks.kafka.health import KAFKA_HEALTH_METRICS
from smartlinks.metrics import CONTENT_TYPE, render

Check = Callable[[], Awaitable[object]]
READY_TIMEOUT = 2.0


def service_routes(checks: Mapping[str, Check], registry: CollectorRegistry) -> list[BaseRoute]:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), READY_TIMEOUT)
                results[name] = "ok"
            except Exception as exc:  # any failure means "not ready", with the reason shown
                results[name] = f"error: {type(exc).__name__}: {exc}"[:300]
        ready = all(value == "ok" for value in results.values())
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": results},
            status_code=200 if ready else 503,
        )

    async def metrics(request: Request) -> Response:
        # Kafka client health belongs to the process, not to one app: served by every one.
        return Response(render(registry) + render(KAFKA_HEALTH_METRICS), media_type=CONTENT_TYPE)

    return [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]

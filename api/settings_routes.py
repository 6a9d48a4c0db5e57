"""The tenant's settings: ``GET`` and ``PATCH /api/v1/settings``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.context import ApiContext
from api.responses import json_response
from api.routing import resource
from api.validation import boolean, read_object, reject_unknown
from smartlinks.models import Tenant

PATH = "/api/v1/settings"
FIELDS = ("collect_metadata",)


def settings_json(tenant: Tenant) -> dict[str, bool]:
    return {"collect_metadata": tenant.collect_metadata}


def settings_routes(ctx: ApiContext) -> list[Route]:
    async def read_settings(request: Request) -> Response:
        return json_response(settings_json(tenant_of(request)))

    async def change_settings(request: Request) -> Response:
        tenant = tenant_of(request)
        body = await read_object(request)
        reject_unknown(body, FIELDS, "settings has collect_metadata.")
        if "collect_metadata" in body:
            value = boolean("collect_metadata", body["collect_metadata"])
            tenant = await ctx.store.set_collect_metadata(tenant.id, value)
            # Redirectors cache collect_metadata with every link of the tenant.
            await ctx.deliver_changes()
        return json_response(settings_json(tenant))

    return [resource(PATH, get=read_settings, patch=change_settings)]

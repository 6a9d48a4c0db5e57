"""The tenant's settings: ``GET`` and ``PATCH /api/v1/settings``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.bodies.reading import decode
from api.bodies.tenant_settings import Settings, SettingsPatch
from api.context import ApiContext
from api.responses import json_response
from api.routing import resource
from api.validation import read_object
from smartlinks.models import Tenant, TenantPatch

PATH = "/api/v1/settings"


def settings_body(tenant: Tenant) -> Settings:
    return Settings(
        collect_metadata=tenant.collect_metadata,
        conversion_tracking=tenant.conversion_tracking,
        click_id_param=tenant.click_id_param,
        attribution_window_days=tenant.attribution_window_days,
    )


def settings_patch(body: dict[str, Any]) -> TenantPatch:
    """The settings sent, checked; those left out stay as they are."""
    patch = decode(body, SettingsPatch)
    return TenantPatch(**{name: getattr(patch, name) for name in patch.__struct_fields__})


def settings_routes(ctx: ApiContext) -> list[Route]:
    async def read_settings(request: Request) -> Response:
        return json_response(settings_body(tenant_of(request)))

    async def change_settings(request: Request) -> Response:
        tenant = tenant_of(request)
        patch = settings_patch(await read_object(request))
        if patch != TenantPatch():  # nothing sent: no write, no change event
            tenant = await ctx.store.update_tenant(tenant.id, patch)
            # Redirectors cache collect_metadata and the click id parameter with every link
            # of the tenant: the change event makes them read the links again.
            await ctx.deliver_changes()
        return json_response(settings_body(tenant))

    return [resource(PATH, get=read_settings, patch=change_settings)]

"""The tenant's settings: ``GET`` and ``PATCH /api/v1/settings``."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import msgspec
from msgspec import UnsetType
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.bodies.reading import decode
from api.bodies.tenant_settings import IP_RANGE, Settings, SettingsPatch
from api.context import ApiContext
from api.errors import ApiError
from api.responses import json_response
from api.routing import resource
from api.validation import read_object
from smartlinks.models import Tenant, TenantPatch

PATH = "/api/v1/settings"
_IP_RANGE = re.compile(IP_RANGE)


def settings_body(tenant: Tenant) -> Settings:
    # The tenant's attributes of the same names, checked against the Struct's types.
    return msgspec.convert(tenant, Settings, from_attributes=True)


def settings_patch(body: dict[str, Any]) -> TenantPatch:
    """The settings sent, checked; those left out stay as they are."""
    patch = decode(body, SettingsPatch)
    changes = {name: getattr(patch, name) for name in patch.__struct_fields__}
    if not isinstance(patch.bot_user_agents, UnsetType):
        changes["bot_user_agents"] = tuple(patch.bot_user_agents)
    if not isinstance(patch.bot_ip_ranges, UnsetType):
        changes["bot_ip_ranges"] = tuple(_network(at, value) for at, value in enumerate(patch.bot_ip_ranges))
    return TenantPatch(**changes)


def _network(at: int, value: str) -> str:
    """An entry of bot_ip_ranges as the network it means: "203.0.113.7/24" is
    203.0.113.0/24 (strict=False), an address alone its /32 or /128."""
    try:
        if not _IP_RANGE.fullmatch(value):
            raise ValueError(value)
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ApiError(
            422,
            "invalid_bot_ip_range",
            f"Each of bot_ip_ranges must be an IP address or network (CIDR), not {value!r}.",
            field=f"bot_ip_ranges[{at}]",
        ) from None


def settings_routes(ctx: ApiContext) -> list[Route]:
    async def read_settings(request: Request) -> Response:
        return json_response(settings_body(tenant_of(request)))

    async def change_settings(request: Request) -> Response:
        tenant = tenant_of(request)
        patch = settings_patch(await read_object(request))
        if patch != TenantPatch():  # nothing sent: no write, no change event
            tenant = await ctx.store.update_tenant(tenant.id, patch)
            # Redirectors cache collect_metadata and the click id parameter with every link
            # of the tenant: the change event makes them read the links again, and makes
            # the consumer read the tenant's bot rules.
            await ctx.deliver_changes()
        return json_response(settings_body(tenant))

    return [resource(PATH, get=read_settings, patch=change_settings)]

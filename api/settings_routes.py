"""The tenant's settings: ``GET`` and ``PATCH /api/v1/settings``."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.auth import tenant_of
from api.context import ApiContext
from api.errors import ApiError
from api.responses import json_response
from api.routing import resource
from api.validation import boolean, read_object, reject_unknown, wrong_type
from smartlinks.models import Tenant, TenantPatch

PATH = "/api/v1/settings"
FIELDS = ("collect_metadata", "conversion_tracking", "click_id_param", "attribution_window_days")
# The click id rides in the destination's query string: a name that needs no escaping
# there, and that a site's code can read back as it was written.
CLICK_ID_PARAM = re.compile(r"[A-Za-z0-9_.-]{1,64}", re.ASCII)
MIN_WINDOW_DAYS, MAX_WINDOW_DAYS = 1, 365


def settings_json(tenant: Tenant) -> dict[str, Any]:
    return {name: getattr(tenant, name) for name in FIELDS}


def settings_patch(body: dict[str, Any]) -> TenantPatch:
    """The settings sent, checked; those left out stay as they are."""
    reject_unknown(body, FIELDS, f"settings has {', '.join(FIELDS)}.")
    changes: dict[str, Any] = {}
    for name in ("collect_metadata", "conversion_tracking"):
        if name in body:
            changes[name] = boolean(name, body[name])
    if "click_id_param" in body:
        changes["click_id_param"] = _click_id_param(body["click_id_param"])
    if "attribution_window_days" in body:
        changes["attribution_window_days"] = _window_days(body["attribution_window_days"])
    return TenantPatch(**changes)


def _click_id_param(value: Any) -> str:
    if not isinstance(value, str):
        raise wrong_type("click_id_param", "a string", value)
    if not CLICK_ID_PARAM.fullmatch(value):
        raise ApiError(
            422,
            "invalid_click_id_param",
            "click_id_param must be 1-64 ASCII letters, digits, '_', '.' or '-'.",
            field="click_id_param",
        )
    return value


def _window_days(value: Any) -> int:
    # JSON has one kind of number: 30.0 is the whole number 30, as JSON Schema's "integer" says.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong_type("attribution_window_days", "a whole number", value)
    if not MIN_WINDOW_DAYS <= value <= MAX_WINDOW_DAYS:
        raise ApiError(
            422,
            "invalid_attribution_window",
            f"attribution_window_days must be from {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS}.",
            field="attribution_window_days",
        )
    return value


def settings_routes(ctx: ApiContext) -> list[Route]:
    async def read_settings(request: Request) -> Response:
        return json_response(settings_json(tenant_of(request)))

    async def change_settings(request: Request) -> Response:
        tenant = tenant_of(request)
        patch = settings_patch(await read_object(request))
        if patch != TenantPatch():  # nothing sent: no write, no change event
            tenant = await ctx.store.update_tenant(tenant.id, patch)
            # Redirectors cache collect_metadata and the click id parameter with every link
            # of the tenant: the change event makes them read the links again.
            await ctx.deliver_changes()
        return json_response(settings_json(tenant))

    return [resource(PATH, get=read_settings, patch=change_settings)]

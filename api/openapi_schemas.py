"""The JSON Schemas of the OpenAPI document's core: generated from the bodies' Structs
(links, keys, settings, analytics, clicks, errors), and the time zones a query may name."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from api.bodies.analytics import Analytics, ClickList
from api.bodies.components import components
from api.bodies.keys import API_KEY_CREATE_RULES, ApiKeyCreate, ApiKeyCreated, ApiKeyList
from api.bodies.links import LinkCreate, LinkList, LinkPatch
from api.bodies.tenant_settings import Settings, SettingsPatch
from api.errors import Error

_BODIES = (
    LinkList, LinkCreate, LinkPatch, Settings, SettingsPatch, ApiKeyList, ApiKeyCreate, ApiKeyCreated,
    Analytics, ClickList, Error,
)  # fmt: skip
SCHEMAS: dict[str, Any] = {
    "TimeZone": {
        "type": "string",
        "enum": sorted(available_timezones()),
        "description": "An IANA time zone this server knows.",
    },
    **components(_BODIES),
}
SCHEMAS["ApiKeyCreate"] = {**SCHEMAS["ApiKeyCreate"], **API_KEY_CREATE_RULES}

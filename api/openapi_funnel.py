"""OpenAPI paths and schemas of the funnel of a campaign and of a link (merged by
``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

from api.bodies.components import components
from api.bodies.funnel import Funnel
from api.openapi_campaigns import path_label
from api.openapi_parts import ANALYTICS_ERRORS, ANALYTICS_PARAMETERS, ID_PARAMETER, error, ok, operation

# The analytics range without exclude_bots: a bot never counts in a funnel.
_PARAMETERS = [param for param in ANALYTICS_PARAMETERS if param["name"] != "exclude_bots"]
_ERRORS = error(*(code for code in ANALYTICS_ERRORS if code != "invalid_boolean"))

PATHS: dict[str, Any] = {
    "/api/v1/campaigns/{campaign}/funnel": {
        "parameters": [path_label("campaign", "campaign's name")],
        "get": operation(
            "getCampaignFunnel",
            "A campaign's funnel in a range: contacts delivered, who clicked, who converted, the"
            " conversions and their revenue, the median times between the steps, per bucket and"
            " per link. Bots never count.",
            {
                "200": ok("The campaign's funnel.", "Funnel"),
                "400": _ERRORS,
                "404": error("campaign_not_found"),
            },
            parameters=_PARAMETERS,
        ),
    },
    "/api/v1/links/{id}/funnel": {
        "parameters": [ID_PARAMETER],
        "get": operation(
            "getLinkFunnel",
            "One link's funnel in a range: its contact's deliveries in its campaign, the contacts"
            " who clicked it, the conversions attributed to it.",
            {
                "200": ok("The link's funnel.", "Funnel"),
                "400": _ERRORS,
                "404": error("link_not_found"),
            },
            parameters=_PARAMETERS,
        ),
    },
}

SCHEMAS: dict[str, Any] = components([Funnel])

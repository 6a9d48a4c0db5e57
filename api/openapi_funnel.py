"""OpenAPI paths and schemas of the funnel of a campaign and of a link (merged by
``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

from api.campaigns import LINK_TABLE_LIMIT
from api.openapi_campaigns import path_label
from api.openapi_parts import (
    ANALYTICS_ERRORS,
    ANALYTICS_PARAMETERS,
    COUNT,
    ID_PARAMETER,
    error,
    object_schema,
    ok,
    operation,
    ref,
    timeseries_schema,
)
from api.openapi_schemas import SCHEMAS as BASE

# The analytics range without exclude_bots: a bot never counts in a funnel.
_PARAMETERS = [param for param in ANALYTICS_PARAMETERS if param["name"] != "exclude_bots"]
_ERRORS = error(*(code for code in ANALYTICS_ERRORS if code != "invalid_boolean"))
_RANGE = BASE["Range"]
_SERIES = BASE["Analytics"]["properties"]["timeseries"]
_CONTACTS = "Distinct contacts (non-empty contact_id)"
_RATE = {"type": ["number", "null"], "minimum": 0}
_SECONDS = {"type": ["number", "null"], "minimum": 0}

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

_FUNNEL = {
    "range": object_schema(
        {name: _RANGE["properties"][name] for name in ("from", "to", "interval", "tz")},
        ("from", "to", "interval", "tz"),
    ),
    "delivered": {
        **COUNT,
        "description": f"{_CONTACTS} with a delivery in range. For a link: its contact, if"
        " delivered in the link's campaign (0 for a link without a campaign).",
    },
    "clicked": {
        **COUNT,
        "description": f"{_CONTACTS} with a human click in range on the campaign's links (the"
        " link's); a bot's click never makes a contact clicked.",
    },
    "converted": {
        **COUNT,
        "description": f"{_CONTACTS} with a conversion in range attributed to the campaign (the link).",
    },
    "click_rate": {**_RATE, "description": "clicked / delivered; null when delivered is 0."},
    "conversion_rate": {**_RATE, "description": "converted / clicked; null when clicked is 0."},
    "conversions": {**COUNT, "description": "Conversion events in range, with a contact or not."},
    "revenue": {
        "type": "array",
        "description": "The conversions' values summed per currency, by currency code.",
        "items": object_schema(
            {
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "value": {
                    "type": "string",
                    "pattern": "^[0-9]+(\\.[0-9]+)?$",
                    "description": "A decimal string, exact: as many decimals as the currency's"
                    " minor unit (2 for EUR, 0 for JPY, 3 for KWD), more only when the sum has"
                    " nonzero digits beyond it (values keep 4).",
                },
            },
            ("currency", "value"),
        ),
    },
    "median_time_to_click_s": {
        **_SECONDS,
        "description": "Over the contacts with a delivery and a later click in range: the median"
        " seconds from their first delivery to their first click after it (to the"
        " millisecond; the mean of the middle two for an even count). null for no such contact.",
    },
    "median_time_to_convert_s": {
        **_SECONDS,
        "description": "Over the contacts with a click and a later conversion in range: the median"
        " seconds from their first click to their first conversion after it. null for none.",
    },
    "timeseries": timeseries_schema(
        _SERIES["description"] + " Each step counts the distinct contacts with that step in the"
        " bucket, so a contact may count in several buckets.",
        ("delivered", "clicked", "converted"),
    ),
    "links": {
        "type": "array",
        "description": f"The campaign's live links, most clicked first (then most converted, then"
        f" oldest first), at most {LINK_TABLE_LIMIT}; for a link, the link alone.",
        "items": ref("FunnelLink"),
    },
    "links_truncated": {
        "type": "boolean",
        "description": f"Whether the campaign has more live links than `links` holds ({LINK_TABLE_LIMIT});"
        " always false for a link.",
    },
}

SCHEMAS: dict[str, Any] = {
    "FunnelLink": object_schema(
        {
            "link_id": {"type": "string"},
            "code": {"type": "string"},
            "clicked": {**COUNT, "description": f"{_CONTACTS} who clicked the link in range."},
            "converted": {**COUNT, "description": f"{_CONTACTS} with conversions attributed to the link."},
        },
        ("link_id", "code", "clicked", "converted"),
    ),
    "Funnel": {
        **object_schema(_FUNNEL, tuple(_FUNNEL)),
        "description": "Delivered → clicked → converted, in distinct contacts; each step counts"
        " on its own (a contact may click without a delivery report in range).",
    },
}

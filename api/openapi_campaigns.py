"""OpenAPI paths and schemas of the campaign and contact views (merged by ``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

from api.analytics_routes import DEFAULT_CLICKS_LIMIT, MAX_CLICKS_LIMIT
from api.bodies.links import MAX_LABEL
from api.campaigns import LINK_TABLE_LIMIT
from api.contact_funnel import FUNNEL_SHOWN
from api.contact_funnel import PATHS as CONTACT_FUNNEL_PATHS
from api.openapi_parts import (
    ANALYTICS_ERRORS,
    ANALYTICS_PARAMETERS,
    ATTRIBUTED,
    COUNT,
    NEXT_CURSOR,
    NO_CONTROL,
    error,
    object_schema,
    ok,
    operation,
    page_parameters,
)
from api.openapi_schemas import SCHEMAS as BASE

_TIME = {"type": "string", "format": "date-time", "description": "RFC 3339 in UTC."}
_LABEL_TEXT = (
    f"1 to {MAX_LABEL} characters without control characters, percent-encoded in the path (`/` as `%2F`)."
)
_PAGE = page_parameters(DEFAULT_CLICKS_LIMIT, MAX_CLICKS_LIMIT)


def path_label(name: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {what}: {_LABEL_TEXT}",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_LABEL, "pattern": NO_CONTROL},
    }


def _contact_page(
    operation_id: str, summary: str, contact_id: str, items: str, schema: str
) -> dict[str, Any]:
    """The path of a page of one contact's clicks, deliveries or conversions."""
    return {
        "parameters": [path_label("contact_id", contact_id)],
        "get": operation(
            operation_id,
            summary,
            {
                "200": ok(f"A page of the contact's {items}.", schema),
                "400": error("invalid_limit", "invalid_cursor", "invalid_contact_id"),
            },
            parameters=_PAGE,
        ),
    }


_ITEM_SCHEMA = {"deliveries": "Delivery", "conversions": "Conversion"}

_LINK_REF = {
    name: BASE["Link"]["properties"][name] for name in ("id", "code", "short_url", "destination_url", "title")
}
_ANALYTICS = BASE["Analytics"]["properties"]

PATHS: dict[str, Any] = {
    "/api/v1/campaigns": {
        "get": operation(
            "listCampaigns",
            "The tenant's campaigns (the campaign names of its live links), the one with the newest"
            " link first, with lifetime clicks, unique visitors and bots of their live links.",
            {
                "200": ok("A page of campaigns.", "CampaignList"),
                "400": error("invalid_limit", "invalid_cursor"),
            },
            parameters=_PAGE,
        )
    },
    "/api/v1/campaigns/{campaign}/analytics": {
        "parameters": [path_label("campaign", "campaign's name")],
        "get": operation(
            "getCampaignAnalytics",
            "A campaign's analytics in a range: the link analytics of its live links, figure by"
            " figure the sum of theirs, with the distinct contacts who clicked and a per-link table.",
            {
                "200": ok("The campaign's analytics.", "CampaignAnalytics"),
                "400": error(*ANALYTICS_ERRORS),
                "404": error("campaign_not_found"),
            },
            parameters=ANALYTICS_PARAMETERS,
        ),
    },
    "/api/v1/contacts/{contact_id}/clicks": _contact_page(
        "listContactClicks",
        "A contact's clicks on every link and campaign, newest first. An id no click carries"
        " has an empty list. Every page also holds the contact's newest deliveries and"
        f" conversions (POST /api/v1/events), at most {FUNNEL_SHOWN} of each, newest first;"
        " the rest are read from GET /api/v1/contacts/{contact_id}/deliveries and"
        " .../conversions with `deliveries_next_cursor` and `conversions_next_cursor`.",
        "contact_id links were made with",
        "clicks",
        "ContactClickList",
    ),
    **{
        path: _contact_page(
            f"listContact{kind.capitalize()}",
            f"A contact's {kind} (POST /api/v1/events), newest first, a page at a time. An id no"
            " event carries has an empty list; one no event can have (over 200 characters, control"
            " characters) is refused.",
            "contact_id the events were sent with",
            kind,
            f"Contact{_ITEM_SCHEMA[kind]}List",
        )
        for kind, path in CONTACT_FUNNEL_PATHS.items()
    },
}

_CAMPAIGN_SUMMARY = {
    "campaign": {"type": "string"},
    "links": {**COUNT, "description": "Live links with this campaign."},
    "total": {**COUNT, "description": "Lifetime clicks of those links, bots included."},
    "unique": {**COUNT, "description": "Lifetime unique visitors: the sum over the links."},
    "bots": COUNT,
    "first_link_at": {**_TIME, "description": "When the oldest live link was created."},
    "last_link_at": {**_TIME, "description": "When the newest live link was created."},
}
_CAMPAIGN_LINK = {
    **_LINK_REF,
    "contact_id": {"type": ["string", "null"]},
    "total": {**COUNT, "description": "Clicks in range (humans only with exclude_bots)."},
    "unique": COUNT,
    "bots": COUNT,
}
_CONTACT_CLICK = {
    "id": BASE["Click"]["properties"]["id"],
    "ts": BASE["Click"]["properties"]["ts"],
    "kind": BASE["Click"]["properties"]["kind"],
    "link": {
        "oneOf": [{"$ref": "#/components/schemas/LinkRef"}, {"type": "null"}],
        "description": "null: the link was deleted a moment ago (its clicks go with it).",
    },
    "campaign": {"type": ["string", "null"]},
    **{
        name: BASE["Click"]["properties"][name]
        for name in ("country", "city", "device", "browser", "os", "referrer")
    },
}
_NULLABLE = {"type": ["string", "null"]}
_CONTACT_DELIVERY = {
    "id": {"type": "string", "description": "The delivery's id, as sent."},
    "campaign": {"type": "string"},
    "message_id": _NULLABLE,
    "at": {**_TIME, "description": "When the message was delivered, RFC 3339 in UTC."},
}
_CONTACT_CONVERSION = {
    "id": {"type": "string", "description": "The conversion's id, as sent."},
    "name": {"type": "string"},
    "at": {**_TIME, "description": "When the conversion happened, RFC 3339 in UTC."},
    "campaign": _NULLABLE,
    **ATTRIBUTED,
    "value": {
        "type": ["string", "null"],
        "pattern": r"^[0-9]+(\.[0-9]{1,4})?$",
        "description": "A decimal as text in the currency's minor unit (2 decimals for most, none for"
        " JPY), more only where the value has nonzero digits beyond it; null without a value.",
    },
    "currency": {**_NULLABLE, "description": "ISO 4217, with value."},
}
# What a campaign's analytics share with a link's: all but the link and its totals.
_ANALYTICS_FIELDS = tuple(name for name in BASE["Analytics"]["required"] if name not in ("link", "totals"))

SCHEMAS: dict[str, Any] = {
    "LinkRef": object_schema(_LINK_REF, tuple(_LINK_REF)),
    "CampaignSummary": object_schema(_CAMPAIGN_SUMMARY, tuple(_CAMPAIGN_SUMMARY)),
    "CampaignList": object_schema(
        {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/CampaignSummary"}},
            "next_cursor": NEXT_CURSOR,
        },
        ("items", "next_cursor"),
    ),
    "CampaignLink": object_schema(_CAMPAIGN_LINK, tuple(_CAMPAIGN_LINK)),
    "CampaignAnalytics": {
        **object_schema(
            {
                "campaign": object_schema(
                    {"campaign": {"type": "string"}, "links": COUNT}, ("campaign", "links")
                ),
                "totals": object_schema(
                    {
                        "total": COUNT,
                        "unique": COUNT,
                        "bots": COUNT,
                        "contacts": {
                            **COUNT,
                            "description": "Distinct contacts (non-empty contact_id) who clicked in range;"
                            " with exclude_bots, who clicked as people.",
                        },
                    },
                    ("total", "unique", "bots", "contacts"),
                ),
                **{name: _ANALYTICS[name] for name in _ANALYTICS_FIELDS},
                "links": {
                    "type": "array",
                    "description": f"The campaign's live links, most clicks in range first (then oldest"
                    f" first), at most {LINK_TABLE_LIMIT}.",
                    "items": {"$ref": "#/components/schemas/CampaignLink"},
                },
                "links_truncated": {
                    "type": "boolean",
                    "description": f"Whether the campaign has more than {LINK_TABLE_LIMIT} links.",
                },
            },
            ("campaign", "range", "totals", *_ANALYTICS_FIELDS[1:], "links", "links_truncated"),
        ),
        "description": "The link analytics of the campaign's live links: every figure is the sum of"
        " the links' own, so `unique` is the sum of each link's unique visitors (a person who"
        " clicks two links counts on each). Links deleted since are left out, clicks and all.",
    },
    "ContactClick": object_schema(_CONTACT_CLICK, tuple(_CONTACT_CLICK)),
    "ContactDelivery": object_schema(_CONTACT_DELIVERY, tuple(_CONTACT_DELIVERY)),
    "ContactConversion": object_schema(_CONTACT_CONVERSION, tuple(_CONTACT_CONVERSION)),
    "ContactClickList": object_schema(
        {
            "contact_id": {"type": "string"},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/ContactClick"}},
            "next_cursor": NEXT_CURSOR,
            "deliveries": {
                "type": "array",
                "maxItems": FUNNEL_SHOWN,
                "description": f"The contact's newest {FUNNEL_SHOWN} deliveries, newest first; the same on"
                " every page.",
                "items": {"$ref": "#/components/schemas/ContactDelivery"},
            },
            "deliveries_truncated": {
                "type": "boolean",
                "description": f"Whether the contact has more than {FUNNEL_SHOWN} deliveries.",
            },
            "deliveries_next_cursor": {
                **NEXT_CURSOR,
                "description": "Pass as `cursor` to GET /api/v1/contacts/{contact_id}/deliveries for the"
                " deliveries after these; null when there are none.",
            },
            "conversions": {
                "type": "array",
                "maxItems": FUNNEL_SHOWN,
                "description": f"The contact's newest {FUNNEL_SHOWN} conversions, newest first; the same on"
                " every page.",
                "items": {"$ref": "#/components/schemas/ContactConversion"},
            },
            "conversions_truncated": {
                "type": "boolean",
                "description": f"Whether the contact has more than {FUNNEL_SHOWN} conversions.",
            },
            "conversions_next_cursor": {
                **NEXT_CURSOR,
                "description": "Pass as `cursor` to GET /api/v1/contacts/{contact_id}/conversions for the"
                " conversions after these; null when there are none.",
            },
        },
        (
            "contact_id",
            "items",
            "next_cursor",
            "deliveries",
            "deliveries_truncated",
            "deliveries_next_cursor",
            "conversions",
            "conversions_truncated",
            "conversions_next_cursor",
        ),
    ),
    **{
        f"Contact{schema}List": object_schema(
            {
                "contact_id": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": f"#/components/schemas/Contact{schema}"}},
                "next_cursor": NEXT_CURSOR,
            },
            ("contact_id", "items", "next_cursor"),
        )
        for schema in _ITEM_SCHEMA.values()
    },
}

"""OpenAPI paths and schemas of the campaign and contact views (merged by ``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

from api.analytics_routes import DEFAULT_CLICKS_LIMIT, MAX_CLICKS_LIMIT
from api.bodies.campaigns import CampaignAnalytics, CampaignList
from api.bodies.components import components
from api.bodies.contacts import FUNNEL_SHOWN, ContactClickList, ContactConversionList, ContactDeliveryList
from api.bodies.links import MAX_LABEL
from api.contact_funnel import PATHS as CONTACT_FUNNEL_PATHS
from api.openapi_parts import (
    ANALYTICS_ERRORS,
    ANALYTICS_PARAMETERS,
    NO_CONTROL,
    error,
    ok,
    operation,
    page_parameters,
)

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

SCHEMAS: dict[str, Any] = components(
    [CampaignList, CampaignAnalytics, ContactClickList, ContactDeliveryList, ContactConversionList]
)

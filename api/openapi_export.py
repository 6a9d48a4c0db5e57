"""OpenAPI paths of the CSV exports (merged by ``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

from api.export import LINK_COLUMNS
from api.export_clicks import COLUMNS as CLICK_COLUMNS
from api.listing import MAX_FILTER
from api.openapi_campaigns import path_label
from api.openapi_parts import (
    ANALYTICS_ERRORS,
    ANALYTICS_PARAMETERS,
    ID_PARAMETER,
    NO_CONTROL,
    error,
    operation,
    query,
)
from api.openapi_tags_domains import LINK_LIST_ERRORS, TAG_PARAMETER

_SAFE = (
    " Text is RFC 4180 CSV in UTF-8 with a header row; a cell that starts with `=`, `+`, `-`, `@`,"
    " a tab or a carriage return gets a leading `'` so that a spreadsheet shows it as text"
    " instead of running it as a formula. The body is streamed: any size, a page at a time."
)
# The export's range and bot filters are the analytics endpoints' (interval is ignored).
_FILTERS = [p for p in ANALYTICS_PARAMETERS if p["name"] != "interval"]
_TEXT = {"type": "string", "maxLength": MAX_FILTER, "pattern": NO_CONTROL}
# The link list's filters (GET /api/v1/links), without its paging: the export has every page.
_LINK_FILTERS = [
    query("search", "Case-insensitive substring of the title or destination URL.", _TEXT),
    query("status", "Only active or only expired links.", {"type": "string", "enum": ["active", "expired"]}),
    query("campaign", "Only links of this campaign (exact match).", _TEXT),
    TAG_PARAMETER,
]


def _columns(columns: tuple[tuple[str, str], ...]) -> str:
    return "Columns, in this order:\n" + "\n".join(f"- `{name}`: {meaning}" for name, meaning in columns)


def _csv(description: str, columns: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return {
        "description": f"{description}{_SAFE}\n\n{_columns(columns)}",
        "headers": {
            "Content-Disposition": {
                "description": '`attachment; filename="...csv"`',
                "schema": {"type": "string"},
            }
        },
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }


_CLICKS = (
    " Clicks oldest first; with `exclude_bots`, bots are left out. The location, device,"
    " browser, OS and referrer cells are empty for clicks of a tenant that does not collect"
    " metadata (they are stored without them)."
)

PATHS: dict[str, Any] = {
    "/api/v1/links/export": {
        "get": operation(
            "exportLinks",
            "Every link the link list's filters select, as CSV, newest first.",
            {
                "200": _csv("The links.", LINK_COLUMNS),
                "400": error("invalid_status", "invalid_search", "invalid_campaign", *LINK_LIST_ERRORS),
            },
            parameters=_LINK_FILTERS,
        )
    },
    "/api/v1/links/{id}/clicks/export": {
        "parameters": [ID_PARAMETER],
        "get": operation(
            "exportLinkClicks",
            "A link's clicks in a range, as CSV.",
            {
                "200": _csv("The clicks." + _CLICKS, CLICK_COLUMNS),
                "400": error(*ANALYTICS_ERRORS),
                "404": error("link_not_found"),
            },
            parameters=_FILTERS,
        ),
    },
    "/api/v1/campaigns/{campaign}/clicks/export": {
        "parameters": [path_label("campaign", "campaign's name")],
        "get": operation(
            "exportCampaignClicks",
            "The clicks on a campaign's live links in a range, as CSV.",
            {
                "200": _csv("The clicks." + _CLICKS, CLICK_COLUMNS),
                "400": error(*ANALYTICS_ERRORS),
                "404": error("campaign_not_found"),
            },
            parameters=_FILTERS,
        ),
    },
}

SCHEMAS: dict[str, Any] = {}  # a CSV body has no schema of its own

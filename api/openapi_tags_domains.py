"""OpenAPI paths and schemas of tags and own domains (merged by ``api/openapi.py``); the
link operations name their new fields' codes there."""

from __future__ import annotations

from typing import Any

from api.bodies.components import components
from api.bodies.domains import DomainCreate, DomainList, DomainPatch
from api.bodies.links import MAX_TAG
from api.bodies.tags import TagAnalytics, TagList
from api.openapi_parts import (
    ANALYTICS_ERRORS,
    ANALYTICS_PARAMETERS,
    ID_PARAMETER,
    NO_CONTROL,
    TEXT_ERRORS,
    error,
    ok,
    operation,
)

_URL_ERRORS = (
    "invalid_url", "url_too_long", "url_control_characters", "unsupported_scheme", "url_has_credentials",
    "url_unsafe_normalisation",
)  # fmt: skip
_DOMAIN_NOT_FOUND = error("domain_not_found")
# The codes the links' operations gain with tags and domains.
LINK_LIST_ERRORS = ("invalid_tag",)
LINK_CREATE_ERRORS = ("too_many_tags", "blank", "unknown_domain")
LINK_PATCH_ERRORS = ("too_many_tags", "blank", "domain_immutable")
TAG_PARAMETER = {
    "name": "tag",
    "in": "query",
    "description": "Only links with this tag (case-insensitive; trimmed).",
    "schema": {"type": "string", "maxLength": MAX_TAG, "pattern": NO_CONTROL},
}

PATHS: dict[str, Any] = {
    "/api/v1/tags": {
        "get": operation(
            "listTags",
            "The tenant's tags (those of its live links, matched case-insensitively) with how many"
            " live links carry each.",
            {"200": ok("Every tag.", "TagList")},
        )
    },
    "/api/v1/tags/{tag}/analytics": {
        "parameters": [
            {
                "name": "tag",
                "in": "path",
                "required": True,
                "description": f"The tag (any case): 1 to {MAX_TAG} characters without control"
                " characters, percent-encoded in the path (`/` as `%2F`).",
                "schema": {"type": "string", "minLength": 1, "maxLength": MAX_TAG, "pattern": NO_CONTROL},
            }
        ],
        "get": operation(
            "getTagAnalytics",
            "A tag's analytics in a range, as a campaign's: the link analytics of its live links,"
            " figure by figure the sum of theirs, with the distinct contacts who clicked and a"
            " per-link table.",
            {
                "200": ok("The tag's analytics.", "TagAnalytics"),
                "400": error(*ANALYTICS_ERRORS, "invalid_tag"),
                "404": error("tag_not_found"),
            },
            parameters=ANALYTICS_PARAMETERS,
        ),
    },
    "/api/v1/domains": {
        "get": operation(
            "listDomains", "The tenant's own domains.", {"200": ok("Every domain.", "DomainList")}
        ),
        "post": operation(
            "addDomain",
            "Add a domain for the tenant's short links (https://{domain}/{code}). Point its DNS at the"
            " redirector behind TLS first; every redirector answers it once this returns.",
            {
                "201": ok("The domain; `Location` names it.", "Domain"),
                "409": error("domain_taken"),
                "422": error("unknown_field", "missing_field", *TEXT_ERRORS, "invalid_domain", *_URL_ERRORS),
            },
            body="DomainCreate",
        ),
    },
    "/api/v1/domains/{id}": {
        "parameters": [ID_PARAMETER],
        "get": operation(
            "getDomain", "Read a domain.", {"200": ok("The domain.", "Domain"), "404": _DOMAIN_NOT_FOUND}
        ),
        "patch": operation(
            "updateDomain",
            "Change where unknown codes on the domain redirect (`not_found_url`; null: the 404 page).",
            {
                "200": ok("The changed domain.", "Domain"),
                "404": _DOMAIN_NOT_FOUND,
                "422": error("unknown_field", "invalid_type", "domain_immutable", *_URL_ERRORS),
            },
            body="DomainPatch",
        ),
        "delete": operation(
            "removeDomain",
            "Remove a domain without live links: redirectors stop answering it at once, and the host"
            " may be added again (the codes of its deleted links stay taken there).",
            {"204": {"description": "Removed."}, "404": _DOMAIN_NOT_FOUND, "409": error("domain_in_use")},
        ),
    },
}

SCHEMAS: dict[str, Any] = components([TagList, TagAnalytics, DomainList, DomainCreate, DomainPatch])

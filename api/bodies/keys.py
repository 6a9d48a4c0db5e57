"""An API key as the API shows it, and what a client sends to create one."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta

from api.bodies.fields import NOT_BLANK, Body, Id, Time
from api.bodies.reading import RequestBody
from smartlinks.models import KeyKind, KeyScope

MAX_NAME = 100
_KIND = (
    "secret (`sl_...`): the whole API. publishable (`slp_...`): safe in a web page, it can only"
    " report conversions (`POST /api/v1/track/conversion`); anything else is 403 `key_not_allowed`."
)
_SCOPE = (
    "What a secret key may do. full: everything. read_only: GET and HEAD only (links, analytics,"
    " settings, keys); any other request is 403 `insufficient_scope`, and a dashboard signed in"
    " with it shows everything but changes nothing. A read-only key cannot make or revoke keys,"
    " so it never counts as the tenant's last active key. A publishable key is always full:"
    " its kind limits it."
)


class ApiKey(Body):
    id: Id
    name: str
    prefix: Annotated[str, Meta(description="The key's first characters, to tell keys apart.")]
    created_at: Time
    revoked_at: Time | None
    kind: Annotated[KeyKind, Meta(description=_KIND)]
    scope: Annotated[KeyScope, Meta(description=_SCOPE)]
    last_used_at: Annotated[
        Time | None,
        Meta(
            description="When the key last authenticated a request (a dashboard session's"
            " included), to the minute: each API process writes a key's time at most once a"
            " minute. null: never used."
        ),
    ]


class ApiKeyList(Body):
    items: list[ApiKey]


class ApiKeyCreated(ApiKey):
    key: Annotated[str, Meta(description="The key itself: shown this once only.")]


# What a create's JSON Schema adds to the Struct's: a publishable key has no scope to
# choose (api.keys refuses read_only for one with invalid_scope), a rule across two fields.
API_KEY_CREATE_RULES: dict[str, Any] = {
    "if": {"properties": {"kind": {"const": "publishable"}}, "required": ["kind"]},
    "then": {"properties": {"scope": {"const": "full"}}},
}


class ApiKeyCreate(RequestBody):
    name: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=MAX_NAME,
            pattern=NOT_BLANK,
            description="Not blank; no control characters.",
        ),
    ]
    kind: Annotated[KeyKind, Meta(description=_KIND)] = "secret"
    scope: Annotated[KeyScope, Meta(description=_SCOPE)] = "full"
    refusals = {"name": "blank", "kind": "invalid_key_kind", "scope": "invalid_scope"}
    explanations = {
        "kind": "kind must be secret or publishable.",
        "scope": "scope must be full or read_only.",
    }

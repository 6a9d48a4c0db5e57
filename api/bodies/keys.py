"""An API key as the API shows it, and what a client sends to create one."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from api.bodies.fields import NOT_BLANK, Body, Id, Time
from api.bodies.reading import RequestBody
from smartlinks.models import KeyKind

MAX_NAME = 100
_KIND = (
    "secret (`sl_...`): the whole API. publishable (`slp_...`): safe in a web page, it can only"
    " report conversions (`POST /api/v1/track/conversion`); anything else is 403 `key_not_allowed`."
)


class ApiKey(Body):
    id: Id
    name: str
    prefix: Annotated[str, Meta(description="The key's first characters, to tell keys apart.")]
    created_at: Time
    revoked_at: Time | None
    kind: Annotated[KeyKind, Meta(description=_KIND)]


class ApiKeyList(Body):
    items: list[ApiKey]


class ApiKeyCreated(ApiKey):
    key: Annotated[str, Meta(description="The key itself: shown this once only.")]


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
    refusals = {"name": "blank", "kind": "invalid_key_kind"}
    explanations = {"kind": "kind must be secret or publishable."}

"""Many links in one request: what a client sends, and each item's outcome.

Each item is a LinkCreate decoded on its own (api.link_input.new_link), so one bad item
earns its own error and the others go through: the request's Struct holds the items
undecoded and the document names their shape."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta

from api.bodies.fields import Body, Count, batch_of, schema_ref
from api.bodies.links import Link, LinkCreate
from api.bodies.reading import RequestBody
from api.errors import ErrorCode

MAX_ITEMS = 10_000


class BulkCreate(RequestBody):
    items: Annotated[list[Any], batch_of(LinkCreate, MAX_ITEMS, "bodies of a single create")]


class BulkCreated(Body):
    index: int
    status: Literal[201]
    link: Link


class ItemError(Body):
    code: ErrorCode
    message: str
    field: str | None


class BulkFailed(Body):
    index: int
    status: Annotated[int, Meta(description="409 or 422, as a single create.")]
    error: ItemError


# BulkCreated or BulkFailed: msgspec decodes a union of Structs only by a tag, which a
# status of 409 or 422 cannot be, so the document names the two itself.
Outcomes = Annotated[
    list[Any], Meta(extra_json_schema={"items": {"oneOf": [schema_ref(BulkCreated), schema_ref(BulkFailed)]}})
]


class BulkCreateResult(Body):
    items: Outcomes
    created: Count
    failed: Count

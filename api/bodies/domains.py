"""A tenant's own domain: how the API shows it, and what a client sends to add or change one."""

from __future__ import annotations

from typing import Annotated, ClassVar

from msgspec import UNSET, Meta, UnsetType

from api.bodies.fields import END, Body, Id, Time
from api.bodies.links import Url
from api.bodies.reading import RequestBody
from api.errors import ErrorCode
from smartlinks.domains import HOST_PATTERN, MAX_HOST

_NOT_FOUND_URL = (
    "Where a request for an unknown code on this domain is redirected (302); null: the"
    " service's own 404 page."
)
DomainName = Annotated[
    str,
    Meta(
        max_length=MAX_HOST,
        pattern=f"^{HOST_PATTERN}{END}",
        description="A DNS name such as go.example.com (any case; kept in lower case), without"
        " scheme, port, path or final dot; an international name in its xn-- form; not the"
        " service's own host. Point its DNS at the redirector behind TLS: short URLs on it are"
        " https://{domain}/{code}.",
    ),
]


class Domain(Body):
    id: Id
    domain: str
    not_found_url: Annotated[str | None, Meta(description=_NOT_FOUND_URL)]
    created_at: Time
    updated_at: Time


class DomainList(Body):
    items: Annotated[list[Domain], Meta(description="The tenant's domains, oldest first.")]


class DomainCreate(RequestBody):
    domain: DomainName
    not_found_url: Annotated[Url, Meta(description=_NOT_FOUND_URL)] | None = None
    refusals: ClassVar[dict[str, ErrorCode]] = {"domain": "invalid_domain"}


class DomainPatch(RequestBody):
    """Only not_found_url can change; null clears it. A domain's name cannot change: add
    the new one instead."""

    not_found_url: Annotated[Url, Meta(description=_NOT_FOUND_URL)] | UnsetType | None = UNSET

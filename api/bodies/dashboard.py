"""What the dashboard's sign-in sends (an API key), and the session it answers with."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from api.bodies.fields import Body, Time, text
from api.bodies.reading import RequestBody
from smartlinks.models import KeyScope

MAX_KEY = 256


class SignIn(RequestBody):
    key: Annotated[str, text(MAX_KEY)]


class SessionTenant(Body):
    id: str
    name: str


class Session(Body):
    """The dashboard's session, as sign-in and the session's status show it."""

    signed_in: Literal[True]
    tenant: SessionTenant
    key_ids: list[str]
    csrf_token: str
    expires_at: Time
    scope: Annotated[
        KeyScope, Meta(description="read_only when signed in with a read-only key: the page changes nothing.")
    ]


class SignedOut(Body):
    signed_in: Literal[False]

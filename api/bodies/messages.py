"""A message to rewrite with tracked links, and the message rewritten."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from api.bodies.fields import Body
from api.bodies.links import Label, Link
from api.bodies.reading import RequestBody

MAX_TEXT = 65_536  # characters; a long SMS is ~1,600, a WhatsApp message 65,536 at most
MAX_URLS = 100  # distinct destinations per message


class MessageToRewrite(RequestBody):
    text: Annotated[str, Meta(max_length=MAX_TEXT)]
    campaign: Label | None = None
    contact_id: Label | None = None


class RewrittenLink(Body):
    url: Annotated[str, Meta(description="The URL as it was in the text.")]
    link: Link


class RewrittenMessage(Body):
    text: str
    links: Annotated[list[RewrittenLink], Meta(max_length=MAX_URLS)]

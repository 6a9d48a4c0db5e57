"""A message to rewrite with tracked links, and the message rewritten."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta

from api.bodies.bulk import ItemError
from api.bodies.fields import Body, Count, documented, schema_ref
from api.bodies.links import Label, Link
from api.bodies.reading import RequestBody

MAX_TEXT = 65_536  # characters; a long SMS is ~1,600, a WhatsApp message 65,536 at most
MAX_URLS = 100  # distinct destinations per message
MAX_MESSAGES = 10_000  # a campaign sends one message a recipient


class MessageToRewrite(RequestBody):
    nulls_left_out = True  # a null text is as missing as one left out
    text: Annotated[str, Meta(max_length=MAX_TEXT)]
    campaign: Label | None = None
    contact_id: Label | None = None


class RewrittenLink(Body):
    url: Annotated[str, Meta(description="The URL as it was in the text.")]
    link: Link


class RewrittenMessage(Body):
    text: str
    links: Annotated[list[RewrittenLink], Meta(max_length=MAX_URLS)]


class MessagesToRewrite(RequestBody):
    """A campaign's messages, one a contact, rewritten in one go. Each item is the body of a
    single rewrite, decoded on its own: one bad item gets its own error, the others go
    through."""

    # Any item is taken: one that is not a MessageToRewrite is refused in its own result,
    # inside the 200 (the document cannot say "refused" of a part of a request it accepts,
    # and saying each item must be one would make the single rewrite's shape unprovable).
    messages: Annotated[
        list[Any],
        documented(
            f"1 to {MAX_MESSAGES:,} messages, each the body of a single rewrite (MessageToRewrite);"
            " one that is not gets its error in its own result.",
            minItems=1,
            maxItems=MAX_MESSAGES,
        ),
    ]


class MessageRewritten(RewrittenMessage):
    index: int
    status: Literal[200]


class MessageFailed(Body):
    index: int
    status: Annotated[int, Meta(description="422, as a single rewrite.")]
    error: ItemError


class RewrittenMessages(Body):
    items: Annotated[
        list[Any],
        Meta(
            description="One result an item, in order.",
            extra_json_schema={"items": {"oneOf": [schema_ref(MessageRewritten), schema_ref(MessageFailed)]}},
        ),
    ]
    rewritten: Count
    failed: Count

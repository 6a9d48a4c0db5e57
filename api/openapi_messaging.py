"""OpenAPI paths and schemas of bulk link creation and message rewriting (merged by
``api/openapi.py``)."""

from __future__ import annotations

from typing import Any

from api.bodies.bulk import MAX_ITEMS, BulkCreate, BulkCreated, BulkCreateResult, BulkFailed
from api.bodies.components import components
from api.bodies.fields import schema_ref
from api.bodies.messages import (
    MAX_MESSAGES,
    MessageFailed,
    MessageRewritten,
    MessagesToRewrite,
    MessageToRewrite,
    RewrittenMessage,
    RewrittenMessages,
)
from api.bulk_links import MAX_BULK_BODY
from api.idempotency import HEADER, MAX_KEY_LENGTH, REPLAYED_HEADER
from api.messages import MAX_BATCH_BODY
from api.openapi_parts import error, ok, operation

PATHS: dict[str, Any] = {
    "/api/v1/links/bulk": {
        "post": operation(
            "createLinksInBulk",
            f"Create up to {MAX_ITEMS} links in one request (body up to {MAX_BULK_BODY >> 20} MiB), each"
            " item the body of a single create. Results come in item order, each a created link or"
            " that item's error: one bad item does not fail the rest. Send an"
            f" `{HEADER}` (1-{MAX_KEY_LENGTH} visible ASCII characters) to make a retry safe: the same"
            " key and body within 24 hours return the first response (with"
            f" `{REPLAYED_HEADER}: true`) and create nothing.",
            {
                "200": ok("Per-item results.", "BulkCreateResult"),
                "400": error(
                    "invalid_json", "body_not_object", "client_disconnected", "invalid_idempotency_key"
                ),
                "422": error(
                    "unknown_field", "invalid_type", "no_items", "too_many_items", "idempotency_key_reused"
                ),
            },
            body="BulkCreate",
            parameters=[
                {
                    "name": HEADER,
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
                }
            ],
        )
    },
    "/api/v1/messages/rewrite": {
        "post": operation(
            "rewriteMessage",
            "Replace every http(s) URL in a message with a tracked short link: one link per distinct"
            " destination per campaign and contact, reused on later calls. Punctuation after a URL,"
            " WhatsApp formatting (`*bold*`, `_italic_`, `~strike~`) and all other text stay as they"
            " are; URLs that are already short links of this service are left alone. A campaign"
            f" sends `{{messages: [...]}}` instead: up to {MAX_MESSAGES:,} messages (one a contact, body"
            f" up to {MAX_BATCH_BODY >> 20} MiB) rewritten in one go, each result in item order, a"
            " rewritten message or that item's error: one bad item does not fail the rest.",
            {
                "200": ok(
                    "The rewritten text and the links used, in order of first appearance (for a"
                    " batch, each message's).",
                    "MessageRewriteResult",
                ),
                "422": error(
                    "missing_field",
                    "unknown_field",
                    "invalid_type",
                    "too_long",
                    "control_characters",
                    "too_many_urls",
                    "no_items",
                    "too_many_items",
                ),
            },
            body="MessageRewrite",
        )
    },
}

_BODIES = (
    BulkCreate, BulkCreateResult, BulkCreated, BulkFailed, MessageToRewrite, RewrittenMessage,
    MessagesToRewrite, RewrittenMessages, MessageRewritten, MessageFailed,
)  # fmt: skip
SCHEMAS: dict[str, Any] = {
    **components(_BODIES),
    # One message, or a batch: msgspec cannot tag the two, so the document joins them here.
    "MessageRewrite": {"oneOf": [schema_ref(MessageToRewrite), schema_ref(MessagesToRewrite)]},
    "MessageRewriteResult": {"oneOf": [schema_ref(RewrittenMessage), schema_ref(RewrittenMessages)]},
}

"""A webhook, its deliveries and the events it POSTs, as the API shows them, and what a
client sends to create or change one.

The decoder takes each field's type; what a type cannot say is checked after decoding with
codes of its own: the URL (its host must resolve to public addresses, ``smartlinks.netguard``,
``invalid_webhook_url``/``webhook_url_forbidden``), the events (``invalid_event``) and the
link (``link_not_found``). The document states those constraints all the same.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, UnsetType

from api.bodies.analytics import Click
from api.bodies.attribution import Attributed
from api.bodies.fields import END, ID_PATTERN, Body, Count, Id, NextCursor, Time, documented
from api.bodies.links import Label, LinkRef
from api.bodies.reading import RequestBody
from smartlinks.netguard import MAX_URL_LENGTH
from smartlinks.webhooks import ATTEMPTS_SHOWN, EVENTS, MAX_WEBHOOKS_PER_TENANT

_EVENT_NAMES = {"type": "string", "enum": list(EVENTS)}
# The store keeps an event's type as text: the document names the values it can hold.
EventName = Annotated[str, Meta(extra_json_schema={"enum": list(EVENTS)})]

Url = Annotated[
    str,
    documented(
        "Where deliveries are POSTed: http or https, no credentials or #fragment. Its host must"
        " resolve to public addresses only, unless the deployment sets SMARTLINKS_WEBHOOK_ALLOW_PRIVATE;"
        " it is checked again before every attempt. Redirects are not followed.",
        minLength=1,
        maxLength=MAX_URL_LENGTH,
    ),
]
# Items of any type: a wrong one is invalid_type of the whole list, an unknown name
# invalid_event (WebhookEndpoints.events).
Events = Annotated[
    list[Any],
    documented(
        "Event types to deliver: `link.clicked` (a click on a link), `conversion.recorded` (a"
        ' conversion sent to POST /api/v1/events, once attributed); default `["link.clicked"]`.',
        items=_EVENT_NAMES,
        minItems=1,
    ),
]
Campaign = Annotated[
    Label | None,
    Meta(description="Only clicks of links of this campaign, and conversions of it; null: any campaign."),
]
# An id no link has is link_not_found, as a well-formed id of another tenant's link is.
LinkId = Annotated[
    Annotated[str, Meta(extra_json_schema={"pattern": ID_PATTERN})] | None,
    Meta(
        description="Only clicks of this link of the tenant, and conversions attributed to a click on it"
        " (a conversion without a click has no link); null: any."
    ),
]
IncludeBots = Annotated[
    bool,
    Meta(
        description="Deliver bot clicks too (link previews, crawlers, HEAD); default false. Conversions"
        " are never bots."
    ),
]


class Webhook(Body):
    id: Id
    url: str
    events: list[EventName]
    campaign: str | None
    link_id: str | None
    include_bots: bool
    enabled: bool
    disabled_reason: Annotated[
        str | None,
        Meta(
            description="Why the service disabled it (its endpoint failed for the whole retry period);"
            " null when enabled or disabled through the API."
        ),
    ]
    created_at: Time
    updated_at: Time


class WebhookList(Body):
    items: list[Webhook]


class WebhookCreated(Webhook):
    secret: Annotated[
        str,
        Meta(
            pattern="^whsec_",
            description="Signs every delivery (`Smartlinks-Signature`); shown this once only.",
        ),
    ]


class WebhookCreate(RequestBody):
    url: Url
    events: Events | UnsetType = UNSET
    campaign: Campaign = None
    link_id: LinkId = None
    include_bots: IncludeBots = False


# The document's description of the body: a docstring cannot hold the limit.
WebhookCreate.__doc__ = (
    "Both filters may be set (a click must pass both)."
    f" At most {MAX_WEBHOOKS_PER_TENANT} webhooks per tenant."
)


class WebhookPatch(RequestBody):
    """Fields left out stay as they are; null clears campaign or link_id."""

    url: Url | UnsetType = UNSET
    events: Events | UnsetType = UNSET
    campaign: Campaign | UnsetType = UNSET
    link_id: LinkId | UnsetType = UNSET
    include_bots: IncludeBots | UnsetType = UNSET
    enabled: bool | UnsetType = UNSET


class WebhookAttempt(Body):
    at: Time
    status_code: Annotated[int | None, Meta(description="null: no HTTP answer (see error).")]
    error: Annotated[str | None, Meta(description="Connection failure, timeout or refused address.")]
    body: Annotated[str | None, Meta(description="The first KiB of the response body.")]
    duration_ms: Count


class WebhookDelivery(Body):
    id: Annotated[Id, Meta(description="Stable across retries: the receiver's de-duplication key.")]
    event_id: Annotated[
        str,
        Meta(
            description="The click's id (`link.clicked`), or the conversion's id as sent"
            " (`conversion.recorded`)."
        ),
    ]
    type: EventName
    status: Annotated[str, Meta(extra_json_schema={"enum": ["pending", "delivered", "failed"]})]
    attempts: Annotated[Count, Meta(description="Attempts made so far.")]
    created_at: Time
    next_attempt_at: Annotated[
        Time | None,
        Meta(description="When pending: when the next attempt is due (null while the webhook is disabled)."),
    ]
    delivered_at: Time | None
    last_response: WebhookAttempt | None
    attempt_log: Annotated[
        list[WebhookAttempt], Meta(description=f"The latest {ATTEMPTS_SHOWN} attempts, newest first.")
    ]


class WebhookDeliveryList(Body):
    items: list[WebhookDelivery]
    next_cursor: NextCursor


# What a webhook receives (smartlinks.webhooks builds it; the end-to-end test reads it back).
DeliveryId = Annotated[Id, Meta(description="The delivery id, the same on every retry: de-duplicate by it.")]


class WebhookLink(LinkRef):
    campaign: str | None
    contact_id: str | None


class WebhookClick(Click):
    campaign: str | None


class LinkClickedData(Body):
    link: WebhookLink
    click: WebhookClick


class LinkClickedEvent(Body):
    """`link.clicked`: a click on a link the webhook hears."""

    id: DeliveryId
    type: Literal["link.clicked"]
    created_at: Time
    data: LinkClickedData


class WebhookConversion(Attributed):
    id: Annotated[str, Meta(description="The conversion's id, as sent.")]
    name: Annotated[str, Meta(description="What was completed: purchase, signup, ...")]
    value: Annotated[
        Annotated[str, Meta(pattern=rf"^[0-9]+(\.[0-9]+)?{END}")] | None,
        Meta(description="A decimal as text (no float rounding), as recorded; null without one."),
    ]
    currency: Annotated[
        Annotated[str, Meta(pattern=f"^[A-Z]{{3}}{END}")] | None, Meta(description="ISO 4217, with value.")
    ]
    campaign: str | None
    contact_id: str | None


class ConversionRecordedData(Body):
    conversion: WebhookConversion


class ConversionRecordedEvent(Body):
    """`conversion.recorded`: a conversion of the webhook's campaign (and link), once stored
    and attributed. A conversion sent again under the same id is delivered once."""

    id: DeliveryId
    type: Literal["conversion.recorded"]
    created_at: Time
    occurred_at: Annotated[
        Time, Meta(description="When the conversion happened (its `at`), RFC 3339 in UTC.")
    ]
    data: ConversionRecordedData

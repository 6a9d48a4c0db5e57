"""Webhooks: the records the API, the store and the consumer share.

A webhook says where to POST which events of a tenant: clicks (``link.clicked``),
conversions (``conversion.recorded``) or both; all of them, one link's or one campaign's
(bot clicks only when asked). Each event it matches becomes one ``Delivery`` with a
stable id, tried until the endpoint answers 2xx or the retry period runs out; each try
is a ``DeliveryAttempt`` kept for the deliveries log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime

from msgspec import UNSET

from smartlinks.models import Page, Unset

LINK_CLICKED = "link.clicked"
CONVERSION_RECORDED = "conversion.recorded"
EVENTS = (LINK_CLICKED, CONVERSION_RECORDED)
DEFAULT_EVENTS = (LINK_CLICKED,)  # what a webhook hears when it names no events
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
MAX_WEBHOOKS_PER_TENANT = 100
ATTEMPTS_SHOWN = 10  # of each delivery in its log, newest first (``attempts`` counts all)

# Delivery states.
PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"


def event_key(event_type: str, event_id: str) -> str:
    """How the store keys a delivery's event: a webhook gets one delivery per key. A click
    is keyed by its id; a conversion by its type and id, since the sender chooses that id
    and it may well equal a click's (the ``sl_click`` value sent back as the order id)."""
    return event_id if event_type == LINK_CLICKED else f"{event_type}:{event_id}"


def event_of_key(event_type: str, key: str) -> str:
    """The event id ``event_key`` made ``key`` from."""
    prefix = f"{event_type}:"
    return key.removeprefix(prefix) if event_type != LINK_CLICKED else key


def new_secret() -> str:
    """A signing secret: shown to the tenant once, kept by the store to sign every delivery."""
    return SECRET_PREFIX + secrets.token_hex(24)


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    tenant_id: str
    url: str
    events: tuple[str, ...]
    campaign: str | None
    link_id: str | None
    include_bots: bool
    enabled: bool
    disabled_reason: str | None
    secret: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class NewWebhook:
    tenant_id: str
    url: str
    events: tuple[str, ...] = DEFAULT_EVENTS
    campaign: str | None = None
    link_id: str | None = None
    include_bots: bool = False


@dataclass(frozen=True, slots=True)
class WebhookPatch:
    """Fields left ``UNSET`` stay as they are; ``None`` clears campaign or link_id."""

    url: str | Unset = UNSET
    events: tuple[str, ...] | Unset = UNSET
    campaign: str | Unset | None = UNSET
    link_id: str | Unset | None = UNSET
    include_bots: bool | Unset = UNSET
    enabled: bool | Unset = UNSET

    def applied_to(self, hook: Webhook, now: datetime) -> Webhook:
        """``hook`` with this patch applied. Enabling it again clears the reason it was
        disabled for, so its failures are counted afresh."""
        changed = replace(hook, updated_at=now)
        for name in ("url", "events", "campaign", "link_id", "include_bots", "enabled"):
            value = getattr(self, name)
            if not isinstance(value, Unset):
                changed = replace(changed, **{name: value})
        if changed.enabled:
            changed = replace(changed, disabled_reason=None)
        return changed


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """One POST of a delivery and what came back (``status_code`` None: no HTTP answer)."""

    at: datetime
    status_code: int | None
    error: str | None
    body: str | None  # the first KiB of the response body
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to enqueue: its id is made up front because the body names it."""

    id: str
    webhook_id: str
    tenant_id: str
    event_id: str  # the click's or the conversion's id (keyed by ``event_key`` in the store)
    type: str
    payload: bytes  # the exact body every attempt sends
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    webhook_id: str
    event_id: str
    type: str
    status: str  # pending | delivered | failed
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    attempt_log: list[DeliveryAttempt] = field(default_factory=list)  # newest first

    @property
    def last_response(self) -> DeliveryAttempt | None:
        return self.attempt_log[0] if self.attempt_log else None


DeliveryPage = Page[Delivery]


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A due delivery a worker has leased for one attempt, with what it needs to make it."""

    id: str
    webhook_id: str
    type: str  # the event type, for the Smartlinks-Event header
    url: str
    secret: str
    payload: bytes
    attempts: int  # attempts made before this one
    created_at: datetime
    lease: str  # the claim's token: only its holder may record the attempt


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What an attempt leads to, decided by the delivery worker, written by the store."""

    status: str  # pending (retry at next_attempt_at) | delivered | failed (gave up)
    next_attempt_at: datetime | None
    # When the delivery gave up: disable the webhook with this reason if nothing it was
    # sent has succeeded since this delivery's first attempt.
    disable_reason: str | None = None


class WebhookLimitReached(Exception):
    """The tenant already has ``MAX_WEBHOOKS_PER_TENANT`` webhooks."""

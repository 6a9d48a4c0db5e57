"""Webhook rows and models, one into the other, the same for both engines (see ``rows``:
rows read by column name, times in integer milliseconds)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smartlinks.ids import new_id
from smartlinks.models import from_ms, to_ms
from smartlinks.store.rows import MS, Codec, ModelRow, Row, in_order, time_or_none
from smartlinks.webhooks import (
    DELIVERED,
    PENDING,
    ClaimedDelivery,
    Delivery,
    DeliveryAttempt,
    NewDelivery,
    NewWebhook,
    Webhook,
    event_key,
    event_of_key,
    new_secret,
)

# A webhook's events are kept comma-separated.
webhook = ModelRow(
    Webhook,
    events=Codec(lambda events: tuple(events.split(",")), ",".join),
    include_bots=bool,
    enabled=bool,
    created_at=MS,
    updated_at=MS,
)
attempt = ModelRow(DeliveryAttempt, at=MS)
# The lease is the claim's own, not the row's.
claimed = ModelRow(ClaimedDelivery, supplied=("lease",), payload=bytes, created_at=MS)

WEBHOOK_COLUMNS = webhook.columns
DELIVERY_COLUMNS = (
    "id, webhook_id, event_id, type, status, attempts, created_at, next_attempt_at, finished_at"
)
ATTEMPT_COLUMNS = f"delivery_id, n, {attempt.columns}"
# Read from deliveries ``d`` joined with their webhook ``w``: its url and secret.
CLAIM_COLUMNS = ", ".join(f"{'w' if name in ('url', 'secret') else 'd'}.{name}" for name in claimed.names)
NEW_DELIVERY_COLUMNS = (
    "id, webhook_id, tenant_id, event_id, type, payload, status, created_at, next_attempt_at"
)


def new_webhook(new: NewWebhook, now: datetime) -> Webhook:
    """The webhook to insert for ``new``: a fresh id and signing secret, enabled."""
    return Webhook(
        id=new_id(),
        tenant_id=new.tenant_id,
        url=new.url,
        events=new.events,
        campaign=new.campaign,
        link_id=new.link_id,
        include_bots=new.include_bots,
        enabled=True,
        disabled_reason=None,
        secret=new_secret(),
        created_at=now,
        updated_at=now,
    )


def webhook_values(hook: Webhook) -> tuple[Any, ...]:
    """The values of ``WEBHOOK_COLUMNS`` for ``hook``."""
    return webhook.values(hook)


# What an edit sets, in the order of ``edited_webhook_values``.
WEBHOOK_EDIT_COLUMNS = (
    "url", "events", "campaign", "link_id", "include_bots", "enabled", "disabled_reason", "updated_at",
)  # fmt: skip


def edited_webhook_values(hook: Webhook) -> tuple[Any, ...]:
    """What an edit sets, in the order of ``WEBHOOK_EDIT_COLUMNS``."""
    return in_order(webhook.kept(hook), WEBHOOK_EDIT_COLUMNS)


def attempt_values(delivery_id: str, n: int, made: DeliveryAttempt) -> tuple[Any, ...]:
    """The values of ``ATTEMPT_COLUMNS``."""
    return (delivery_id, n, *attempt.values(made))


def delivery(row: Row, attempts: list[DeliveryAttempt]) -> Delivery:
    status: str = row["status"]
    return Delivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        event_id=event_of_key(row["type"], row["event_id"]),
        type=row["type"],
        status=status,
        attempts=row["attempts"],
        created_at=from_ms(row["created_at"]),
        next_attempt_at=time_or_none(row["next_attempt_at"]) if status == PENDING else None,
        delivered_at=time_or_none(row["finished_at"]) if status == DELIVERED else None,
        attempt_log=attempts,
    )


def new_delivery_values(new: NewDelivery) -> tuple[Any, ...]:
    """The values of ``NEW_DELIVERY_COLUMNS``: pending, due at once, the event keyed so
    that a webhook gets one delivery per event (``event_key``)."""
    created = to_ms(new.created_at)
    return (
        new.id,
        new.webhook_id,
        new.tenant_id,
        event_key(new.type, new.event_id),
        new.type,
        new.payload,
        PENDING,
        created,
        created,
    )

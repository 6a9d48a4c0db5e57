"""Webhook rows and models, one into the other, the same for both engines (see ``rows``:
rows read by column name, times in integer milliseconds)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from smartlinks.ids import new_id
from smartlinks.models import from_ms, to_ms
from smartlinks.store.rows import Row, time_or_none
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

WEBHOOK_COLUMNS = (
    "id, tenant_id, url, secret, events, campaign, link_id, include_bots, enabled, disabled_reason,"
    " created_at, updated_at"
)
DELIVERY_COLUMNS = (
    "id, webhook_id, event_id, type, status, attempts, created_at, next_attempt_at, finished_at"
)
ATTEMPT_COLUMNS = "delivery_id, n, at, status_code, error, body, duration_ms"
# Read from deliveries ``d`` joined with their webhook ``w``.
CLAIM_COLUMNS = "d.id, d.webhook_id, d.type, d.payload, d.attempts, d.created_at, w.url, w.secret"
NEW_DELIVERY_COLUMNS = (
    "id, webhook_id, tenant_id, event_id, type, payload, status, created_at, next_attempt_at"
)


def webhook(row: Row) -> Webhook:
    return Webhook(
        id=row["id"],
        tenant_id=row["tenant_id"],
        url=row["url"],
        events=tuple(row["events"].split(",")),
        campaign=row["campaign"],
        link_id=row["link_id"],
        include_bots=bool(row["include_bots"]),
        enabled=bool(row["enabled"]),
        disabled_reason=row["disabled_reason"],
        secret=row["secret"],
        created_at=from_ms(row["created_at"]),
        updated_at=from_ms(row["updated_at"]),
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


def _stored(hook: Webhook) -> dict[str, Any]:
    """Each column of ``WEBHOOK_COLUMNS`` with what the store keeps of ``hook``."""
    return {
        "id": hook.id,
        "tenant_id": hook.tenant_id,
        "url": hook.url,
        "secret": hook.secret,
        "events": ",".join(hook.events),
        "campaign": hook.campaign,
        "link_id": hook.link_id,
        "include_bots": hook.include_bots,
        "enabled": hook.enabled,
        "disabled_reason": hook.disabled_reason,
        "created_at": to_ms(hook.created_at),
        "updated_at": to_ms(hook.updated_at),
    }


def webhook_values(hook: Webhook) -> tuple[Any, ...]:
    """The values of ``WEBHOOK_COLUMNS`` for ``hook``."""
    stored = _stored(hook)
    return tuple(stored[column.strip()] for column in WEBHOOK_COLUMNS.split(","))


# What an edit sets, in the order of ``edited_webhook_values``.
WEBHOOK_EDIT_COLUMNS = (
    "url", "events", "campaign", "link_id", "include_bots", "enabled", "disabled_reason", "updated_at",
)  # fmt: skip


def edited_webhook_values(hook: Webhook) -> tuple[Any, ...]:
    """What an edit sets, in the order of ``WEBHOOK_EDIT_COLUMNS``."""
    stored = _stored(hook)
    return tuple(stored[column] for column in WEBHOOK_EDIT_COLUMNS)


def attempt(row: Row) -> DeliveryAttempt:
    return DeliveryAttempt(
        at=from_ms(row["at"]),
        status_code=row["status_code"],
        error=row["error"],
        body=row["body"],
        duration_ms=row["duration_ms"],
    )


def attempt_values(delivery_id: str, n: int, attempt: DeliveryAttempt) -> tuple[Any, ...]:
    """The values of ``ATTEMPT_COLUMNS``."""
    return (
        delivery_id,
        n,
        to_ms(attempt.at),
        attempt.status_code,
        attempt.error,
        attempt.body,
        attempt.duration_ms,
    )


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


def claimed(row: Row, lease: str) -> ClaimedDelivery:
    return ClaimedDelivery(
        id=row["id"],
        webhook_id=row["webhook_id"],
        type=row["type"],
        url=row["url"],
        secret=row["secret"],
        payload=bytes(row["payload"]),
        attempts=row["attempts"],
        created_at=from_ms(row["created_at"]),
        lease=lease,
    )

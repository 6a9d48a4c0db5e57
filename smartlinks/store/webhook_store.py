"""Webhooks and their deliveries (``store.webhooks``), each query written once for every
engine, on the link store's ``Database``.

Claiming is the one place the engines need different SQL. On PostgreSQL every consumer
process runs a delivery worker against the same tables, so a claim is one statement that
picks the oldest due deliveries of each enabled webhook with ``FOR UPDATE SKIP LOCKED``
(rows another worker is claiming right now are passed over, not waited for) and leases
them in the same breath. One process owns an SQLite file, and SQLite has no LATERAL: there
a claim picks and leases in steps, inside a transaction that holds the one write lock.
Either way no two workers attempt one delivery, and a worker that dies leaves its
deliveries due again when their leases end.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from smartlinks.ids import new_id
from smartlinks.models import Link, Page, to_ms, utcnow
from smartlinks.store import rows
from smartlinks.store import webhooks_rows as wrows
from smartlinks.store.database import Database, Transaction
from smartlinks.webhooks import (
    ATTEMPTS_SHOWN,
    PENDING,
    AttemptOutcome,
    ClaimedDelivery,
    DeliveryAttempt,
    DeliveryPage,
    NewDelivery,
    NewWebhook,
    Webhook,
    WebhookLimitReached,
    WebhookPatch,
)

_PRUNE_BATCH = 1000
# A success is noted on the webhook at most once a second: a busy endpoint's successes
# would otherwise all queue on its row.
_SUCCESS_EVERY_MS = 1000
_SUCCEEDED = (
    "UPDATE webhooks SET last_success_at = ? WHERE id = ?"
    " AND (last_success_at IS NULL OR last_success_at < ?)"
)
# The disabling rule: nothing sent to the webhook has succeeded since this delivery's
# first attempt (nor was the webhook enabled again since).
_NO_SUCCESS_SINCE_FIRST_ATTEMPT = (
    "(last_success_at IS NULL OR last_success_at <"
    " (SELECT at FROM webhook_attempts WHERE delivery_id = ? AND n = 1))"
)
# A tenant's webhook, by (webhook id, tenant id): read, or read to rewrite it.
_TENANTS_WEBHOOK = f"SELECT {wrows.WEBHOOK_COLUMNS} FROM webhooks WHERE id = ? AND tenant_id = ?"
_DUE = "status = 'pending' AND next_attempt_at <= ?"
# A disabled webhook's pending deliveries leave the due index (NULL is never due), so
# workers do not wade through them on every claim.
_PARK = (
    "UPDATE webhook_deliveries SET next_attempt_at = NULL"
    " WHERE webhook_id = ? AND status = 'pending' AND lease IS NULL"
)
# The oldest due few of each webhook (LATERAL, on the per-webhook index), then the oldest
# of those: one endpoint's backlog cannot fill every slot.
_CLAIM_SKIP_LOCKED = (
    "WITH picked AS ("
    " SELECT d.id FROM webhooks w CROSS JOIN LATERAL ("
    "  SELECT id, next_attempt_at FROM webhook_deliveries"
    f"  WHERE webhook_id = w.id AND {_DUE}"
    "  ORDER BY next_attempt_at LIMIT ? FOR UPDATE SKIP LOCKED) d"
    " WHERE w.enabled AND NOT (w.id = ANY(?::text[]))"
    " ORDER BY d.next_attempt_at LIMIT ?)"
    " UPDATE webhook_deliveries d SET next_attempt_at = ?, lease = ?"
    " FROM picked, webhooks w WHERE d.id = picked.id AND w.id = d.webhook_id"
    f" RETURNING {wrows.CLAIM_COLUMNS}"
)


class WebhookStore:
    """Webhooks and their deliveries (``store.webhooks``): managed by the API, fed by the
    consumer's trigger, drained by its delivery worker."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- the API ----------------------------------------------------------------------

    async def create_webhook(self, new: NewWebhook, limit: int) -> Webhook:
        """Insert a webhook with a fresh secret; raise ``WebhookLimitReached`` if the
        tenant has ``limit`` already."""
        hook = wrows.new_webhook(new, rows.now())
        async with self.db.transaction() as tx:
            # The tenant's row lock (PostgreSQL) queues concurrent creations, so the count holds.
            await tx.one(f"SELECT 1 FROM tenants WHERE id = ?{self.db.dialect.for_update}", (new.tenant_id,))
            row = await tx.one("SELECT count(*) AS n FROM webhooks WHERE tenant_id = ?", (new.tenant_id,))
            if row is not None and row["n"] >= limit:
                raise WebhookLimitReached(new.tenant_id)
            await tx.execute(
                rows.insert("webhooks", wrows.WEBHOOK_COLUMNS),
                wrows.webhook_values(hook),
            )
        return hook

    async def get_webhook(self, tenant_id: str, webhook_id: str) -> Webhook | None:
        row = await self.db.one(_TENANTS_WEBHOOK, (webhook_id, tenant_id))
        return None if row is None else wrows.webhook(row)

    async def list_webhooks(self, tenant_id: str) -> list[Webhook]:
        """The tenant's webhooks, newest first."""
        found = await self.db.all(
            f"SELECT {wrows.WEBHOOK_COLUMNS} FROM webhooks WHERE tenant_id = ? ORDER BY id DESC", (tenant_id,)
        )
        return [wrows.webhook(row) for row in found]

    async def update_webhook(self, tenant_id: str, webhook_id: str, patch: WebhookPatch) -> Webhook | None:
        """Apply ``patch``; enabling a webhook also forgets its failures."""
        async with self.db.transaction() as tx:
            row = await tx.one(_TENANTS_WEBHOOK + self.db.dialect.for_update, (webhook_id, tenant_id))
            if row is None:
                return None
            current = wrows.webhook(row)
            hook = patch.applied_to(current, rows.now())
            await tx.execute(
                f"UPDATE webhooks SET {rows.set_clause(wrows.WEBHOOK_EDIT_COLUMNS)} WHERE id = ?",
                (*wrows.edited_webhook_values(hook), webhook_id),
            )
            if hook.enabled and not current.enabled:
                # Its failures start afresh, and deliveries parked while it was off are due.
                await tx.execute(
                    "UPDATE webhooks SET last_success_at = ? WHERE id = ?",
                    (to_ms(hook.updated_at), webhook_id),
                )
                await tx.execute(
                    "UPDATE webhook_deliveries SET next_attempt_at = ?"
                    " WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at IS NULL",
                    (to_ms(hook.updated_at), webhook_id),
                )
            elif current.enabled and not hook.enabled:
                await tx.execute(_PARK, (webhook_id,))
        return hook

    async def delete_webhook(self, tenant_id: str, webhook_id: str) -> bool:
        """Delete a webhook with its deliveries."""
        async with self.db.transaction() as tx:
            deleted = await tx.execute(
                "DELETE FROM webhooks WHERE id = ? AND tenant_id = ?", (webhook_id, tenant_id)
            )
        return deleted > 0

    async def list_deliveries(
        self, tenant_id: str, webhook_id: str, limit: int, after_id: str | None
    ) -> DeliveryPage:
        """A webhook's deliveries, newest first, each with its latest attempts."""
        where = "webhook_id = ? AND tenant_id = ?"
        params: list[Any] = [webhook_id, tenant_id]
        if after_id is not None:
            where += " AND id < ?"
            params.append(after_id)
        found = await self.db.all(
            f"SELECT {wrows.DELIVERY_COLUMNS} FROM webhook_deliveries WHERE {where} ORDER BY id DESC LIMIT ?",
            (*params, limit + 1),
        )
        page = found[:limit]
        log: dict[str, list[DeliveryAttempt]] = {row["id"]: [] for row in page}
        if page:
            match, ids = self.db.dialect.in_list("delivery_id", list(log))
            attempts = await self.db.all(
                f"SELECT {wrows.ATTEMPT_COLUMNS} FROM webhook_attempts"
                f" WHERE {match} ORDER BY delivery_id, n DESC",
                ids,
            )
            for row in attempts:
                shown = log[row["delivery_id"]]
                if len(shown) < ATTEMPTS_SHOWN:
                    shown.append(wrows.attempt(row))
        items = [wrows.delivery(row, log[row["id"]]) for row in page]
        return Page(items, items[-1].id if len(found) > limit else None)

    # -- the trigger ------------------------------------------------------------------

    async def enabled_webhooks(self) -> list[Webhook]:
        """Every enabled webhook of every tenant."""
        found = await self.db.all(
            f"SELECT {wrows.WEBHOOK_COLUMNS} FROM webhooks WHERE enabled = TRUE ORDER BY id DESC"
        )
        return [wrows.webhook(row) for row in found]

    async def links_by_id(self, link_ids: Collection[str]) -> dict[str, Link]:
        """The live links among ``link_ids``, by id, whatever their tenant."""
        found: dict[str, Link] = {}
        for chunk in self.db.dialect.chunks(list(link_ids)):
            match, params = self.db.dialect.in_list("id", chunk)
            for row in await self.db.all(
                f"SELECT {rows.LINK_COLUMNS} FROM links WHERE {match} AND deleted_at IS NULL", params
            ):
                found[row["id"]] = rows.link(row)
        return found

    async def enqueue_deliveries(self, deliveries: Sequence[NewDelivery]) -> int:
        """Insert pending deliveries in one transaction; skip those whose (webhook, event)
        is already there or whose webhook is gone or disabled. Returns how many were new."""
        if not deliveries:
            return 0
        async with self.db.transaction() as tx:
            return await tx.executemany(
                f"INSERT INTO webhook_deliveries ({wrows.NEW_DELIVERY_COLUMNS})"
                f" SELECT {rows.placeholders(wrows.NEW_DELIVERY_COLUMNS)}"
                " WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ? AND enabled = TRUE)"
                " ON CONFLICT (webhook_id, event_id) DO NOTHING",
                [(*wrows.new_delivery_values(new), new.webhook_id) for new in deliveries],
            )

    # -- the delivery worker ----------------------------------------------------------

    async def claim_deliveries(
        self, limit: int, lease_seconds: float, per_webhook: int, skip_webhooks: Collection[str] = ()
    ) -> list[ClaimedDelivery]:
        """Lease up to ``limit`` due deliveries of enabled webhooks, at most ``per_webhook``
        of any one and none of ``skip_webhooks``, oldest due first, so that no other
        worker attempts them until the lease ends."""
        now = to_ms(utcnow())
        # Most polls find nothing due: a probe of the due index answers those, unlocked.
        if await self.db.one(f"SELECT 1 FROM webhook_deliveries WHERE {_DUE} LIMIT 1", (now,)) is None:
            return []
        lease = new_id()
        lease_end = now + int(lease_seconds * 1000)
        async with self.db.transaction() as tx:
            if self.db.dialect.concurrent_writers:
                found = await tx.all(
                    _CLAIM_SKIP_LOCKED, (now, per_webhook, list(skip_webhooks), limit, lease_end, lease)
                )
            else:
                found = await _claim_in_steps(tx, now, limit, per_webhook, skip_webhooks, lease_end, lease)
        return sorted((wrows.claimed(row, lease=lease) for row in found), key=lambda claimed: claimed.id)

    async def record_attempt(
        self, claimed: ClaimedDelivery, attempt: DeliveryAttempt, outcome: AttemptOutcome
    ) -> bool:
        """Log an attempt and move the delivery on, if the lease is still held; track the
        webhook's failures and disable it as ``outcome`` says. True if it was disabled."""
        at = to_ms(attempt.at)
        finished = None if outcome.status == PENDING else at
        next_at = None if outcome.next_attempt_at is None else to_ms(outcome.next_attempt_at)
        async with self.db.transaction() as tx:
            moved = await tx.one(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?, next_attempt_at = ?,"
                " finished_at = ?, lease = NULL WHERE id = ? AND lease = ? RETURNING attempts",
                (outcome.status, next_at, finished, claimed.id, claimed.lease),
            )
            if moved is None:
                return False  # the lease ran out and another attempt owns the delivery now
            await tx.execute(
                rows.insert("webhook_attempts", wrows.ATTEMPT_COLUMNS),
                wrows.attempt_values(claimed.id, moved["attempts"], attempt),
            )
            if attempt.ok:
                await tx.execute(_SUCCEEDED, (at, claimed.webhook_id, at - _SUCCESS_EVERY_MS))
                return False
            if outcome.disable_reason is None:
                return False
            disabled = await tx.execute(
                "UPDATE webhooks SET enabled = FALSE, disabled_reason = ?, updated_at = ?"
                f" WHERE id = ? AND enabled = TRUE AND {_NO_SUCCESS_SINCE_FIRST_ATTEMPT}",
                (outcome.disable_reason, at, claimed.webhook_id, claimed.id),
            )
            if disabled:
                await tx.execute(_PARK, (claimed.webhook_id,))
            return disabled > 0

    async def release_deliveries(self, claimed: Sequence[ClaimedDelivery]) -> None:
        """Give leased deliveries back unattempted: due again at once."""
        if not claimed:
            return
        now = to_ms(utcnow())
        async with self.db.transaction() as tx:
            await tx.executemany(
                "UPDATE webhook_deliveries SET next_attempt_at = ?, lease = NULL"
                " WHERE id = ? AND lease = ? AND status = 'pending'",
                [(now, item.id, item.lease) for item in claimed],
            )

    async def count_pending(self) -> int:
        row = await self.db.one("SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'")
        return 0 if row is None else int(row["n"])

    async def prune_deliveries(self, before: datetime) -> int:
        """Delete deliveries created before ``before``; return how many."""
        pruned = 0
        while True:
            # A batch per transaction: a long prune never holds the write lock for long.
            async with self.db.transaction() as tx:
                deleted = await tx.execute(
                    "DELETE FROM webhook_deliveries WHERE id IN"
                    " (SELECT id FROM webhook_deliveries WHERE created_at < ? LIMIT ?)",
                    (to_ms(before), _PRUNE_BATCH),
                )
            pruned += deleted
            if deleted < _PRUNE_BATCH:
                return pruned


async def _claim_in_steps(
    tx: Transaction,
    now: int,
    limit: int,
    per_webhook: int,
    skip: Collection[str],
    lease_end: int,
    lease: str,
) -> list[rows.Row]:
    """The claim where the transaction excludes every other writer (SQLite)."""
    hooks = [
        row["id"]
        for row in await tx.all("SELECT id FROM webhooks WHERE enabled = TRUE")
        if row["id"] not in skip
    ]
    candidates: list[tuple[int, str]] = []
    for hook_id in hooks:
        candidates.extend(
            (row["next_attempt_at"], row["id"])
            for row in await tx.all(
                "SELECT next_attempt_at, id FROM webhook_deliveries"
                f" WHERE webhook_id = ? AND {_DUE} ORDER BY next_attempt_at LIMIT ?",
                (hook_id, now, per_webhook),
            )
        )
    picked = [delivery_id for _, delivery_id in sorted(candidates)[:limit]]
    if not picked:
        return []
    await tx.execute(
        "UPDATE webhook_deliveries SET next_attempt_at = ?, lease = ?"
        f" WHERE id IN ({rows.marks(len(picked))})",
        (lease_end, lease, *picked),
    )
    return await tx.all(
        f"SELECT {wrows.CLAIM_COLUMNS} FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
        f" WHERE d.id IN ({rows.marks(len(picked))})",
        picked,
    )

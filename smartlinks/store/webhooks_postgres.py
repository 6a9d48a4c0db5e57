"""Webhooks and their deliveries on PostgreSQL (``PostgresLinkStore.webhooks``).

Every consumer process runs a delivery worker against the same tables. A claim is one
statement: it picks the oldest due deliveries of each enabled webhook with ``FOR UPDATE
SKIP LOCKED`` (rows another worker is claiming right now are passed over, not waited
for) and leases them in the same breath, so two workers never attempt one delivery, and
one that dies leaves its deliveries due again when their leases end.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from smartlinks.ids import new_id
from smartlinks.models import Link, to_ms, utcnow
from smartlinks.store import rows
from smartlinks.store import webhooks_rows as wrows
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

if TYPE_CHECKING:
    from smartlinks.store.postgres import Connection, PostgresLinkStore

_PRUNE_BATCH = 1000
# A success is noted on the webhook at most once a second: a busy endpoint's successes
# would otherwise all queue on its row.
_SUCCESS_EVERY_MS = 1000
_SUCCEEDED = (
    "UPDATE webhooks SET last_success_at = %s WHERE id = %s"
    " AND (last_success_at IS NULL OR last_success_at < %s)"
)
# The disabling rule: nothing sent to the webhook has succeeded since this delivery's
# first attempt (nor was the webhook enabled again since).
_NO_SUCCESS_SINCE_FIRST_ATTEMPT = (
    "(last_success_at IS NULL OR last_success_at <"
    " (SELECT at FROM webhook_attempts WHERE delivery_id = %s AND n = 1))"
)


def _marks(n: int) -> str:
    return ", ".join(["%s"] * n)


class PostgresWebhookStore:
    def __init__(self, store: PostgresLinkStore) -> None:
        self._store = store

    # -- the API ----------------------------------------------------------------------

    async def create_webhook(self, new: NewWebhook, limit: int) -> Webhook:
        hook = wrows.new_webhook(new, rows.now())
        async with self._store._write() as conn:
            # The tenant's row lock queues concurrent creations, so the count below holds.
            await conn.execute("SELECT 1 FROM tenants WHERE id = %s FOR UPDATE", (new.tenant_id,))
            cursor = await conn.execute(
                "SELECT count(*) AS n FROM webhooks WHERE tenant_id = %s", (new.tenant_id,)
            )
            row = await cursor.fetchone()
            if row is not None and row["n"] >= limit:
                raise WebhookLimitReached(new.tenant_id)
            await conn.execute(
                f"INSERT INTO webhooks ({wrows.WEBHOOK_COLUMNS}) VALUES ({_marks(12)})",
                wrows.webhook_values(hook),
            )
        return hook

    async def get_webhook(self, tenant_id: str, webhook_id: str) -> Webhook | None:
        row = await self._store._one(
            f"SELECT {wrows.WEBHOOK_COLUMNS} FROM webhooks WHERE id = %s AND tenant_id = %s",
            (webhook_id, tenant_id),
        )
        return None if row is None else wrows.webhook(row)

    async def list_webhooks(self, tenant_id: str) -> list[Webhook]:
        found = await self._store._all(
            f"SELECT {wrows.WEBHOOK_COLUMNS} FROM webhooks WHERE tenant_id = %s ORDER BY id DESC",
            (tenant_id,),
        )
        return [wrows.webhook(row) for row in found]

    async def update_webhook(self, tenant_id: str, webhook_id: str, patch: WebhookPatch) -> Webhook | None:
        async with self._store._write() as conn:
            cursor = await conn.execute(
                f"SELECT {wrows.WEBHOOK_COLUMNS} FROM webhooks WHERE id = %s AND tenant_id = %s FOR UPDATE",
                (webhook_id, tenant_id),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            current = wrows.webhook(row)
            hook = patch.applied_to(current, rows.now())
            await conn.execute(
                "UPDATE webhooks SET url = %s, events = %s, campaign = %s, link_id = %s, include_bots = %s,"
                " enabled = %s, disabled_reason = %s, updated_at = %s WHERE id = %s",
                (*wrows.edited_webhook_values(hook), webhook_id),
            )
            if hook.enabled and not current.enabled:
                # Its failures start afresh, and deliveries parked while it was off are due.
                await conn.execute(
                    "UPDATE webhooks SET last_success_at = %s WHERE id = %s",
                    (to_ms(hook.updated_at), webhook_id),
                )
                await conn.execute(
                    "UPDATE webhook_deliveries SET next_attempt_at = %s"
                    " WHERE webhook_id = %s AND status = 'pending' AND next_attempt_at IS NULL",
                    (to_ms(hook.updated_at), webhook_id),
                )
            elif current.enabled and not hook.enabled:
                await self._park(conn, webhook_id)
        return hook

    @staticmethod
    async def _park(conn: Connection, webhook_id: str) -> None:
        # A disabled webhook's pending deliveries leave the due index (NULL is never due),
        # so workers do not wade through them on every claim.
        await conn.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = NULL"
            " WHERE webhook_id = %s AND status = 'pending' AND lease IS NULL",
            (webhook_id,),
        )

    async def delete_webhook(self, tenant_id: str, webhook_id: str) -> bool:
        async with self._store._write() as conn:
            cursor = await conn.execute(
                "DELETE FROM webhooks WHERE id = %s AND tenant_id = %s", (webhook_id, tenant_id)
            )
            return cursor.rowcount > 0

    async def list_deliveries(
        self, tenant_id: str, webhook_id: str, limit: int, after_id: str | None
    ) -> DeliveryPage:
        where = "webhook_id = %s AND tenant_id = %s"
        params: list[Any] = [webhook_id, tenant_id]
        if after_id is not None:
            where += " AND id < %s"
            params.append(after_id)
        found = await self._store._all(
            f"SELECT {wrows.DELIVERY_COLUMNS} FROM webhook_deliveries WHERE {where}"
            " ORDER BY id DESC LIMIT %s",
            (*params, limit + 1),
        )
        page = found[:limit]
        log: dict[str, list[DeliveryAttempt]] = {row["id"]: [] for row in page}
        if page:
            attempts = await self._store._all(
                f"SELECT {wrows.ATTEMPT_COLUMNS} FROM webhook_attempts"
                " WHERE delivery_id = ANY(%s) ORDER BY delivery_id, n DESC",
                (list(log),),
            )
            for row in attempts:
                shown = log[row["delivery_id"]]
                if len(shown) < ATTEMPTS_SHOWN:
                    shown.append(wrows.attempt(row))
        items = [wrows.delivery(row, log[row["id"]]) for row in page]
        return DeliveryPage(items, items[-1].id if len(found) > limit else None)

    # -- the trigger ------------------------------------------------------------------

    async def enabled_webhooks(self) -> list[Webhook]:
        found = await self._store._all(f"SELECT {wrows.WEBHOOK_COLUMNS} FROM webhooks WHERE enabled", ())
        return [wrows.webhook(row) for row in found]

    async def links_by_id(self, link_ids: Collection[str]) -> dict[str, Link]:
        if not link_ids:
            return {}
        found = await self._store._all(
            f"SELECT {rows.LINK_COLUMNS} FROM links WHERE id = ANY(%s) AND deleted_at IS NULL",
            (list(link_ids),),
        )
        return {row["id"]: rows.link(row) for row in found}

    async def enqueue_deliveries(self, deliveries: Sequence[NewDelivery]) -> int:
        if not deliveries:
            return 0
        async with self._store._write() as conn:
            # One statement for the whole batch: arrays in, one row per delivery out.
            cursor = await conn.execute(
                f"INSERT INTO webhook_deliveries ({wrows.NEW_DELIVERY_COLUMNS})"
                " SELECT n.* FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
                f" %s::bytea[], %s::text[], %s::bigint[], %s::bigint[]) AS n ({wrows.NEW_DELIVERY_COLUMNS})"
                " JOIN webhooks w ON w.id = n.webhook_id AND w.enabled"
                " ON CONFLICT (webhook_id, event_id) DO NOTHING",
                [
                    list(column)
                    for column in zip(*(wrows.new_delivery_values(new) for new in deliveries), strict=True)
                ],
            )
            return max(cursor.rowcount, 0)

    # -- the delivery worker ----------------------------------------------------------

    async def claim_deliveries(
        self, limit: int, lease_seconds: float, per_webhook: int, skip_webhooks: Collection[str] = ()
    ) -> list[ClaimedDelivery]:
        now = to_ms(utcnow())
        # Most polls find nothing due: a probe of the due index answers those.
        if (
            await self._store._one(
                "SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= %s LIMIT 1",
                (now,),
            )
            is None
        ):
            return []
        lease = new_id()
        # The oldest due few of each webhook (LATERAL, on the per-webhook index), then the
        # oldest of those: one endpoint's backlog cannot fill every slot.
        async with self._store._connection() as conn:
            cursor = await conn.execute(
                "WITH picked AS ("
                " SELECT d.id FROM webhooks w CROSS JOIN LATERAL ("
                "  SELECT id, next_attempt_at FROM webhook_deliveries"
                "  WHERE webhook_id = w.id AND status = 'pending' AND next_attempt_at <= %(now)s"
                "  ORDER BY next_attempt_at LIMIT %(per_webhook)s FOR UPDATE SKIP LOCKED) d"
                " WHERE w.enabled AND NOT (w.id = ANY(%(skip)s::text[]))"
                " ORDER BY d.next_attempt_at LIMIT %(limit)s)"
                " UPDATE webhook_deliveries d SET next_attempt_at = %(lease_end)s, lease = %(lease)s"
                " FROM picked, webhooks w WHERE d.id = picked.id AND w.id = d.webhook_id"
                f" RETURNING {wrows.CLAIM_COLUMNS}",
                {
                    "now": now,
                    "per_webhook": per_webhook,
                    "skip": list(skip_webhooks),
                    "limit": limit,
                    "lease_end": now + int(lease_seconds * 1000),
                    "lease": lease,
                },
            )
            found = await cursor.fetchall()
        return sorted((wrows.claimed(row, lease) for row in found), key=lambda claimed: claimed.id)

    async def record_attempt(
        self, claimed: ClaimedDelivery, attempt: DeliveryAttempt, outcome: AttemptOutcome
    ) -> bool:
        at = to_ms(attempt.at)
        finished = None if outcome.status == PENDING else at
        next_at = None if outcome.next_attempt_at is None else to_ms(outcome.next_attempt_at)
        async with self._store._write() as conn:
            cursor = await conn.execute(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, status = %s, next_attempt_at = %s,"
                " finished_at = %s, lease = NULL WHERE id = %s AND lease = %s RETURNING attempts",
                (outcome.status, next_at, finished, claimed.id, claimed.lease),
            )
            moved = await cursor.fetchone()
            if moved is None:
                return False  # the lease ran out and another attempt owns the delivery now
            await conn.execute(
                f"INSERT INTO webhook_attempts ({wrows.ATTEMPT_COLUMNS}) VALUES ({_marks(7)})",
                wrows.attempt_values(claimed.id, moved["attempts"], attempt),
            )
            if attempt.ok:
                await conn.execute(_SUCCEEDED, (at, claimed.webhook_id, at - _SUCCESS_EVERY_MS))
                return False
            if outcome.disable_reason is None:
                return False
            cursor = await conn.execute(
                "UPDATE webhooks SET enabled = FALSE, disabled_reason = %s, updated_at = %s"
                f" WHERE id = %s AND enabled AND {_NO_SUCCESS_SINCE_FIRST_ATTEMPT}",
                (outcome.disable_reason, at, claimed.webhook_id, claimed.id),
            )
            disabled = cursor.rowcount > 0
            if disabled:
                await self._park(conn, claimed.webhook_id)
            return disabled

    async def release_deliveries(self, claimed: Sequence[ClaimedDelivery]) -> None:
        if not claimed:
            return
        async with self._store._connection() as conn:
            await conn.execute(
                "UPDATE webhook_deliveries d SET next_attempt_at = %s, lease = NULL"
                " FROM unnest(%s::text[], %s::text[]) AS r (id, lease)"
                " WHERE d.id = r.id AND d.lease = r.lease AND d.status = 'pending'",
                (to_ms(utcnow()), [item.id for item in claimed], [item.lease for item in claimed]),
            )

    async def count_pending(self) -> int:
        row = await self._store._one(
            "SELECT count(*) AS n FROM webhook_deliveries WHERE status = 'pending'", ()
        )
        return 0 if row is None else int(row["n"])

    async def prune_deliveries(self, before: datetime) -> int:
        pruned = 0
        while True:
            async with self._store._connection() as conn:
                cursor = await conn.execute(
                    "DELETE FROM webhook_deliveries WHERE id IN"
                    " (SELECT id FROM webhook_deliveries WHERE created_at < %s LIMIT %s)",
                    (to_ms(before), _PRUNE_BATCH),
                )
                deleted = max(cursor.rowcount, 0)
            pruned += deleted
            if deleted < _PRUNE_BATCH:
                return pruned

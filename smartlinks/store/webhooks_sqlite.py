"""Webhooks and their deliveries on SQLite (``SQLiteLinkStore.webhooks``).

It borrows the link store's plumbing: its thread pool, its per-thread connections and its
``BEGIN IMMEDIATE`` writes. One process owns an SQLite file, so claiming needs no
row locks: the write lock of the claiming transaction is enough.
"""

from __future__ import annotations

import sqlite3
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
    Delivery,
    DeliveryAttempt,
    DeliveryPage,
    NewDelivery,
    NewWebhook,
    Webhook,
    WebhookLimitReached,
    WebhookPatch,
)

if TYPE_CHECKING:
    from smartlinks.store.sqlite import SQLiteLinkStore

_CHUNK = 500  # ids per IN list, well under SQLite's limit of bound parameters
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


def _marks(n: int) -> str:
    return ", ".join("?" * n)


class SQLiteWebhookStore:
    def __init__(self, store: SQLiteLinkStore) -> None:
        self._store = store

    # -- the API ----------------------------------------------------------------------

    def _create(self, new: NewWebhook, limit: int) -> Webhook:
        hook = wrows.new_webhook(new, rows.now())
        with self._store._write() as conn:
            (count,) = conn.execute(
                "SELECT count(*) FROM webhooks WHERE tenant_id = ?", (new.tenant_id,)
            ).fetchone()
            if count >= limit:
                raise WebhookLimitReached(new.tenant_id)
            conn.execute(
                f"INSERT INTO webhooks ({wrows.WEBHOOK_COLUMNS}) VALUES ({_marks(12)})",
                wrows.webhook_values(hook),
            )
        return hook

    async def create_webhook(self, new: NewWebhook, limit: int) -> Webhook:
        return await self._store._run(self._create, new, limit)

    def _get(self, tenant_id: str, webhook_id: str) -> Webhook | None:
        row = (
            self._store._connection()
            .execute(
                f"SELECT {wrows.WEBHOOK_COLUMNS} FROM webhooks WHERE id = ? AND tenant_id = ?",
                (webhook_id, tenant_id),
            )
            .fetchone()
        )
        return None if row is None else wrows.webhook(row)

    async def get_webhook(self, tenant_id: str, webhook_id: str) -> Webhook | None:
        return await self._store._run(self._get, tenant_id, webhook_id)

    def _select(self, where: str, params: Sequence[Any]) -> list[Webhook]:
        found = self._store._connection().execute(
            f"SELECT {wrows.WEBHOOK_COLUMNS} FROM webhooks WHERE {where} ORDER BY id DESC", params
        )
        return [wrows.webhook(row) for row in found]

    async def list_webhooks(self, tenant_id: str) -> list[Webhook]:
        return await self._store._run(self._select, "tenant_id = ?", (tenant_id,))

    def _update(self, tenant_id: str, webhook_id: str, patch: WebhookPatch) -> Webhook | None:
        with self._store._write() as conn:
            current = self._get(tenant_id, webhook_id)
            if current is None:
                return None
            hook = patch.applied_to(current, rows.now())
            conn.execute(
                "UPDATE webhooks SET url = ?, events = ?, campaign = ?, link_id = ?, include_bots = ?,"
                " enabled = ?, disabled_reason = ?, updated_at = ? WHERE id = ?",
                (*wrows.edited_webhook_values(hook), webhook_id),
            )
            if hook.enabled and not current.enabled:
                # Its failures start afresh, and deliveries parked while it was off are due.
                conn.execute(
                    "UPDATE webhooks SET last_success_at = ? WHERE id = ?",
                    (to_ms(hook.updated_at), webhook_id),
                )
                conn.execute(
                    "UPDATE webhook_deliveries SET next_attempt_at = ?"
                    " WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at IS NULL",
                    (to_ms(hook.updated_at), webhook_id),
                )
            elif current.enabled and not hook.enabled:
                self._park(conn, webhook_id)
        return hook

    @staticmethod
    def _park(conn: sqlite3.Connection, webhook_id: str) -> None:
        # A disabled webhook's pending deliveries leave the due index (NULL is never due),
        # so workers do not wade through them on every claim.
        conn.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = NULL"
            " WHERE webhook_id = ? AND status = 'pending' AND lease IS NULL",
            (webhook_id,),
        )

    async def update_webhook(self, tenant_id: str, webhook_id: str, patch: WebhookPatch) -> Webhook | None:
        return await self._store._run(self._update, tenant_id, webhook_id, patch)

    def _delete(self, tenant_id: str, webhook_id: str) -> bool:
        with self._store._write() as conn:
            cursor = conn.execute(
                "DELETE FROM webhooks WHERE id = ? AND tenant_id = ?", (webhook_id, tenant_id)
            )
            return cursor.rowcount > 0

    async def delete_webhook(self, tenant_id: str, webhook_id: str) -> bool:
        return await self._store._run(self._delete, tenant_id, webhook_id)

    def _list_deliveries(
        self, tenant_id: str, webhook_id: str, limit: int, after_id: str | None
    ) -> DeliveryPage:
        where = "webhook_id = ? AND tenant_id = ?"
        params: list[Any] = [webhook_id, tenant_id]
        if after_id is not None:
            where += " AND id < ?"
            params.append(after_id)
        conn = self._store._connection()
        found = conn.execute(
            f"SELECT {wrows.DELIVERY_COLUMNS} FROM webhook_deliveries WHERE {where} ORDER BY id DESC LIMIT ?",
            (*params, limit + 1),
        ).fetchall()
        page = found[:limit]
        log: dict[str, list[DeliveryAttempt]] = {row["id"]: [] for row in page}
        if page:
            attempts = conn.execute(
                f"SELECT {wrows.ATTEMPT_COLUMNS} FROM webhook_attempts"
                f" WHERE delivery_id IN ({_marks(len(page))}) ORDER BY delivery_id, n DESC",
                list(log),
            )
            for row in attempts:
                shown = log[row["delivery_id"]]
                if len(shown) < ATTEMPTS_SHOWN:
                    shown.append(wrows.attempt(row))
        items: list[Delivery] = [wrows.delivery(row, log[row["id"]]) for row in page]
        return DeliveryPage(items, items[-1].id if len(found) > limit else None)

    async def list_deliveries(
        self, tenant_id: str, webhook_id: str, limit: int, after_id: str | None
    ) -> DeliveryPage:
        return await self._store._run(self._list_deliveries, tenant_id, webhook_id, limit, after_id)

    # -- the trigger ------------------------------------------------------------------

    async def enabled_webhooks(self) -> list[Webhook]:
        return await self._store._run(self._select, "enabled = 1", ())

    def _links(self, link_ids: Collection[str]) -> dict[str, Link]:
        ids = list(link_ids)
        found: dict[str, Link] = {}
        conn = self._store._connection()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            for row in conn.execute(
                f"SELECT {rows.LINK_COLUMNS} FROM links"
                f" WHERE id IN ({_marks(len(chunk))}) AND deleted_at IS NULL",
                chunk,
            ):
                found[row["id"]] = rows.link(row)
        return found

    async def links_by_id(self, link_ids: Collection[str]) -> dict[str, Link]:
        return await self._store._run(self._links, link_ids)

    def _enqueue(self, deliveries: Sequence[NewDelivery]) -> int:
        with self._store._write() as conn:
            cursor = conn.executemany(
                f"INSERT INTO webhook_deliveries ({wrows.NEW_DELIVERY_COLUMNS}) SELECT {_marks(9)}"
                " WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ? AND enabled = 1)"
                " ON CONFLICT (webhook_id, event_id) DO NOTHING",
                [(*wrows.new_delivery_values(new), new.webhook_id) for new in deliveries],
            )
            return max(cursor.rowcount, 0)

    async def enqueue_deliveries(self, deliveries: Sequence[NewDelivery]) -> int:
        if not deliveries:
            return 0
        return await self._store._run(self._enqueue, deliveries)

    # -- the delivery worker ----------------------------------------------------------

    def _claim(
        self, limit: int, lease_seconds: float, per_webhook: int, skip: Collection[str]
    ) -> list[ClaimedDelivery]:
        now = to_ms(utcnow())
        conn = self._store._connection()
        # Most polls find nothing due: answer those without taking the write lock.
        due = "status = 'pending' AND next_attempt_at <= ?"
        if conn.execute(f"SELECT 1 FROM webhook_deliveries WHERE {due} LIMIT 1", (now,)).fetchone() is None:
            return []
        lease = new_id()
        with self._store._write() as conn:
            hooks = [
                row["id"]
                for row in conn.execute("SELECT id FROM webhooks WHERE enabled = 1")
                if row["id"] not in skip
            ]
            # The oldest due few of each webhook, then the oldest of those: one endpoint's
            # backlog cannot fill every slot.
            candidates: list[tuple[int, str]] = []
            for hook_id in hooks:
                candidates.extend(
                    (row["next_attempt_at"], row["id"])
                    for row in conn.execute(
                        "SELECT next_attempt_at, id FROM webhook_deliveries"
                        f" WHERE webhook_id = ? AND {due} ORDER BY next_attempt_at LIMIT ?",
                        (hook_id, now, per_webhook),
                    )
                )
            picked = [delivery_id for _, delivery_id in sorted(candidates)[:limit]]
            if not picked:
                return []
            conn.execute(
                "UPDATE webhook_deliveries SET next_attempt_at = ?, lease = ?"
                f" WHERE id IN ({_marks(len(picked))})",
                (now + int(lease_seconds * 1000), lease, *picked),
            )
            found = conn.execute(
                f"SELECT {wrows.CLAIM_COLUMNS} FROM webhook_deliveries d"
                " JOIN webhooks w ON w.id = d.webhook_id"
                f" WHERE d.id IN ({_marks(len(picked))}) ORDER BY d.id",
                picked,
            ).fetchall()
        return [wrows.claimed(row, lease) for row in found]

    async def claim_deliveries(
        self, limit: int, lease_seconds: float, per_webhook: int, skip_webhooks: Collection[str] = ()
    ) -> list[ClaimedDelivery]:
        return await self._store._run(
            self._claim, limit, lease_seconds, per_webhook, frozenset(skip_webhooks)
        )

    def _record(self, claimed: ClaimedDelivery, attempt: DeliveryAttempt, outcome: AttemptOutcome) -> bool:
        at = to_ms(attempt.at)
        finished = None if outcome.status == PENDING else at
        next_at = None if outcome.next_attempt_at is None else to_ms(outcome.next_attempt_at)
        with self._store._write() as conn:
            moved = conn.execute(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, status = ?, next_attempt_at = ?,"
                " finished_at = ?, lease = NULL WHERE id = ? AND lease = ? RETURNING attempts",
                (outcome.status, next_at, finished, claimed.id, claimed.lease),
            ).fetchall()
            if not moved:
                return False  # the lease ran out and another attempt owns the delivery now
            conn.execute(
                f"INSERT INTO webhook_attempts ({wrows.ATTEMPT_COLUMNS}) VALUES ({_marks(7)})",
                wrows.attempt_values(claimed.id, moved[0][0], attempt),
            )
            if attempt.ok:
                conn.execute(_SUCCEEDED, (at, claimed.webhook_id, at - _SUCCESS_EVERY_MS))
                return False
            if outcome.disable_reason is None:
                return False
            disabled = conn.execute(
                "UPDATE webhooks SET enabled = 0, disabled_reason = ?, updated_at = ?"
                f" WHERE id = ? AND enabled = 1 AND {_NO_SUCCESS_SINCE_FIRST_ATTEMPT}",
                (outcome.disable_reason, at, claimed.webhook_id, claimed.id),
            ).rowcount
            if disabled:
                self._park(conn, claimed.webhook_id)
            return disabled > 0

    async def record_attempt(
        self, claimed: ClaimedDelivery, attempt: DeliveryAttempt, outcome: AttemptOutcome
    ) -> bool:
        return await self._store._run(self._record, claimed, attempt, outcome)

    def _release(self, claimed: Sequence[ClaimedDelivery]) -> None:
        now = to_ms(utcnow())
        with self._store._write() as conn:
            conn.executemany(
                "UPDATE webhook_deliveries SET next_attempt_at = ?, lease = NULL"
                " WHERE id = ? AND lease = ? AND status = 'pending'",
                [(now, item.id, item.lease) for item in claimed],
            )

    async def release_deliveries(self, claimed: Sequence[ClaimedDelivery]) -> None:
        if claimed:
            await self._store._run(self._release, claimed)

    async def count_pending(self) -> int:
        def count() -> int:
            conn = self._store._connection()
            return int(
                conn.execute("SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'").fetchone()[0]
            )

        return await self._store._run(count)

    def _prune(self, before: datetime) -> int:
        pruned = 0
        while True:
            with self._store._write() as conn:
                deleted = conn.execute(
                    "DELETE FROM webhook_deliveries WHERE id IN"
                    " (SELECT id FROM webhook_deliveries WHERE created_at < ? LIMIT ?)",
                    (to_ms(before), _PRUNE_BATCH),
                ).rowcount
            pruned += deleted
            if deleted < _PRUNE_BATCH:
                return pruned

    async def prune_deliveries(self, before: datetime) -> int:
        return await self._store._run(self._prune, before)

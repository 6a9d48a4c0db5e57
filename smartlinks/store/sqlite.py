"""The link store on SQLite: the embedded default.

One file in WAL mode, so ``smartlinks tenant create`` can write while ``smartlinks up``
serves. SQLite connections belong to the thread that made them, so every call runs on a
small thread pool with one connection per thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from schemas.events import LinkChange
from smartlinks.codes import generate_code
from smartlinks.ids import new_id
from smartlinks.models import (
    ApiKey,
    KeyKind,
    Link,
    LinkPatch,
    NewLink,
    ResolvedLink,
    Tenant,
    TenantPatch,
    from_ms,
    to_ms,
    utcnow,
)
from smartlinks.store import rows
from smartlinks.store.base import (
    IDEMPOTENCY_RETENTION,
    CampaignSummary,
    CodeSpaceExhausted,
    CodeTaken,
    IdempotencyConflict,
    IdempotentRequest,
    KeyHolder,
    LastActiveKey,
    LinkPage,
    LinkQuery,
    StoredResponse,
    TenantSummary,
    hash_api_key,
)
from smartlinks.store.migrations import migrations
from smartlinks.store.webhooks_sqlite import SQLiteWebhookStore

T = TypeVar("T")
_GENERATE_ATTEMPTS = 8
_IN_CHUNK = 500  # ids per IN list: SQLite allows at most 32,766 bound parameters


class SQLiteLinkStore:
    def __init__(self, path: Path, threads: int = 4) -> None:
        self.path = path
        self._threads = threads
        self._executor: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self.webhooks = SQLiteWebhookStore(self)

    # -- plumbing -------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout
        # instead of one failing with "database is locked" halfway through.
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @staticmethod
    def _outbox(
        conn: sqlite3.Connection, kind: str, tenant_id: str, link_id: str = "", code: str = ""
    ) -> None:
        conn.execute(
            "INSERT INTO link_outbox (kind, tenant_id, link_id, code, at) VALUES (?, ?, ?, ?, ?)",
            (kind, tenant_id, link_id, code, to_ms(utcnow())),
        )

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        if self._executor is None:
            raise RuntimeError("store is not open")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def migrate_sync(self) -> list[str]:
        """Apply pending migrations; return the names applied. Safe to run concurrently."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        applied = []
        with self._write() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for version, name, sql in migrations("sqlite"):
                if version in done:
                    continue
                for statement in sql.split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, to_ms(utcnow())),
                )
                applied.append(name)
        return applied

    async def migrate(self) -> list[str]:
        """Apply pending migrations (``open`` does too); return the names applied."""
        try:
            return await asyncio.to_thread(self.migrate_sync)
        finally:
            await self.close()

    async def open(self) -> None:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self._threads, thread_name_prefix="sqlite")
        await self._run(self.migrate_sync)

    async def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    async def ping(self) -> None:
        await self._run(lambda: self._connection().execute("SELECT 1").fetchone())

    # -- tenants and keys -------------------------------------------------------------

    def _create_tenant(self, name: str) -> Tenant:
        tenant = Tenant(id=new_id(), name=name, collect_metadata=True, created_at=rows.now())
        with self._write() as conn:
            conn.execute(
                "INSERT INTO tenants (id, name, collect_metadata, created_at) VALUES (?, ?, 1, ?)",
                (tenant.id, tenant.name, to_ms(tenant.created_at)),
            )
        return tenant

    async def create_tenant(self, name: str) -> Tenant:
        return await self._run(self._create_tenant, name)

    def _get_tenant(self, tenant_id: str) -> Tenant | None:
        row = (
            self._connection()
            .execute(f"SELECT {rows.TENANT_COLUMNS} FROM tenants WHERE id = ?", (tenant_id,))
            .fetchone()
        )
        return None if row is None else rows.tenant(row)

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        return await self._run(self._get_tenant, tenant_id)

    async def count_tenants(self) -> int:
        def count() -> int:
            return int(self._connection().execute("SELECT count(*) FROM tenants").fetchone()[0])

        return await self._run(count)

    async def list_tenants(self) -> list[TenantSummary]:
        def select() -> list[TenantSummary]:
            found = self._connection().execute(
                f"SELECT {rows.TENANT_COLUMNS}, (SELECT count(*) FROM api_keys WHERE"
                " api_keys.tenant_id = tenants.id AND revoked_at IS NULL AND kind = 'secret') AS active_keys"
                " FROM tenants ORDER BY id"
            )
            return [rows.tenant_summary(row) for row in found]

        return await self._run(select)

    async def set_collect_metadata(self, tenant_id: str, value: bool) -> Tenant:
        return await self.update_tenant(tenant_id, TenantPatch(collect_metadata=value))

    def _update_tenant(self, tenant_id: str, patch: TenantPatch) -> Tenant:
        with self._write() as conn:
            current = self._get_tenant(tenant_id)
            if current is None:
                raise KeyError(tenant_id)  # rolls back: no change announced for nobody
            tenant = patch.applied_to(current)
            conn.execute(
                f"UPDATE tenants SET {rows.set_clause(rows.TENANT_SETTINGS_COLUMNS, '?')} WHERE id = ?",
                (*rows.tenant_values(tenant), tenant_id),
            )
            self._outbox(conn, "tenant_updated", tenant_id)
        return tenant

    async def update_tenant(self, tenant_id: str, patch: TenantPatch) -> Tenant:
        return await self._run(self._update_tenant, tenant_id, patch)

    def _create_api_key(self, tenant_id: str, name: str, kind: KeyKind) -> tuple[ApiKey, str]:
        record, key, values = rows.new_api_key_row(tenant_id, name, kind)
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO api_keys ({rows.API_KEY_INSERT_COLUMNS})"
                f" VALUES ({rows.placeholders(rows.API_KEY_INSERT_COLUMNS, '?')})",
                values,
            )
        return record, key

    async def create_api_key(self, tenant_id: str, name: str, kind: KeyKind = "secret") -> tuple[ApiKey, str]:
        return await self._run(self._create_api_key, tenant_id, name, kind)

    def _key_holder(self, key: str) -> KeyHolder | None:
        row = (
            self._connection()
            .execute(
                f"SELECT {rows.qualified(rows.TENANT_COLUMNS, 't')}, k.id AS key_id, k.kind AS key_kind"
                " FROM api_keys k JOIN tenants t ON t.id = k.tenant_id"
                " WHERE k.key_hash = ? AND k.revoked_at IS NULL",
                (hash_api_key(key),),
            )
            .fetchone()
        )
        return None if row is None else rows.key_holder(row)

    async def key_holder(self, key: str) -> KeyHolder | None:
        return await self._run(self._key_holder, key)

    async def tenant_for_api_key(self, key: str) -> Tenant | None:
        holder = await self.key_holder(key)
        return holder.tenant if holder is not None and holder.kind == "secret" else None

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        def select() -> list[ApiKey]:
            found = self._connection().execute(
                f"SELECT {rows.API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? ORDER BY id DESC",
                (tenant_id,),
            )
            return [rows.api_key(row) for row in found]

        return await self._run(select)

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        def revoke() -> bool:
            # One writer at a time (BEGIN IMMEDIATE): the count and the update see the same keys.
            with self._write() as conn:
                cursor = conn.execute(
                    "UPDATE api_keys SET revoked_at = ?"
                    " WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL"
                    " AND (kind <> 'secret' OR (SELECT count(*) FROM api_keys"
                    " WHERE tenant_id = ? AND revoked_at IS NULL AND kind = 'secret') > 1)",
                    (to_ms(utcnow()), key_id, tenant_id, tenant_id),
                )
                if cursor.rowcount > 0:
                    return True
                active = conn.execute(
                    "SELECT 1 FROM api_keys WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL",
                    (key_id, tenant_id),
                ).fetchone()
                if active is not None:
                    raise LastActiveKey(key_id)
                return False

        return await self._run(revoke)

    # -- signed-out dashboard sessions ----------------------------------------------------

    async def revoke_session(self, session_id: str, expires_at: datetime) -> None:
        def insert() -> None:
            with self._write() as conn:
                conn.execute("DELETE FROM revoked_sessions WHERE expires_at <= ?", (to_ms(utcnow()),))
                conn.execute(
                    "INSERT INTO revoked_sessions (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                    (session_id, to_ms(expires_at)),
                )

        await self._run(insert)

    async def is_session_revoked(self, session_id: str) -> bool:
        def select() -> bool:
            found = self._connection().execute("SELECT 1 FROM revoked_sessions WHERE id = ?", (session_id,))
            return found.fetchone() is not None

        return await self._run(select)

    # -- links ------------------------------------------------------------------------

    @staticmethod
    def _insert_link(conn: sqlite3.Connection, new: NewLink, now: datetime) -> Link | CodeTaken:
        """Insert one link inside the caller's transaction (its outbox row is the caller's)."""
        attempts = 1 if new.code is not None else _GENERATE_ATTEMPTS
        for _ in range(attempts):
            link = rows.new_link(new, new.code if new.code is not None else generate_code(), now)
            try:
                # A failed statement is undone alone; the transaction goes on.
                conn.execute(
                    f"INSERT INTO links ({rows.LINK_INSERT_COLUMNS})"
                    f" VALUES ({rows.placeholders(rows.LINK_INSERT_COLUMNS, '?')})",
                    rows.link_values(link),
                )
                return link
            except sqlite3.IntegrityError as exc:
                if "links.code" not in str(exc):
                    raise
        if new.code is not None:
            return CodeTaken(new.code)
        raise CodeSpaceExhausted()

    @staticmethod
    def _outbox_created(conn: sqlite3.Connection, links: Sequence[Link]) -> None:
        at = to_ms(utcnow())
        conn.executemany(
            "INSERT INTO link_outbox (kind, tenant_id, link_id, code, at) VALUES ('created', ?, ?, ?, ?)",
            [(link.tenant_id, link.id, link.code, at) for link in links],
        )

    def _create_link(self, new: NewLink) -> Link:
        with self._write() as conn:
            link = self._insert_link(conn, new, rows.now())
            if isinstance(link, CodeTaken):
                raise link
            self._outbox_created(conn, [link])
        return link

    async def create_link(self, new: NewLink) -> Link:
        return await self._run(self._create_link, new)

    def _create_links(
        self, tenant_id: str, news: Sequence[NewLink], idempotency: IdempotentRequest | None
    ) -> list[Link | CodeTaken]:
        now = rows.now()
        with self._write() as conn:
            if idempotency is not None and (stored := self._stored_response(tenant_id, idempotency.key)):
                raise IdempotencyConflict(stored)
            results = [self._insert_link(conn, new, now) for new in news]
            self._outbox_created(conn, [link for link in results if isinstance(link, Link)])
            if idempotency is not None:
                conn.execute(
                    "DELETE FROM idempotency_keys WHERE created_at < ?",
                    (to_ms(now - IDEMPOTENCY_RETENTION),),
                )
                conn.execute(
                    "INSERT INTO idempotency_keys (tenant_id, key, request_hash, status, body, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        tenant_id,
                        idempotency.key,
                        idempotency.request_hash,
                        idempotency.status,
                        idempotency.respond(results),
                        to_ms(now),
                    ),
                )
        return results

    async def create_links(
        self, tenant_id: str, news: Sequence[NewLink], idempotency: IdempotentRequest | None = None
    ) -> list[Link | CodeTaken]:
        return await self._run(self._create_links, tenant_id, news, idempotency)

    def _stored_response(self, tenant_id: str, key: str) -> StoredResponse | None:
        row = (
            self._connection()
            .execute(
                "SELECT request_hash, status, body FROM idempotency_keys"
                " WHERE tenant_id = ? AND key = ? AND created_at >= ?",
                (tenant_id, key, to_ms(utcnow() - IDEMPOTENCY_RETENTION)),
            )
            .fetchone()
        )
        return None if row is None else StoredResponse(row[0], row[1], bytes(row[2]))

    async def stored_response(self, tenant_id: str, key: str) -> StoredResponse | None:
        return await self._run(self._stored_response, tenant_id, key)

    def _reuse_or_create_links(
        self,
        tenant_id: str,
        destinations: Sequence[str],
        campaign: str | None,
        contact_id: str | None,
        conversion_tracking: bool,
    ) -> list[Link]:
        now = rows.now()
        found: dict[str, Link] = {}
        # One writer at a time (BEGIN IMMEDIATE), so the look-up and the inserts are atomic.
        with self._write() as conn:
            for destination in dict.fromkeys(destinations):
                row = conn.execute(
                    f"SELECT {rows.LINK_COLUMNS} FROM links WHERE tenant_id = ? AND destination_url = ?"
                    " AND campaign IS ? AND contact_id IS ? AND deleted_at IS NULL"
                    " AND (expires_at IS NULL OR expires_at > ?) ORDER BY id LIMIT 1",
                    (tenant_id, destination, campaign, contact_id, to_ms(now)),
                ).fetchone()
                if row is not None:
                    found[destination] = rows.link(row)
            created = []
            for destination in dict.fromkeys(destinations):
                if destination not in found:
                    new = NewLink(
                        tenant_id,
                        destination,
                        campaign=campaign,
                        contact_id=contact_id,
                        conversion_tracking=conversion_tracking,
                    )
                    link = self._insert_link(conn, new, now)
                    assert isinstance(link, Link)  # a generated code is never "taken"
                    found[destination] = link
                    created.append(link)
            self._outbox_created(conn, created)
        return [found[destination] for destination in destinations]

    async def reuse_or_create_links(
        self,
        tenant_id: str,
        destinations: Sequence[str],
        campaign: str | None,
        contact_id: str | None,
        conversion_tracking: bool = False,
    ) -> list[Link]:
        return await self._run(
            self._reuse_or_create_links, tenant_id, destinations, campaign, contact_id, conversion_tracking
        )

    def _get_link(self, tenant_id: str, link_id: str) -> Link | None:
        row = (
            self._connection()
            .execute(
                f"SELECT {rows.LINK_COLUMNS} FROM links"
                " WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL",
                (link_id, tenant_id),
            )
            .fetchone()
        )
        return None if row is None else rows.link(row)

    async def get_link(self, tenant_id: str, link_id: str) -> Link | None:
        return await self._run(self._get_link, tenant_id, link_id)

    def _get_links(self, tenant_id: str, link_ids: Sequence[str]) -> list[Link]:
        found: list[Link] = []
        conn = self._connection()
        for start in range(0, len(link_ids), _IN_CHUNK):
            chunk = link_ids[start : start + _IN_CHUNK]
            found.extend(
                rows.link(row)
                for row in conn.execute(
                    f"SELECT {rows.LINK_COLUMNS} FROM links WHERE tenant_id = ? AND deleted_at IS NULL"
                    f" AND id IN ({', '.join('?' * len(chunk))})",
                    (tenant_id, *chunk),
                )
            )
        return found

    async def get_links(self, tenant_id: str, link_ids: Sequence[str]) -> list[Link]:
        return await self._run(self._get_links, tenant_id, list(link_ids))

    def _list_links(self, query: LinkQuery) -> LinkPage:
        where = ["tenant_id = ?", "deleted_at IS NULL"]
        params: list[Any] = [query.tenant_id]
        if query.after_id is not None:
            where.append("id < ?")
            params.append(query.after_id)
        if query.campaign is not None:
            where.append("campaign = ?")
            params.append(query.campaign)
        if query.status is not None:
            now = to_ms(utcnow())
            if query.status == "active":
                where.append("(expires_at IS NULL OR expires_at > ?)")
            else:
                where.append("expires_at <= ?")
            params.append(now)
        if query.search:
            where.append("instr(search_text, ?) > 0")
            params.append(query.search.casefold())
        params.append(query.limit + 1)
        found = (
            self._connection()
            .execute(
                f"SELECT {rows.LINK_COLUMNS} FROM links WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
                params,
            )
            .fetchall()
        )
        items = [rows.link(row) for row in found[: query.limit]]
        next_after = items[-1].id if len(found) > query.limit else None
        return LinkPage(items=items, next_after_id=next_after)

    async def list_links(self, query: LinkQuery) -> LinkPage:
        return await self._run(self._list_links, query)

    def _list_campaigns(self, tenant_id: str) -> list[CampaignSummary]:
        found = self._connection().execute(
            "SELECT campaign, count(*) AS links, min(created_at) AS first_at, max(created_at) AS last_at"
            " FROM links WHERE tenant_id = ? AND deleted_at IS NULL AND campaign <> '' GROUP BY campaign",
            (tenant_id,),
        )
        return [
            CampaignSummary(row["campaign"], row["links"], from_ms(row["first_at"]), from_ms(row["last_at"]))
            for row in found
        ]

    async def list_campaigns(self, tenant_id: str) -> list[CampaignSummary]:
        return await self._run(self._list_campaigns, tenant_id)

    def _campaign_link_ids(self, tenant_id: str, campaign: str) -> list[str]:
        found = self._connection().execute(
            "SELECT id FROM links WHERE tenant_id = ? AND campaign = ? AND deleted_at IS NULL ORDER BY id",
            (tenant_id, campaign),
        )
        return [row["id"] for row in found]

    async def campaign_link_ids(self, tenant_id: str, campaign: str) -> list[str]:
        return await self._run(self._campaign_link_ids, tenant_id, campaign)

    def _update_link(self, tenant_id: str, link_id: str, patch: LinkPatch) -> Link | None:
        with self._write() as conn:
            current = self._get_link(tenant_id, link_id)
            if current is None:
                return None
            link = patch.applied_to(current, utcnow())
            conn.execute(
                f"UPDATE links SET {rows.set_clause(rows.LINK_EDIT_COLUMNS, '?')} WHERE id = ?",
                (*rows.edited_link_values(link), link_id),
            )
            self._outbox(conn, "updated", tenant_id, link_id, current.code)
        return self._get_link(tenant_id, link_id)

    async def update_link(self, tenant_id: str, link_id: str, patch: LinkPatch) -> Link | None:
        return await self._run(self._update_link, tenant_id, link_id, patch)

    def _delete_link(self, tenant_id: str, link_id: str) -> Link | None:
        with self._write() as conn:
            current = self._get_link(tenant_id, link_id)
            if current is None:
                return None
            conn.execute("UPDATE links SET deleted_at = ? WHERE id = ?", (to_ms(utcnow()), link_id))
            self._outbox(conn, "deleted", tenant_id, link_id, current.code)
        return current

    async def delete_link(self, tenant_id: str, link_id: str) -> Link | None:
        return await self._run(self._delete_link, tenant_id, link_id)

    # -- the outbox of link changes ---------------------------------------------------

    def _pending_changes(self, limit: int) -> list[tuple[int, LinkChange]]:
        found = self._connection().execute(
            "SELECT seq, kind, tenant_id, link_id, code, at FROM link_outbox ORDER BY seq LIMIT ?", (limit,)
        )
        return [rows.change(row) for row in found]

    async def pending_changes(self, limit: int = 1000) -> list[tuple[int, LinkChange]]:
        return await self._run(self._pending_changes, limit)

    def _forget_changes(self, seqs: list[int]) -> None:
        with self._write() as conn:
            conn.executemany("DELETE FROM link_outbox WHERE seq = ?", [(seq,) for seq in seqs])

    async def forget_changes(self, seqs: list[int]) -> None:
        await self._run(self._forget_changes, seqs)

    def _resolve(self, code: str) -> ResolvedLink | None:
        row = (
            self._connection()
            .execute(
                f"SELECT {rows.RESOLVE_COLUMNS} FROM links l JOIN tenants t ON t.id = l.tenant_id"
                " WHERE l.code = ? AND l.deleted_at IS NULL",
                (code,),
            )
            .fetchone()
        )
        return None if row is None else rows.resolved_link(row, code)

    async def resolve(self, code: str) -> ResolvedLink | None:
        return await self._run(self._resolve, code)

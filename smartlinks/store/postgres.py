"""The link store on PostgreSQL: the distributed mode.

Several API processes and redirectors share one database, so everything the SQLite store
gets from its single writer comes from the database here: unique codes from a constraint,
ordered outbox rows from row locks, one migration run at a time from an advisory lock.
Queries run on a ``psycopg_pool.AsyncConnectionPool`` in autocommit; writes open an
explicit transaction so each change and its outbox row commit together.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.errors import UniqueViolation
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

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
from smartlinks.store.webhooks_postgres import PostgresWebhookStore

_GENERATE_ATTEMPTS = 8
_CODE_CONSTRAINT = "links_code_key"  # named in migrations/postgres/0001_links.sql
# Any fixed number works: every process that migrates this database takes the same lock.
_MIGRATION_LOCK = 0x736D_6172_746C_6E6B  # "smartlnk"

Connection = AsyncConnection[DictRow]


class PostgresLinkStore:
    def __init__(self, dsn: str, min_connections: int = 2, max_connections: int = 10) -> None:
        self.dsn = dsn
        self._min = min_connections
        self._max = max_connections
        self._pool: AsyncConnectionPool[Connection] | None = None
        self.webhooks = PostgresWebhookStore(self)

    # -- plumbing -------------------------------------------------------------------

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
        if self._pool is None:
            raise RuntimeError("store is not open")
        async with self._pool.connection() as conn:
            yield conn

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Connection]:
        async with self._connection() as conn, conn.transaction():
            yield conn

    async def _one(self, query: str, params: Sequence[Any]) -> DictRow | None:
        async with self._connection() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchone()

    async def _all(self, query: str, params: Sequence[Any]) -> list[DictRow]:
        async with self._connection() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchall()

    @staticmethod
    async def _outbox(conn: Connection, kind: str, tenant_id: str, link_id: str = "", code: str = "") -> None:
        await conn.execute(
            "INSERT INTO link_outbox (kind, tenant_id, link_id, code, at) VALUES (%s, %s, %s, %s, %s)",
            (kind, tenant_id, link_id, code, to_ms(utcnow())),
        )

    async def migrate(self) -> list[str]:
        """Apply pending migrations; return the names applied. Safe to run concurrently:
        the advisory lock queues other migrators until this transaction commits, and they
        then find the work done."""
        applied = []
        conn = await AsyncConnection.connect(self.dsn, autocommit=True)
        async with conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            )
            cursor = await conn.execute("SELECT version FROM schema_migrations")
            done = {row[0] for row in await cursor.fetchall()}
            for version, name, sql in migrations("postgres"):
                if version in done:
                    continue
                # Without parameters psycopg sends the file as one simple query, so a
                # migration may hold several statements.
                await conn.execute(sql.encode())
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%s, %s, %s)",
                    (version, name, to_ms(utcnow())),
                )
                applied.append(name)
        return applied

    async def open(self) -> None:
        if self._pool is not None:
            return
        # Migrating on a connection of its own also fails fast, with libpq's own words,
        # when the database cannot be reached, before a pool starts retrying in the back.
        await self.migrate()
        pool: AsyncConnectionPool[Connection] = AsyncConnectionPool(
            self.dsn,
            connection_class=Connection,
            kwargs={"autocommit": True, "row_factory": dict_row},
            min_size=self._min,
            max_size=self._max,
            open=False,
            name="smartlinks-store",
        )
        try:
            await pool.open(wait=True)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def ping(self) -> None:
        await self._one("SELECT 1", ())

    # -- tenants and keys -------------------------------------------------------------

    async def create_tenant(self, name: str) -> Tenant:
        tenant = Tenant(id=new_id(), name=name, collect_metadata=True, created_at=rows.now())
        async with self._write() as conn:
            await conn.execute(
                "INSERT INTO tenants (id, name, collect_metadata, created_at) VALUES (%s, %s, TRUE, %s)",
                (tenant.id, tenant.name, to_ms(tenant.created_at)),
            )
        return tenant

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        row = await self._one(f"SELECT {rows.TENANT_COLUMNS} FROM tenants WHERE id = %s", (tenant_id,))
        return None if row is None else rows.tenant(row)

    async def count_tenants(self) -> int:
        row = await self._one("SELECT count(*) AS n FROM tenants", ())
        return 0 if row is None else int(row["n"])

    async def list_tenants(self) -> list[TenantSummary]:
        found = await self._all(
            f"SELECT {rows.TENANT_COLUMNS}, (SELECT count(*) FROM api_keys WHERE"
            " api_keys.tenant_id = tenants.id AND revoked_at IS NULL AND kind = 'secret') AS active_keys"
            " FROM tenants ORDER BY id",
            (),
        )
        return [rows.tenant_summary(row) for row in found]

    async def set_collect_metadata(self, tenant_id: str, value: bool) -> Tenant:
        return await self.update_tenant(tenant_id, TenantPatch(collect_metadata=value))

    async def update_tenant(self, tenant_id: str, patch: TenantPatch) -> Tenant:
        async with self._write() as conn:
            # FOR UPDATE: a concurrent change of other settings waits, so neither is lost.
            cursor = await conn.execute(
                f"SELECT {rows.TENANT_COLUMNS} FROM tenants WHERE id = %s FOR UPDATE", (tenant_id,)
            )
            row = await cursor.fetchone()
            if row is None:
                raise KeyError(tenant_id)  # rolls back: no change announced for nobody
            tenant = patch.applied_to(rows.tenant(row))
            await conn.execute(
                f"UPDATE tenants SET {rows.set_clause(rows.TENANT_SETTINGS_COLUMNS, '%s')} WHERE id = %s",
                (*rows.tenant_values(tenant), tenant_id),
            )
            await self._outbox(conn, "tenant_updated", tenant_id)
        return tenant

    async def create_api_key(self, tenant_id: str, name: str, kind: KeyKind = "secret") -> tuple[ApiKey, str]:
        record, key, values = rows.new_api_key_row(tenant_id, name, kind)
        async with self._write() as conn:
            await conn.execute(
                f"INSERT INTO api_keys ({rows.API_KEY_INSERT_COLUMNS})"
                f" VALUES ({rows.placeholders(rows.API_KEY_INSERT_COLUMNS, '%s')})",
                values,
            )
        return record, key

    async def key_holder(self, key: str) -> KeyHolder | None:
        row = await self._one(
            f"SELECT {rows.qualified(rows.TENANT_COLUMNS, 't')}, k.id AS key_id, k.kind AS key_kind"
            " FROM api_keys k JOIN tenants t ON t.id = k.tenant_id"
            " WHERE k.key_hash = %s AND k.revoked_at IS NULL",
            (hash_api_key(key),),
        )
        return None if row is None else rows.key_holder(row)

    async def tenant_for_api_key(self, key: str) -> Tenant | None:
        holder = await self.key_holder(key)
        return holder.tenant if holder is not None and holder.kind == "secret" else None

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        found = await self._all(
            f"SELECT {rows.API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = %s ORDER BY id DESC", (tenant_id,)
        )
        return [rows.api_key(row) for row in found]

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        async with self._write() as conn:
            # Under READ COMMITTED two revocations of different keys would each count the
            # other's key as still active; the tenant's row lock queues them, and the one
            # that waited counts again, with the first one's revocation committed.
            await conn.execute("SELECT 1 FROM tenants WHERE id = %s FOR UPDATE", (tenant_id,))
            cursor = await conn.execute(
                "UPDATE api_keys SET revoked_at = %s WHERE id = %s AND tenant_id = %s AND revoked_at IS NULL"
                " AND (kind <> 'secret' OR (SELECT count(*) FROM api_keys"
                " WHERE tenant_id = %s AND revoked_at IS NULL AND kind = 'secret') > 1)",
                (to_ms(utcnow()), key_id, tenant_id, tenant_id),
            )
            if cursor.rowcount > 0:
                return True
            cursor = await conn.execute(
                "SELECT 1 FROM api_keys WHERE id = %s AND tenant_id = %s AND revoked_at IS NULL",
                (key_id, tenant_id),
            )
            if await cursor.fetchone() is not None:
                raise LastActiveKey(key_id)
            return False

    # -- signed-out dashboard sessions ----------------------------------------------------

    async def revoke_session(self, session_id: str, expires_at: datetime) -> None:
        async with self._write() as conn:
            await conn.execute("DELETE FROM revoked_sessions WHERE expires_at <= %s", (to_ms(utcnow()),))
            await conn.execute(
                "INSERT INTO revoked_sessions (id, expires_at) VALUES (%s, %s) ON CONFLICT (id) DO NOTHING",
                (session_id, to_ms(expires_at)),
            )

    async def is_session_revoked(self, session_id: str) -> bool:
        return await self._one("SELECT 1 FROM revoked_sessions WHERE id = %s", (session_id,)) is not None

    # -- links ------------------------------------------------------------------------

    async def create_link(self, new: NewLink) -> Link:
        now = rows.now()
        attempts = 1 if new.code is not None else _GENERATE_ATTEMPTS
        for _ in range(attempts):
            link = rows.new_link(new, new.code if new.code is not None else generate_code(), now)
            try:
                async with self._write() as conn:
                    await conn.execute(
                        f"INSERT INTO links ({rows.LINK_INSERT_COLUMNS})"
                        f" VALUES ({rows.placeholders(rows.LINK_INSERT_COLUMNS, '%s')})",
                        rows.link_values(link),
                    )
                    await self._outbox(conn, "created", link.tenant_id, link.id, link.code)
                return link
            except UniqueViolation as exc:
                if exc.diag.constraint_name != _CODE_CONSTRAINT:
                    raise
        if new.code is not None:
            raise CodeTaken(new.code)
        raise CodeSpaceExhausted()

    async def create_links(
        self, tenant_id: str, news: Sequence[NewLink], idempotency: IdempotentRequest | None = None
    ) -> list[Link | CodeTaken]:
        now = rows.now()
        async with self._write() as conn:
            if idempotency is not None and (
                stored := await self._stored_response(conn, tenant_id, idempotency)
            ):
                raise IdempotencyConflict(stored)
            results: list[Link | CodeTaken | None] = [None] * len(news)
            pending = list(range(len(news)))
            for _ in range(_GENERATE_ATTEMPTS):
                if not pending:
                    break
                candidates = {
                    i: rows.new_link(news[i], news[i].code or generate_code(), now) for i in pending
                }
                inserted = await self._insert_links(conn, list(candidates.values()))
                pending = []
                for i, link in candidates.items():
                    if link.id in inserted:
                        results[i] = link
                    elif news[i].code is not None:
                        results[i] = CodeTaken(link.code)
                    else:  # a generated code collided: draw again
                        pending.append(i)
            if pending:
                raise CodeSpaceExhausted()
            done = [result for result in results if result is not None]
            await self._outbox_created(conn, [link for link in done if isinstance(link, Link)])
            if idempotency is not None:
                await self._keep_response(conn, tenant_id, idempotency, idempotency.respond(done), now)
        return done

    @staticmethod
    async def _insert_links(conn: Connection, links: Sequence[Link]) -> set[str]:
        """Insert in one statement; return the ids inserted (a row whose code is taken,
        in the table or earlier in the batch, is skipped)."""
        columns = list(zip(*(rows.link_values(link) for link in links), strict=True))
        cursor = await conn.execute(
            f"INSERT INTO links ({rows.LINK_INSERT_COLUMNS})"
            " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
            " %s::bigint[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::boolean[])"
            " ON CONFLICT (code) DO NOTHING RETURNING id",
            [list(column) for column in columns],
        )
        return {row["id"] for row in await cursor.fetchall()}

    @staticmethod
    async def _outbox_created(conn: Connection, links: Sequence[Link]) -> None:
        if links:
            await conn.execute(
                "INSERT INTO link_outbox (kind, tenant_id, link_id, code, at)"
                " SELECT 'created', t, l, c, %s"
                " FROM unnest(%s::text[], %s::text[], %s::text[]) AS u(t, l, c)",
                (
                    to_ms(utcnow()),
                    [link.tenant_id for link in links],
                    [link.id for link in links],
                    [link.code for link in links],
                ),
            )

    @staticmethod
    async def _stored_response(
        conn: Connection, tenant_id: str, idempotency: IdempotentRequest | str
    ) -> StoredResponse | None:
        key = idempotency if isinstance(idempotency, str) else idempotency.key
        cursor = await conn.execute(
            "SELECT request_hash, status, body FROM idempotency_keys"
            " WHERE tenant_id = %s AND key = %s AND created_at >= %s",
            (tenant_id, key, to_ms(utcnow() - IDEMPOTENCY_RETENTION)),
        )
        row = await cursor.fetchone()
        return None if row is None else StoredResponse(row["request_hash"], row["status"], bytes(row["body"]))

    async def _keep_response(
        self, conn: Connection, tenant_id: str, idempotency: IdempotentRequest, body: bytes, now: datetime
    ) -> None:
        await conn.execute(
            "DELETE FROM idempotency_keys WHERE created_at < %s", (to_ms(now - IDEMPOTENCY_RETENTION),)
        )
        cursor = await conn.execute(
            "INSERT INTO idempotency_keys (tenant_id, key, request_hash, status, body, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING key",
            (tenant_id, idempotency.key, idempotency.request_hash, idempotency.status, body, to_ms(now)),
        )
        if await cursor.fetchone() is None:
            # A concurrent request with the key committed first (we waited for it above):
            # answer with its response, and roll our links back.
            stored = await self._stored_response(conn, tenant_id, idempotency)
            raise IdempotencyConflict(stored or StoredResponse(idempotency.request_hash, 409, b""))

    async def stored_response(self, tenant_id: str, key: str) -> StoredResponse | None:
        async with self._connection() as conn:
            return await self._stored_response(conn, tenant_id, key)

    async def reuse_or_create_links(
        self,
        tenant_id: str,
        destinations: Sequence[str],
        campaign: str | None,
        contact_id: str | None,
        conversion_tracking: bool = False,
    ) -> list[Link]:
        now = rows.now()
        found: dict[str, Link] = {}
        async with self._write() as conn:
            # Serialise rewrites for one campaign and contact, so two at once cannot both create.
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                (repr(("reuse", tenant_id, campaign, contact_id)),),
            )
            for destination in dict.fromkeys(destinations):
                cursor = await conn.execute(
                    f"SELECT {rows.LINK_COLUMNS} FROM links WHERE tenant_id = %s"
                    " AND md5(destination_url) = md5(%s) AND destination_url = %s"
                    " AND campaign IS NOT DISTINCT FROM %s AND contact_id IS NOT DISTINCT FROM %s"
                    " AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > %s) ORDER BY id LIMIT 1",
                    (tenant_id, destination, destination, campaign, contact_id, to_ms(now)),
                )
                row = await cursor.fetchone()
                if row is not None:
                    found[destination] = rows.link(row)
            missing = [destination for destination in dict.fromkeys(destinations) if destination not in found]
            for _ in range(_GENERATE_ATTEMPTS):
                if not missing:
                    break
                candidates = [
                    rows.new_link(
                        NewLink(
                            tenant_id,
                            destination,
                            campaign=campaign,
                            contact_id=contact_id,
                            conversion_tracking=conversion_tracking,
                        ),
                        generate_code(),
                        now,
                    )
                    for destination in missing
                ]
                inserted = await self._insert_links(conn, candidates)
                for link in candidates:
                    if link.id in inserted:
                        found[link.destination_url] = link
                await self._outbox_created(conn, [link for link in candidates if link.id in inserted])
                missing = [destination for destination in missing if destination not in found]
            if missing:
                raise CodeSpaceExhausted()
        return [found[destination] for destination in destinations]

    async def get_link(self, tenant_id: str, link_id: str) -> Link | None:
        row = await self._one(
            f"SELECT {rows.LINK_COLUMNS} FROM links WHERE id = %s AND tenant_id = %s AND deleted_at IS NULL",
            (link_id, tenant_id),
        )
        return None if row is None else rows.link(row)

    async def get_links(self, tenant_id: str, link_ids: Sequence[str]) -> list[Link]:
        found = await self._all(
            f"SELECT {rows.LINK_COLUMNS} FROM links"
            " WHERE tenant_id = %s AND id = ANY(%s) AND deleted_at IS NULL",
            (tenant_id, list(link_ids)),
        )
        return [rows.link(row) for row in found]

    async def list_campaigns(self, tenant_id: str) -> list[CampaignSummary]:
        found = await self._all(
            "SELECT campaign, count(*) AS links, min(created_at) AS first_at, max(created_at) AS last_at"
            " FROM links WHERE tenant_id = %s AND deleted_at IS NULL AND campaign <> '' GROUP BY campaign",
            (tenant_id,),
        )
        return [
            CampaignSummary(row["campaign"], row["links"], from_ms(row["first_at"]), from_ms(row["last_at"]))
            for row in found
        ]

    async def campaign_link_ids(self, tenant_id: str, campaign: str) -> list[str]:
        found = await self._all(
            "SELECT id FROM links WHERE tenant_id = %s AND campaign = %s AND deleted_at IS NULL ORDER BY id",
            (tenant_id, campaign),
        )
        return [row["id"] for row in found]

    async def list_links(self, query: LinkQuery) -> LinkPage:
        where = ["tenant_id = %s", "deleted_at IS NULL"]
        params: list[Any] = [query.tenant_id]
        if query.after_id is not None:
            where.append("id < %s")
            params.append(query.after_id)
        if query.campaign is not None:
            where.append("campaign = %s")
            params.append(query.campaign)
        if query.status is not None:
            if query.status == "active":
                where.append("(expires_at IS NULL OR expires_at > %s)")
            else:
                where.append("expires_at <= %s")
            params.append(to_ms(utcnow()))
        if query.search:
            where.append("strpos(search_text, %s) > 0")
            params.append(query.search.casefold())
        params.append(query.limit + 1)
        found = await self._all(
            f"SELECT {rows.LINK_COLUMNS} FROM links WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT %s",
            params,
        )
        items = [rows.link(row) for row in found[: query.limit]]
        next_after = items[-1].id if len(found) > query.limit else None
        return LinkPage(items=items, next_after_id=next_after)

    async def update_link(self, tenant_id: str, link_id: str, patch: LinkPatch) -> Link | None:
        async with self._write() as conn:
            # FOR UPDATE: a concurrent edit waits for this one, so neither patch is lost and
            # their outbox rows come in commit order.
            cursor = await conn.execute(
                f"SELECT {rows.LINK_COLUMNS} FROM links"
                " WHERE id = %s AND tenant_id = %s AND deleted_at IS NULL FOR UPDATE",
                (link_id, tenant_id),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            link = patch.applied_to(rows.link(row), utcnow())
            cursor = await conn.execute(
                f"UPDATE links SET {rows.set_clause(rows.LINK_EDIT_COLUMNS, '%s')}"
                f" WHERE id = %s RETURNING {rows.LINK_COLUMNS}",
                (*rows.edited_link_values(link), link_id),
            )
            stored = await cursor.fetchone()
            await self._outbox(conn, "updated", tenant_id, link_id, link.code)
        return None if stored is None else rows.link(stored)

    async def delete_link(self, tenant_id: str, link_id: str) -> Link | None:
        async with self._write() as conn:
            cursor = await conn.execute(
                "UPDATE links SET deleted_at = %s"
                f" WHERE id = %s AND tenant_id = %s AND deleted_at IS NULL RETURNING {rows.LINK_COLUMNS}",
                (to_ms(utcnow()), link_id, tenant_id),
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            await self._outbox(conn, "deleted", tenant_id, link_id, row["code"])
        return rows.link(row)

    # -- the outbox of link changes ---------------------------------------------------

    async def pending_changes(self, limit: int = 1000) -> list[tuple[int, LinkChange]]:
        # No claiming (FOR UPDATE SKIP LOCKED would have to hold a transaction open while
        # the relay publishes): with several API processes, their relays may read and
        # publish the same rows. That is harmless, since every subscriber handles a change
        # idempotently (drop a cache entry, delete a link's clicks), and forgetting a seq
        # twice deletes nothing the second time.
        found = await self._all(
            "SELECT seq, kind, tenant_id, link_id, code, at FROM link_outbox ORDER BY seq LIMIT %s", (limit,)
        )
        return [rows.change(row) for row in found]

    async def forget_changes(self, seqs: list[int]) -> None:
        if seqs:
            async with self._connection() as conn:
                await conn.execute("DELETE FROM link_outbox WHERE seq = ANY(%s::bigint[])", (seqs,))

    async def resolve(self, code: str) -> ResolvedLink | None:
        row = await self._one(
            f"SELECT {rows.RESOLVE_COLUMNS} FROM links l JOIN tenants t ON t.id = l.tenant_id"
            " WHERE l.code = %s AND l.deleted_at IS NULL",
            (code,),
        )
        return None if row is None else rows.resolved_link(row, code)

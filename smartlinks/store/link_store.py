"""The link store: tenants, API keys, signed-out sessions, links and their outbox, with
each query written once for every engine (``Database``).

Every mutation writes its ``LinkChange`` in its own transaction, and a mutation that fails
commits nothing, on either engine. What a single writer gives SQLite for free comes from
the database on PostgreSQL, where several API processes and redirectors share one:
unique codes from a constraint, ordered outbox rows from row locks (``for_update``), one
rewrite per campaign and contact at a time from a lock on a key (``key_lock``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from schemas.events import LinkChange
from smartlinks.codes import generate_code
from smartlinks.domains import link_key, split_key
from smartlinks.ids import new_id
from smartlinks.models import (
    ApiKey,
    KeyKind,
    KeyScope,
    Link,
    LinkPatch,
    NewLink,
    Page,
    ResolvedLink,
    Tenant,
    TenantPatch,
    Unset,
    from_ms,
    to_ms,
    utcnow,
)
from smartlinks.store import rows
from smartlinks.store.base import (
    IDEMPOTENCY_RETENTION,
    TENANT_SETTINGS,
    CampaignSummary,
    CodeSpaceExhausted,
    CodeTaken,
    IdempotencyConflict,
    IdempotentRequest,
    KeyHolder,
    LastActiveKey,
    LinkPage,
    LinkQuery,
    LinksWanted,
    StoredResponse,
    TenantNameTaken,
    TenantSummary,
    hash_api_key,
)
from smartlinks.store.click_counts import ClickCounts
from smartlinks.store.database import Database, Transaction
from smartlinks.store.domain_store import DomainStore, check_domains
from smartlinks.store.key_cache import KeyCache
from smartlinks.store.key_use import KeyUse
from smartlinks.store.migrations import migrate
from smartlinks.store.tags import TagStore, add_tags, drop_tags, fold, replace_tags
from smartlinks.store.webhook_store import WebhookStore

log = logging.getLogger(__name__)

_GENERATE_ATTEMPTS = 8
# No ORDER BY: with one, SQLite's planner walks the campaign's whole index (tenant, campaign,
# id) to skip a sort, instead of the contacts' (links_by_contact): 3.7 ms a message at 3,000
# contacts, growing with the campaign, against 0.07 ms (measured). Sorted in Python instead.
_CONTACTS_LINKS = (
    f"SELECT {rows.LINK_COLUMNS} FROM links WHERE tenant_id = ? AND campaign {{same}} ? AND {{match}}"
    " AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > ?)"
)
_OUTBOX = "INSERT INTO link_outbox (kind, tenant_id, link_id, code, at, domain)"
_OUTBOX_TYPES = ("text", "text", "text", "text", "bigint", "text")
# Deleted links are read and left out here, not in SQL: with ``AND deleted_at IS NULL``
# PostgreSQL's planner, before ANALYZE has counted a bulk load, ANDed the code index with
# a partial index on live links (links_by_contact) and scanned every live link's entry:
# 0.4 ms a lookup at 20,000 links, growing with the table. On the code alone it is the
# unique index and nothing else, on every engine.
# Codes are looked up whatever their domain (the unique index starts with the code), and
# the link of the domain asked for is picked in Python: a code on several domains is rare.
_RESOLVE = (
    f"SELECT l.code, l.domain, l.deleted_at, {rows.RESOLVE_COLUMNS}"
    " FROM links l JOIN tenants t ON t.id = l.tenant_id"
)
# A tenant's live link, by (link id, tenant id): read, or read to rewrite it.
_TENANTS_LINK = f"SELECT {rows.LINK_COLUMNS} FROM links WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL"


async def _outbox(
    tx: Transaction, kind: str, tenant_id: str, link_id: str = "", code: str = "", domain: str | None = None
) -> None:
    values = [(kind, tenant_id, link_id, code, to_ms(utcnow()), domain or "")]
    await tx.insert_later(_OUTBOX, _OUTBOX_TYPES, values)


async def _outbox_created(tx: Transaction, links: Sequence[Link]) -> None:
    at = to_ms(utcnow())
    values = [("created", link.tenant_id, link.id, link.code, at, link.domain or "") for link in links]
    await tx.insert_later(_OUTBOX, _OUTBOX_TYPES, values)


async def _insert_links(tx: Transaction, links: Sequence[Link]) -> set[str]:
    """Insert; return the ids inserted (a row whose code is taken, in the table or earlier
    in the batch, is skipped; any other conflict raises)."""
    into = f"INSERT INTO links ({rows.LINK_INSERT_COLUMNS})"
    values = [rows.link_values(link) for link in links]
    ids = [link.id for link in links]
    added = await tx.insert_many(
        into, rows.LINK_INSERT_TYPES, values, "ON CONFLICT (code, domain) DO NOTHING"
    )
    if added == len(ids):
        return set(ids)
    # Some code was taken (rare: a custom one, or a generated one drawn twice): which?
    inserted: set[str] = set()
    for chunk in tx.dialect.chunks(ids):
        match, params = tx.dialect.in_list("id", chunk)
        inserted.update(row["id"] for row in await tx.all(f"SELECT id FROM links WHERE {match}", params))
    return inserted


async def _create(tx: Transaction, news: Sequence[NewLink], now: datetime) -> list[Link | CodeTaken]:
    """Insert ``news`` inside ``tx``, drawing new codes for generated ones that collide;
    raise ``UnknownDomain`` if one names a domain that is not its tenant's."""
    for tenant_id in {new.tenant_id for new in news if new.domain}:
        hosts = [new.domain for new in news if new.domain and new.tenant_id == tenant_id]
        await check_domains(tx, tenant_id, hosts, " FOR SHARE" if tx.dialect.for_update else "")
    results: list[Link | CodeTaken | None] = [None] * len(news)
    pending = list(range(len(news)))
    for _ in range(_GENERATE_ATTEMPTS):
        if not pending:
            break
        candidates = {i: rows.new_link(news[i], news[i].code or generate_code(), now) for i in pending}
        inserted = await _insert_links(tx, list(candidates.values()))
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
    created = [link for link in done if isinstance(link, Link)]
    await _outbox_created(tx, created)
    await add_tags(tx, created)
    return done


def _contacts_by_campaign(wanted: Sequence[LinksWanted]) -> dict[str | None, list[str | None]]:
    by_campaign: dict[str | None, dict[str | None, None]] = {}
    for one in wanted:
        by_campaign.setdefault(one.campaign, {})[one.contact_id] = None
    return {campaign: list(contacts) for campaign, contacts in by_campaign.items()}


async def _live_links_of(
    tx: Transaction, tenant_id: str, campaign: str | None, contacts: list[str | None], now_ms: int
) -> list[Link]:
    """The live, unexpired links of a campaign's contacts (None: links of no contact),
    newest first, so that the oldest of a destination is the one a caller keeps."""
    dialect = tx.dialect
    found: list[Link] = []
    named = [contact for contact in contacts if contact is not None]
    matches = [dialect.in_list("contact_id", chunk) for chunk in dialect.chunks(named)]
    if len(named) < len(contacts):
        matches.append(("contact_id IS NULL", []))
    for match, params in matches:
        query = _CONTACTS_LINKS.format(same=dialect.same, match=match)
        selected = await tx.all(query, (tenant_id, campaign, *params, now_ms))
        found.extend(rows.link(row) for row in selected)
    found.sort(key=lambda link: link.id, reverse=True)  # ids grow with time: newest first
    return found


class LinkStore:
    """Tenants, API keys, signed-out sessions, links and their outbox, on any ``Database``
    (SQLite embedded, PostgreSQL distributed); ``webhooks`` and ``click_counts`` share its
    database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.webhooks = WebhookStore(db)
        self.click_counts = ClickCounts(db)
        self.domains = DomainStore(db)
        self.tags = TagStore(db)
        self._keys = KeyCache()
        self._key_use = KeyUse()

    # -- plumbing -------------------------------------------------------------------

    async def migrate(self) -> list[str]:
        """Apply pending migrations (``open`` does too); return the names applied."""
        if self.db.is_open:
            return await migrate(self.db)
        await self.db.open()
        try:
            return await migrate(self.db)
        finally:
            await self.db.close()

    async def open(self) -> None:
        if self.db.is_open:
            return
        await self.db.open()
        try:
            await migrate(self.db)
        except BaseException:
            await self.db.close()
            raise

    async def close(self) -> None:
        await self.db.close()

    async def ping(self) -> None:
        """Raise if the store cannot answer."""
        await self.db.one("SELECT 1")

    # -- tenants and keys -------------------------------------------------------------

    async def create_tenant(self, name: str) -> Tenant:
        """A new tenant; raise ``TenantNameTaken`` if one has this name in any case."""
        tenant = Tenant(id=new_id(), name=name, collect_metadata=True, created_at=rows.now())
        async with self.db.transaction() as tx:
            added = await tx.execute(
                "INSERT INTO tenants (id, name, collect_metadata, created_at) VALUES (?, ?, TRUE, ?)"
                " ON CONFLICT DO NOTHING",  # the only constraint that can refuse it: the name
                (tenant.id, tenant.name, to_ms(tenant.created_at)),
            )
        if not added:
            raise TenantNameTaken(name)
        return tenant

    async def get_tenant(self, tenant_id: str) -> Tenant | None:
        row = await self.db.one(f"SELECT {rows.TENANT_COLUMNS} FROM tenants WHERE id = ?", (tenant_id,))
        return None if row is None else rows.tenant(row)

    async def count_tenants(self) -> int:
        row = await self.db.one("SELECT count(*) AS n FROM tenants")
        return 0 if row is None else int(row["n"])

    async def list_tenants(self) -> list[TenantSummary]:
        """Every tenant, oldest first, with its numbers of active full secret keys (those
        that can manage it) and live links."""
        found = await self.db.all(
            f"SELECT {rows.TENANT_COLUMNS}, (SELECT count(*) FROM api_keys WHERE"
            f" api_keys.tenant_id = tenants.id AND {rows.MANAGING_KEY}) AS active_keys,"
            " (SELECT count(*) FROM links WHERE links.tenant_id = tenants.id AND deleted_at IS NULL) AS links"
            " FROM tenants ORDER BY id"
        )
        return [rows.tenant_summary(row) for row in found]

    async def tenant_renames(self) -> list[tuple[str, str, str]]:
        """(tenant id, old name, new name) of the tenants renamed when names became unique
        (migration 0012_unique_tenant_names)."""
        found = await self.db.all(
            "SELECT tenant_id, old_name, new_name FROM tenant_renames ORDER BY tenant_id"
        )
        return [(row["tenant_id"], row["old_name"], row["new_name"]) for row in found]

    async def set_collect_metadata(self, tenant_id: str, value: bool) -> Tenant:
        return await self.update_tenant(tenant_id, TenantPatch(collect_metadata=value))

    async def update_tenant(self, tenant_id: str, patch: TenantPatch) -> Tenant:
        """Change the tenant's settings and announce it (``tenant_updated``), so redirectors
        drop the tenant's cached links; raise ``KeyError`` for an unknown tenant."""
        try:
            return await self._update_tenant(tenant_id, patch)
        finally:
            self._keys.forget()  # a remembered key holder carries the tenant's settings

    async def _update_tenant(self, tenant_id: str, patch: TenantPatch) -> Tenant:
        async with self.db.transaction() as tx:
            # Locked (PostgreSQL): a concurrent change of other settings waits, so neither is lost.
            row = await tx.one(
                f"SELECT {rows.TENANT_COLUMNS} FROM tenants WHERE id = ?{self.db.dialect.for_update}",
                (tenant_id,),
            )
            if row is None:
                raise KeyError(tenant_id)  # rolls back: no change announced for nobody
            tenant = patch.applied_to(rows.tenant(row))
            await tx.execute(
                f"UPDATE tenants SET {rows.set_clause(TENANT_SETTINGS)} WHERE id = ?",
                (*rows.tenant_values(tenant), tenant_id),
            )
            await _outbox(tx, "tenant_updated", tenant_id)
        return tenant

    async def create_api_key(
        self, tenant_id: str, name: str, kind: KeyKind = "secret", scope: KeyScope = "full"
    ) -> tuple[ApiKey, str]:
        record, key, values = rows.new_api_key_row(tenant_id, name, kind, scope)
        async with self.db.transaction() as tx:
            await tx.execute(rows.insert("api_keys", rows.API_KEY_INSERT_COLUMNS), values)
        return record, key

    async def key_holder(self, key: str) -> KeyHolder | None:
        """The tenant, id, kind and scope of an active key of either kind (remembered for a
        moment: see ``key_cache``)."""
        digest = hash_api_key(key)
        if (holder := self._keys.get(digest)) is not None:
            return holder
        generation = self._keys.generation
        row = await self.db.one(
            f"SELECT {rows.qualified(rows.TENANT_COLUMNS, 't')},"
            " k.id AS key_id, k.kind AS key_kind, k.scope AS key_scope"
            " FROM api_keys k JOIN tenants t ON t.id = k.tenant_id"
            " WHERE k.key_hash = ? AND k.revoked_at IS NULL",
            (digest,),
        )
        if row is None:
            return None
        holder = rows.key_holder(row)
        self._keys.put(digest, holder, generation)
        return holder

    async def tenant_for_api_key(self, key: str) -> Tenant | None:
        """The tenant of an active secret key (a publishable key opens nothing here)."""
        holder = await self.key_holder(key)
        return holder.tenant if holder is not None and holder.kind == "secret" else None

    async def record_key_use(self, key_ids: Iterable[str]) -> None:
        """Note that these keys were used just now. Written at most once a minute per key
        and process (``key_use``): most calls touch no database. A failed write is logged,
        not raised (the request that used the key goes on), and retried on the next use."""
        due = self._key_use.due(key_ids)
        if not due:
            return
        at = to_ms(utcnow())
        try:
            async with self.db.transaction() as tx:
                for key_id in due:
                    # Never backwards: another process may have written a later use.
                    await tx.execute(
                        "UPDATE api_keys SET last_used_at = ?"
                        " WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                        (at, key_id, at),
                    )
        except Exception:
            self._key_use.failed(due)
            log.warning("could not record the use of API keys %s", due, exc_info=True)

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]:
        found = await self.db.all(
            f"SELECT {rows.API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = ? ORDER BY id DESC", (tenant_id,)
        )
        return [rows.api_key(row) for row in found]

    async def revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        """Revoke one of the tenant's active keys; False if it is not one. Raise
        ``LastActiveKey`` instead if it is a full secret key and no other full secret key
        of the tenant is active: checked and done atomically, so concurrent revocations
        always leave one. Publishable and read-only keys do not count: they cannot manage
        anything (make or revoke a key)."""
        try:
            return await self._revoke_api_key(tenant_id, key_id)
        finally:
            self._keys.forget()  # the key stops working with the next request

    async def _revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        async with self.db.transaction() as tx:
            # Under READ COMMITTED two revocations of different keys would each count the
            # other's key as still active; the tenant's row lock queues them (SQLite's
            # transactions queue anyway), and the one that waited counts again.
            await tx.one(f"SELECT 1 FROM tenants WHERE id = ?{self.db.dialect.for_update}", (tenant_id,))
            revoked = await tx.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL"
                " AND (kind <> 'secret' OR scope <> 'full' OR (SELECT count(*) FROM api_keys"
                f" WHERE tenant_id = ? AND {rows.MANAGING_KEY}) > 1)",
                (to_ms(utcnow()), key_id, tenant_id, tenant_id),
            )
            if revoked > 0:
                return True
            active = await tx.one(
                "SELECT 1 FROM api_keys WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL",
                (key_id, tenant_id),
            )
            if active is not None:
                raise LastActiveKey(key_id)
            return False

    # -- signed-out dashboard sessions ----------------------------------------------------

    async def revoke_session(self, session_id: str, expires_at: datetime) -> None:
        """Remember that a session was signed out, until ``expires_at`` (when its cookie
        stops working anyway); forget those whose time has passed."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM revoked_sessions WHERE expires_at <= ?", (to_ms(utcnow()),))
            await tx.execute(
                "INSERT INTO revoked_sessions (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                (session_id, to_ms(expires_at)),
            )

    async def is_session_revoked(self, session_id: str) -> bool:
        return await self.db.one("SELECT 1 FROM revoked_sessions WHERE id = ?", (session_id,)) is not None

    # -- links ------------------------------------------------------------------------

    async def create_link(self, new: NewLink) -> Link:
        """Insert a link; raise ``CodeTaken`` if its custom code is in use."""
        async with self.db.transaction() as tx:
            [link] = await _create(tx, [new], rows.now())
            if isinstance(link, CodeTaken):
                raise link
        return link

    async def create_links(
        self, tenant_id: str, news: Sequence[NewLink], idempotency: IdempotentRequest | None = None
    ) -> list[Link | CodeTaken]:
        """Insert many of the tenant's links in one transaction, results in order: an item
        whose custom code is taken (by an earlier item too) gets ``CodeTaken``, the rest are
        created. With ``idempotency`` the response it builds is stored under its key in the
        same transaction; if the key is used already, raise ``IdempotencyConflict`` and
        create nothing."""
        now = rows.now()
        async with self.db.transaction() as tx:
            if idempotency is not None and (stored := await _stored_response(tx, tenant_id, idempotency.key)):
                raise IdempotencyConflict(stored)
            done = await _create(tx, news, now)
            if idempotency is not None:
                await _keep_response(tx, tenant_id, idempotency, idempotency.respond(done), now)
        return done

    async def stored_response(self, tenant_id: str, key: str) -> StoredResponse | None:
        """The response kept under an Idempotency-Key (for ``IDEMPOTENCY_RETENTION``)."""
        row = await self.db.one(_STORED_RESPONSE, (tenant_id, key, to_ms(utcnow() - IDEMPOTENCY_RETENTION)))
        return None if row is None else _response(row)

    async def reuse_or_create_links(
        self,
        tenant_id: str,
        destinations: Sequence[str],
        campaign: str | None,
        contact_id: str | None,
        conversion_tracking: bool = False,
    ) -> list[Link]:
        """For each destination (validated already), the tenant's oldest live, unexpired link
        to it with exactly this campaign and contact, or a new one (with
        ``conversion_tracking``); results in order. Atomic: two concurrent calls for the
        same campaign and contact end with one link each."""
        wanted = LinksWanted(destinations, campaign, contact_id)
        [links] = await self.reuse_or_create_many(tenant_id, [wanted], conversion_tracking)
        return links

    async def reuse_or_create_many(
        self, tenant_id: str, wanted: Sequence[LinksWanted], conversion_tracking: bool = False
    ) -> list[list[Link]]:
        """``reuse_or_create_links`` for many messages in one transaction (a campaign's
        batch, one message a contact): a destination wanted twice for one campaign and
        contact gets one link; results in the order wanted."""
        now = rows.now()
        dialect = self.db.dialect
        # (campaign, contact_id, destination) -> its link; one link a key across the batch.
        found: dict[tuple[str | None, str | None, str], Link] = {}
        async with self.db.transaction() as tx:
            if dialect.key_locks is not None:
                # One rewrite per campaign and contact at a time, so two cannot both create;
                # taken in one order, so two batches cannot wait for each other.
                keys = sorted({repr(("reuse", tenant_id, one.campaign, one.contact_id)) for one in wanted})
                await tx.execute(dialect.key_locks, (keys,))
            for campaign, contacts in _contacts_by_campaign(wanted).items():
                for link in await _live_links_of(tx, tenant_id, campaign, contacts, to_ms(now)):
                    found[(link.campaign, link.contact_id, link.destination_url)] = link
            news: dict[tuple[str | None, str | None, str], NewLink] = {}
            for one in wanted:
                for destination in one.destinations:
                    key = (one.campaign, one.contact_id, destination)
                    if key not in found and key not in news:
                        news[key] = NewLink(
                            tenant_id,
                            destination,
                            campaign=one.campaign,
                            contact_id=one.contact_id,
                            conversion_tracking=conversion_tracking,
                        )
            for key, created in zip(news, await _create(tx, list(news.values()), now), strict=True):
                assert isinstance(created, Link)  # a generated code is never "taken"
                found[key] = created
        return [
            [found[(one.campaign, one.contact_id, destination)] for destination in one.destinations]
            for one in wanted
        ]

    async def get_link(self, tenant_id: str, link_id: str) -> Link | None:
        row = await self.db.one(_TENANTS_LINK, (link_id, tenant_id))
        return None if row is None else rows.link(row)

    async def get_links(self, tenant_id: str, link_ids: Sequence[str]) -> list[Link]:
        """The tenant's live links among ``link_ids``, in no particular order."""
        found: list[Link] = []
        for chunk in self.db.dialect.chunks(list(link_ids)):
            match, params = self.db.dialect.in_list("id", chunk)
            selected = await self.db.all(
                f"SELECT {rows.LINK_COLUMNS} FROM links"
                f" WHERE tenant_id = ? AND deleted_at IS NULL AND {match}",
                (tenant_id, *params),
            )
            found.extend(rows.link(row) for row in selected)
        return found

    async def list_links(self, query: LinkQuery) -> LinkPage:
        where = ["tenant_id = ?", "deleted_at IS NULL"]
        params: list[Any] = [query.tenant_id]
        source, newest = "links", "id"
        if query.tag is not None:
            # Walked from the tag's rows (their primary key, newest link first), so a rare
            # tag among many links reads its own links only.
            where = ["g.tenant_id = ?", "g.tag = ?", "l.deleted_at IS NULL"]
            params.append(fold(query.tag))
            source, newest = "link_tags g JOIN links l ON l.id = g.link_id", "g.link_id"
        if query.after_id is not None:
            where.append(f"{newest} < ?")
            params.append(query.after_id)
        if query.campaign is not None:
            where.append("campaign = ?")
            params.append(query.campaign)
        if query.status is not None:
            if query.status == "active":
                where.append("(expires_at IS NULL OR expires_at > ?)")
            else:
                where.append("expires_at <= ?")
            params.append(to_ms(utcnow()))
        if query.search:
            # The code too, ignoring case as the rest of search does: a code is ASCII letters
            # and digits, which lower() folds alike on every engine.
            code = "code" if query.tag is None else "l.code"
            find = self.db.dialect.find
            where.append(f"({find}(search_text, ?) > 0 OR {find}(lower({code}), ?) > 0)")
            params += [query.search.casefold(), query.search.lower()]
        params.append(query.limit + 1)
        columns = rows.LINK_COLUMNS if query.tag is None else rows.qualified(rows.LINK_COLUMNS, "l")
        found = await self.db.all(
            f"SELECT {columns} FROM {source} WHERE {' AND '.join(where)} ORDER BY {newest} DESC LIMIT ?",
            params,
        )
        items = [rows.link(row) for row in found[: query.limit]]
        next_after = items[-1].id if len(found) > query.limit else None
        return Page(items=items, next_after_id=next_after)

    async def list_campaigns(self, tenant_id: str) -> list[CampaignSummary]:
        """Every campaign of the tenant's live links (a campaign with none is gone), in no
        particular order; links without a campaign (null or empty) belong to none."""
        found = await self.db.all(
            "SELECT campaign, count(*) AS links, min(created_at) AS first_at, max(created_at) AS last_at"
            " FROM links WHERE tenant_id = ? AND deleted_at IS NULL AND campaign <> '' GROUP BY campaign",
            (tenant_id,),
        )
        return [
            CampaignSummary(row["campaign"], row["links"], from_ms(row["first_at"]), from_ms(row["last_at"]))
            for row in found
        ]

    async def campaign_link_ids(self, tenant_id: str, campaign: str) -> list[str]:
        """The ids of the campaign's live links, oldest first."""
        found = await self.db.all(
            "SELECT id FROM links WHERE tenant_id = ? AND campaign = ? AND deleted_at IS NULL ORDER BY id",
            (tenant_id, campaign),
        )
        return [row["id"] for row in found]

    async def update_link(self, tenant_id: str, link_id: str, patch: LinkPatch) -> Link | None:
        async with self.db.transaction() as tx:
            # Locked (PostgreSQL): a concurrent edit waits for this one, so neither patch is
            # lost and their outbox rows come in commit order.
            row = await tx.one(_TENANTS_LINK + self.db.dialect.for_update, (link_id, tenant_id))
            if row is None:
                return None
            link = patch.applied_to(rows.link(row), utcnow())
            stored = await tx.one(
                f"UPDATE links SET {rows.set_clause(rows.LINK_EDIT_COLUMNS)}"
                f" WHERE id = ? RETURNING {rows.LINK_COLUMNS}",
                (*rows.edited_link_values(link), link_id),
            )
            if not isinstance(patch.tags, Unset):
                await replace_tags(tx, link)
            await _outbox(tx, "updated", tenant_id, link_id, link.code, link.domain)
        return None if stored is None else rows.link(stored)

    async def delete_link(self, tenant_id: str, link_id: str) -> Link | None:
        """Mark a link deleted. Its code stays taken for good, so old short URLs never
        start pointing somewhere new."""
        async with self.db.transaction() as tx:
            row = await tx.one(
                "UPDATE links SET deleted_at = ?"
                f" WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL RETURNING {rows.LINK_COLUMNS}",
                (to_ms(utcnow()), link_id, tenant_id),
            )
            if row is None:
                return None
            await tx.execute("DELETE FROM link_click_counts WHERE link_id = ?", (link_id,))
            deleted = rows.link(row)
            await drop_tags(tx, link_id)
            await _outbox(tx, "deleted", tenant_id, link_id, deleted.code, deleted.domain)
        return deleted

    async def resolve(self, code: str) -> ResolvedLink | None:
        """The live link behind a code, for the redirector (None if unknown or deleted)."""
        return (await self.resolve_many([code])).get(code)

    async def resolve_many(self, keys: Sequence[str]) -> dict[str, ResolvedLink]:
        """The live links behind ``keys`` (a code on the default domain, or ``host/code``:
        ``smartlinks.domains.link_key``), by key, in one query per ``in_chunk`` codes: the
        redirector's cache misses of one event-loop turn (unknown or deleted ones are left
        out)."""
        wanted = set(keys)
        codes = list(dict.fromkeys(split_key(key)[1] for key in keys))
        # On SQLite these reads stay on the pool's threads: run inline on the event loop they
        # measured no better in bench/cold_cache_bench.py (embedded, 40,000 links: 249 µs of
        # CPU a cold redirect inline, 215 µs on the pool).
        found: dict[str, ResolvedLink] = {}
        for chunk in self.db.dialect.chunks(codes):
            match, params = self.db.dialect.in_list("l.code", chunk)
            for row in await self.db.all(f"{_RESOLVE} WHERE {match}", params):
                key = link_key(row["domain"], row["code"])
                if row["deleted_at"] is None and key in wanted:
                    found[key] = rows.resolved_link(row, row["code"])
        return found

    # -- the outbox of link changes ---------------------------------------------------

    @property
    def changes_in_commit_order(self) -> bool:
        """Whether a change committed after ``pending_changes`` returned always has a higher
        sequence number than every change it returned (SQLite: yes; PostgreSQL: no)."""
        return self.db.dialect.ordered_commits

    async def pending_changes(self, limit: int = 1000, after: int = 0) -> list[tuple[int, LinkChange]]:
        # No claiming (FOR UPDATE SKIP LOCKED would have to hold a transaction open while
        # the relay publishes): with several API processes, their relays may read and
        # publish the same rows. That is harmless, since every subscriber handles a change
        # idempotently (drop a cache entry, delete a link's clicks), and forgetting a seq
        # twice deletes nothing the second time.
        """Committed changes not yet forgotten, oldest first, with their sequence numbers;
        ``after``: only those after that sequence number (to page through them)."""
        found = await self.db.all(
            "SELECT seq, kind, tenant_id, link_id, code, at, domain FROM link_outbox"
            " WHERE seq > ? ORDER BY seq LIMIT ?",
            (after, limit),
        )
        return [rows.change(row) for row in found]

    async def forget_changes(self, seqs: list[int]) -> None:
        """Drop published changes from the outbox."""
        if not seqs:
            return
        async with self.db.transaction() as tx:
            for chunk in self.db.dialect.chunks(seqs):
                match, params = self.db.dialect.in_list("seq", chunk)
                await tx.execute(f"DELETE FROM link_outbox WHERE {match}", params)


_STORED_RESPONSE = (
    "SELECT request_hash, status, body FROM idempotency_keys"
    " WHERE tenant_id = ? AND key = ? AND created_at >= ?"
)


def _response(row: rows.Row) -> StoredResponse:
    return StoredResponse(row["request_hash"], row["status"], bytes(row["body"]))


async def _stored_response(tx: Transaction, tenant_id: str, key: str) -> StoredResponse | None:
    row = await tx.one(_STORED_RESPONSE, (tenant_id, key, to_ms(utcnow() - IDEMPOTENCY_RETENTION)))
    return None if row is None else _response(row)


async def _keep_response(
    tx: Transaction, tenant_id: str, idempotency: IdempotentRequest, body: bytes, now: datetime
) -> None:
    await tx.execute(
        "DELETE FROM idempotency_keys WHERE created_at < ?", (to_ms(now - IDEMPOTENCY_RETENTION),)
    )
    kept = await tx.one(
        "INSERT INTO idempotency_keys (tenant_id, key, request_hash, status, body, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING key",
        (tenant_id, idempotency.key, idempotency.request_hash, idempotency.status, body, to_ms(now)),
    )
    if kept is None:
        # A concurrent request with the key committed first (PostgreSQL: we waited for it
        # above): answer with its response, and roll our links back.
        stored = await _stored_response(tx, tenant_id, idempotency.key)
        raise IdempotencyConflict(stored or StoredResponse(idempotency.request_hash, 409, b""))

"""A tenant's own domains in the store: add, read, change and remove them, each change
announced through the link outbox (``domain_changed``) so every redirector reads the set
of domains again.

A host belongs to one tenant at a time (a unique column): another tenant's add is
``DomainTaken``. A domain with live links cannot be removed (``DomainInUse``): their short
URLs would stop working. Removing one deletes its row, so the host can be added again,
by anyone; the codes of the deleted links on it stay taken there.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartlinks.ids import new_id
from smartlinks.models import Domain, from_ms, to_ms, utcnow
from smartlinks.store import rows
from smartlinks.store.database import Database, Transaction

_COLUMNS = "id, tenant_id, host, not_found_url, created_at, updated_at"
_OUTBOX = "INSERT INTO link_outbox (kind, tenant_id, link_id, code, at, domain) VALUES (?, ?, ?, '', ?, ?)"


class DomainTaken(Exception):
    """The host is another tenant's domain (or this tenant's already)."""


class DomainInUse(Exception):
    """The domain still has live links."""


class UnknownDomain(Exception):
    """A link names a domain that is not its tenant's."""


def _domain(row: rows.Row) -> Domain:
    return Domain(
        id=row["id"],
        tenant_id=row["tenant_id"],
        host=row["host"],
        not_found_url=row["not_found_url"],
        created_at=from_ms(row["created_at"]),
        updated_at=from_ms(row["updated_at"]),
    )


async def _announce(tx: Transaction, domain: Domain) -> None:
    await tx.execute(_OUTBOX, ("domain_changed", domain.tenant_id, domain.id, to_ms(utcnow()), domain.host))


async def check_domains(tx: Transaction, tenant_id: str, hosts: Sequence[str], lock: str) -> None:
    """Raise ``UnknownDomain`` unless every one of ``hosts`` is the tenant's, inside the
    transaction that creates links on them; ``lock`` (PostgreSQL: FOR SHARE) keeps a
    removal of the domain waiting until those links are committed, so it counts them."""
    wanted = sorted(set(hosts))
    if not wanted:
        return
    match, params = tx.dialect.in_list("host", wanted)
    found = await tx.all(
        f"SELECT host FROM domains WHERE tenant_id = ? AND {match}{lock}", (tenant_id, *params)
    )
    missing = set(wanted) - {row["host"] for row in found}
    if missing:
        raise UnknownDomain(min(missing))


class DomainStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, tenant_id: str, host: str, not_found_url: str | None) -> Domain:
        now = rows.now()
        domain = Domain(new_id(), tenant_id, host, not_found_url, now, now)
        async with self.db.transaction() as tx:
            added = await tx.execute(
                f"INSERT INTO domains ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (host) DO NOTHING",
                (domain.id, tenant_id, host, not_found_url, to_ms(now), to_ms(now)),
            )
            if not added:
                raise DomainTaken(host)
            await _announce(tx, domain)
        return domain

    async def get(self, tenant_id: str, domain_id: str) -> Domain | None:
        row = await self.db.one(
            f"SELECT {_COLUMNS} FROM domains WHERE id = ? AND tenant_id = ?", (domain_id, tenant_id)
        )
        return None if row is None else _domain(row)

    async def of_tenant(self, tenant_id: str) -> list[Domain]:
        """The tenant's domains, oldest first."""
        found = await self.db.all(
            f"SELECT {_COLUMNS} FROM domains WHERE tenant_id = ? ORDER BY id", (tenant_id,)
        )
        return [_domain(row) for row in found]

    async def hosts(self, tenant_id: str) -> set[str]:
        return {domain.host for domain in await self.of_tenant(tenant_id)}

    async def every(self) -> list[Domain]:
        """Every tenant's domains: what a redirector serves (read at start and on a change)."""
        return [_domain(row) for row in await self.db.all(f"SELECT {_COLUMNS} FROM domains")]

    async def set_not_found_url(self, tenant_id: str, domain_id: str, url: str | None) -> Domain | None:
        async with self.db.transaction() as tx:
            row = await tx.one(
                "UPDATE domains SET not_found_url = ?, updated_at = ? WHERE id = ? AND tenant_id = ?"
                f" RETURNING {_COLUMNS}",
                (url, to_ms(rows.now()), domain_id, tenant_id),
            )
            if row is None:
                return None
            domain = _domain(row)
            await _announce(tx, domain)
        return domain

    async def remove(self, tenant_id: str, domain_id: str) -> Domain | None:
        """Remove a domain without live links (else ``DomainInUse``); None if not the tenant's."""
        async with self.db.transaction() as tx:
            row = await tx.one(
                f"SELECT {_COLUMNS} FROM domains WHERE id = ? AND tenant_id = ?{self.db.dialect.for_update}",
                (domain_id, tenant_id),
            )
            if row is None:
                return None
            domain = _domain(row)
            used = await tx.one(
                "SELECT 1 FROM links WHERE domain = ? AND deleted_at IS NULL AND domain <> '' LIMIT 1",
                (domain.host,),
            )
            if used is not None:
                raise DomainInUse(domain.host)
            await tx.execute("DELETE FROM domains WHERE id = ?", (domain_id,))
            await _announce(tx, domain)
        return domain

"""The link store's rows and models, one into the other, the same for every engine.

Both stores read a row by column name (``sqlite3.Row`` on SQLite, psycopg's ``dict_row``
on PostgreSQL) and keep every time as integer milliseconds since the epoch, so one
function per table turns a row of either into its model, and the last few make a new
link and the values a store writes for it. The SQL, placeholders and all, stays with each
store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from schemas.events import LinkChange
from smartlinks.ids import new_id
from smartlinks.models import ApiKey, Link, NewLink, ResolvedLink, Tenant, from_ms, to_ms, utcnow
from smartlinks.store.base import TenantSummary, search_text
from smartlinks.urls import to_header_url

# The columns the functions below read, for a store's SELECT and RETURNING clauses.
LINK_COLUMNS = (
    "id, tenant_id, code, destination_url, title, expires_at, campaign, contact_id, created_at, updated_at"
)
TENANT_COLUMNS = "id, name, collect_metadata, created_at"
API_KEY_COLUMNS = "id, tenant_id, name, prefix, created_at, revoked_at"
# The columns a new link's row sets, in the order of ``link_values``.
LINK_INSERT_COLUMNS = (
    "id, tenant_id, code, destination_url, location, title,"
    " expires_at, campaign, contact_id, search_text, created_at, updated_at"
)


class Row(Protocol):
    """A row whose columns can be read by name."""

    def __getitem__(self, column: str, /) -> Any: ...


def now() -> datetime:
    """Now, cut to the millisecond the store keeps, so a write returns what a read will."""
    return from_ms(to_ms(utcnow()))


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


def _ms(at: datetime | None) -> int | None:
    return None if at is None else to_ms(at)


def link(row: Row) -> Link:
    return Link(
        id=row["id"],
        tenant_id=row["tenant_id"],
        code=row["code"],
        destination_url=row["destination_url"],
        title=row["title"],
        expires_at=_time(row["expires_at"]),
        campaign=row["campaign"],
        contact_id=row["contact_id"],
        created_at=from_ms(row["created_at"]),
        updated_at=from_ms(row["updated_at"]),
    )


def tenant(row: Row) -> Tenant:
    return Tenant(
        id=row["id"],
        name=row["name"],
        collect_metadata=bool(row["collect_metadata"]),  # SQLite has no booleans: 0 or 1
        created_at=from_ms(row["created_at"]),
    )


def tenant_summary(row: Row) -> TenantSummary:
    """A row of ``TENANT_COLUMNS`` with ``active_keys``."""
    return TenantSummary(tenant(row), int(row["active_keys"]))


def api_key(row: Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        prefix=row["prefix"],
        created_at=from_ms(row["created_at"]),
        revoked_at=_time(row["revoked_at"]),
    )


def resolved_link(row: Row, code: str) -> ResolvedLink:
    """A link as the redirector needs it, from a row of links joined with its tenant."""
    return ResolvedLink(
        link_id=row["id"],
        tenant_id=row["tenant_id"],
        code=code,
        location=row["location"],
        expires_at_ms=row["expires_at"],
        campaign=row["campaign"],
        contact_id=row["contact_id"],
        collect_metadata=bool(row["collect_metadata"]),
    )


def change(row: Row) -> tuple[int, LinkChange]:
    """A row of ``link_outbox``: its sequence number and the change."""
    return row["seq"], LinkChange(row["kind"], row["tenant_id"], row["link_id"], row["code"], row["at"])


def new_link(new: NewLink, code: str, now: datetime) -> Link:
    """The link to insert for ``new`` under ``code``: a fresh id, and times cut to the
    millisecond, as a read will return them."""
    return Link(
        id=new_id(),
        tenant_id=new.tenant_id,
        code=code,
        destination_url=new.destination_url,
        title=new.title,
        expires_at=_time(_ms(new.expires_at)),
        campaign=new.campaign,
        contact_id=new.contact_id,
        created_at=now,
        updated_at=now,
    )


def link_values(link: Link) -> tuple[Any, ...]:
    """The values of ``LINK_INSERT_COLUMNS`` for a new link, the derived ones included."""
    return (
        link.id,
        link.tenant_id,
        link.code,
        link.destination_url,
        to_header_url(link.destination_url),
        link.title,
        _ms(link.expires_at),
        link.campaign,
        link.contact_id,
        search_text(link.title, link.destination_url),
        to_ms(link.created_at),
        to_ms(link.updated_at),
    )


def edited_link_values(link: Link) -> tuple[Any, ...]:
    """What an edit sets, in this order: destination_url, location, title, expires_at,
    search_text, updated_at."""
    return (
        link.destination_url,
        to_header_url(link.destination_url),
        link.title,
        _ms(link.expires_at),
        search_text(link.title, link.destination_url),
        to_ms(link.updated_at),
    )

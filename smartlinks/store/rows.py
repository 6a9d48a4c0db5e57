"""The link store's rows and models, one into the other, the same for every engine.

Both stores read a row by column name (``sqlite3.Row`` on SQLite, psycopg's ``dict_row``
on PostgreSQL) and keep every time as integer milliseconds since the epoch, so one
function per table turns a row of either into its model, and the last few make a new
link and the values a store writes for it, and the fragments of SQL built from column
lists (with the ``?`` placeholders every query of the store is written in).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from schemas.events import LinkChange
from smartlinks.ids import new_id
from smartlinks.models import ApiKey, KeyKind, Link, NewLink, ResolvedLink, Tenant, from_ms, to_ms, utcnow
from smartlinks.store.base import (
    TENANT_SETTINGS,
    KeyHolder,
    TenantSummary,
    hash_api_key,
    new_api_key,
    search_text,
)
from smartlinks.urls import to_header_url

# The columns the functions below read, for a store's SELECT and RETURNING clauses.
LINK_COLUMNS = (
    "id, tenant_id, code, destination_url, title, expires_at, campaign, contact_id, created_at, updated_at,"
    " conversion_tracking"
)
TENANT_COLUMNS = (
    "id, name, collect_metadata, created_at, conversion_tracking, click_id_param, attribution_window_days"
)
API_KEY_COLUMNS = "id, tenant_id, name, prefix, created_at, revoked_at, kind"
API_KEY_INSERT_COLUMNS = "id, tenant_id, name, prefix, key_hash, created_at, kind"
# The columns a new link's row sets, in the order of ``link_values``.
LINK_INSERT_COLUMNS = (
    "id, tenant_id, code, destination_url, location, title,"
    " expires_at, campaign, contact_id, search_text, created_at, updated_at, conversion_tracking"
)
# Their SQL types, for an engine that binds the rows as one array per column.
LINK_INSERT_TYPES = (
    "text", "text", "text", "text", "text", "text",
    "bigint", "text", "text", "text", "bigint", "bigint", "boolean",
)  # fmt: skip
# What a redirector reads for a code (``resolved_link``): links ``l`` joined with tenants ``t``.
RESOLVE_COLUMNS = (
    "l.id, l.tenant_id, l.location, l.expires_at, l.campaign, l.contact_id, l.conversion_tracking,"
    " t.collect_metadata, t.click_id_param"
)
# What an edit sets, in the order of ``edited_link_values``, as "column = <placeholder>".
LINK_EDIT_COLUMNS = (
    "destination_url", "location", "title", "expires_at", "search_text", "updated_at", "conversion_tracking",
)  # fmt: skip


class Row(Protocol):
    """A row whose columns can be read by name."""

    def __getitem__(self, column: str, /) -> Any: ...


def now() -> datetime:
    """Now, cut to the millisecond the store keeps, so a write returns what a read will."""
    return from_ms(to_ms(utcnow()))


def time_or_none(ms: int | None) -> datetime | None:
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
        expires_at=time_or_none(row["expires_at"]),
        campaign=row["campaign"],
        contact_id=row["contact_id"],
        created_at=from_ms(row["created_at"]),
        updated_at=from_ms(row["updated_at"]),
        conversion_tracking=bool(row["conversion_tracking"]),
    )


def tenant(row: Row) -> Tenant:
    return Tenant(
        id=row["id"],
        name=row["name"],
        collect_metadata=bool(row["collect_metadata"]),  # SQLite has no booleans: 0 or 1
        created_at=from_ms(row["created_at"]),
        conversion_tracking=bool(row["conversion_tracking"]),
        click_id_param=row["click_id_param"],
        attribution_window_days=int(row["attribution_window_days"]),
    )


def tenant_values(tenant: Tenant) -> tuple[Any, ...]:
    """The tenant's settings (``TENANT_SETTINGS``), in that order."""
    return tuple(getattr(tenant, name) for name in TENANT_SETTINGS)


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
        revoked_at=time_or_none(row["revoked_at"]),
        kind=_key_kind(row["kind"]),
    )


def key_holder(row: Row) -> KeyHolder:
    """A row of ``TENANT_COLUMNS`` with the key's ``key_id`` and ``key_kind``."""
    return KeyHolder(tenant(row), row["key_id"], _key_kind(row["key_kind"]))


def new_api_key_row(tenant_id: str, name: str, kind: KeyKind) -> tuple[ApiKey, str, tuple[Any, ...]]:
    """A new key: its record, the key itself (shown once) and the values of
    ``API_KEY_INSERT_COLUMNS`` (only the key's hash is kept)."""
    key = new_api_key(kind)
    record = ApiKey(new_id(), tenant_id, name, key[:7], now(), revoked_at=None, kind=kind)
    values = (record.id, tenant_id, name, record.prefix, hash_api_key(key), to_ms(record.created_at), kind)
    return record, key, values


def _key_kind(kind: str) -> KeyKind:
    # The column's CHECK admits only these two.
    return "publishable" if kind == "publishable" else "secret"


def resolved_link(row: Row, code: str) -> ResolvedLink:
    """A link as the redirector needs it, from a row of links joined with its tenant (its
    ``click_id_param`` too)."""
    return ResolvedLink(
        link_id=row["id"],
        tenant_id=row["tenant_id"],
        code=code,
        location=row["location"],
        expires_at_ms=row["expires_at"],
        campaign=row["campaign"],
        contact_id=row["contact_id"],
        collect_metadata=bool(row["collect_metadata"]),
        click_param=row["click_id_param"] if row["conversion_tracking"] else None,
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
        expires_at=time_or_none(_ms(new.expires_at)),
        campaign=new.campaign,
        contact_id=new.contact_id,
        created_at=now,
        updated_at=now,
        conversion_tracking=new.conversion_tracking,
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
        link.conversion_tracking,
    )


def edited_link_values(link: Link) -> tuple[Any, ...]:
    """What an edit sets, in the order of ``LINK_EDIT_COLUMNS``."""
    return (
        link.destination_url,
        to_header_url(link.destination_url),
        link.title,
        _ms(link.expires_at),
        search_text(link.title, link.destination_url),
        to_ms(link.updated_at),
        link.conversion_tracking,
    )


def set_clause(columns: tuple[str, ...]) -> str:
    """``a = ?, b = ?`` for an UPDATE of ``columns``."""
    return ", ".join(f"{column} = ?" for column in columns)


def marks(n: int) -> str:
    """``?, ?, ?``: ``n`` placeholders."""
    return ", ".join("?" * n)


def placeholders(columns: str) -> str:
    """One placeholder per column of ``columns`` (comma-separated)."""
    return marks(len(columns.split(",")))


def qualified(columns: str, alias: str) -> str:
    """``columns`` (comma-separated) each prefixed with ``alias.``, for a join."""
    return ", ".join(f"{alias}.{column.strip()}" for column in columns.split(","))

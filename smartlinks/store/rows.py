"""The link store's rows and models, one into the other, the same for every engine.

Both stores read a row by column name (``sqlite3.Row`` on SQLite, psycopg's ``dict_row``
on PostgreSQL) and keep every time as integer milliseconds since the epoch, so one
``ModelRow`` per model, declared by its fields, names its columns and turns a row of
either into the model and the model into the values written; the last few functions
make a new link and the fragments of SQL built from column lists (with the ``?``
placeholders every query of the store is written in).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from operator import attrgetter, itemgetter
from typing import Any, Generic, NamedTuple, Protocol, TypeVar, cast

from schemas.events import LinkChange
from smartlinks.ids import new_id
from smartlinks.models import (
    ApiKey,
    KeyKind,
    KeyScope,
    Link,
    NewLink,
    ResolvedLink,
    Tenant,
    from_ms,
    to_ms,
    utcnow,
)
from smartlinks.rules import rules_from_json, rules_to_json
from smartlinks.store.base import (
    TENANT_SETTINGS,
    KeyHolder,
    TenantSummary,
    hash_api_key,
    new_api_key,
    search_text,
)
from smartlinks.urls import to_header_url

# What a redirector reads for a code (``resolved_link``): links ``l`` joined with tenants ``t``.
RESOLVE_COLUMNS = (
    "l.id, l.tenant_id, l.location, l.expires_at, l.campaign, l.contact_id, l.conversion_tracking,"
    " l.rules, t.collect_metadata, t.click_id_param"
)
API_KEY_INSERT_COLUMNS = "id, tenant_id, name, prefix, key_hash, created_at, kind, scope"
# The keys that can manage a tenant (make and revoke keys): active, secret and full.
MANAGING_KEY = "revoked_at IS NULL AND kind = 'secret' AND scope = 'full'"


class Row(Protocol):
    """A row whose columns can be read by name."""

    def __getitem__(self, column: str, /) -> Any: ...


M = TypeVar("M")


class Codec(NamedTuple):
    """How a field is kept in its column: ``read`` from a row, ``write`` into one."""

    read: Callable[[Any], Any]
    write: Callable[[Any], Any]


class ModelRow(Generic[M]):
    """How a ``model`` (a dataclass) is kept in a row whose columns are named like its
    fields: each value as it is, or through its ``Codec`` (a plain function: read through
    it, written as it is); fields in ``supplied`` are the caller's, not the row's. Declared
    once per model, it lists the columns (``columns``, for the store's SELECT and RETURNING
    clauses), reads a row (calling it) and gives the values to write (``kept``, ``values``)."""

    def __init__(
        self, model: Callable[..., M], supplied: Sequence[str] = (), **codecs: Codec | Callable[[Any], Any]
    ) -> None:
        self.model = model
        every = tuple(field.name for field in fields(cast(Any, model)))
        self.names = tuple(name for name in every if name not in supplied)
        # Read fields are passed by position (as fast as a hand-written call), the
        # supplied ones by name after them.
        assert every[: len(self.names)] == self.names, "supplied fields must come last"
        assert len(self.names) > 1, "itemgetter of one column gives no tuple"
        assert set(codecs) <= set(self.names), "a codec for a field the row does not hold"
        self.columns = ", ".join(self.names)
        reads = {name: c.read if isinstance(c, Codec) else c for name, c in codecs.items()}
        writes = {name: c.write for name, c in codecs.items() if isinstance(c, Codec)}
        self._get = itemgetter(*self.names)
        self._reads = tuple((at, reads[name]) for at, name in enumerate(self.names) if name in reads)
        self._attrs = attrgetter(*self.names)
        self._writes = tuple((at, writes[name]) for at, name in enumerate(self.names) if name in writes)

    def __call__(self, row: Row, **supplied: Any) -> M:
        read = list(self._get(row))
        for at, convert in self._reads:
            read[at] = convert(read[at])
        return self.model(*read, **supplied)

    def values(self, record: M) -> tuple[Any, ...]:
        """The values of ``columns`` for ``record``, in their order."""
        kept = list(self._attrs(record))
        for at, convert in self._writes:
            kept[at] = convert(kept[at])
        return tuple(kept)

    def kept(self, record: M) -> dict[str, Any]:
        """Each column with what the store keeps of ``record``."""
        return dict(zip(self.names, self.values(record), strict=True))


def in_order(kept: Mapping[str, Any], columns: Iterable[str]) -> tuple[Any, ...]:
    """The values ``kept`` of ``columns``, in their order: a statement's parameters."""
    return tuple(kept[column] for column in columns)


def now() -> datetime:
    """Now, cut to the millisecond the store keeps, so a write returns what a read will."""
    return from_ms(to_ms(utcnow()))


def time_or_none(ms: int | None) -> datetime | None:
    return None if ms is None else from_ms(ms)


def _ms(at: datetime | None) -> int | None:
    return None if at is None else to_ms(at)


def _key_kind(kind: str) -> KeyKind:
    # The column's CHECK admits only these two.
    return "publishable" if kind == "publishable" else "secret"


def _key_scope(scope: str) -> KeyScope:
    # The column's CHECK admits only these two.
    return "read_only" if scope == "read_only" else "full"


# Times are kept as milliseconds; SQLite has no booleans (0 or 1), so a flag reads as bool.
MS = Codec(from_ms, to_ms)
MS_OR_NONE = Codec(time_or_none, _ms)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n")) if text else ()


def _joined(items: tuple[str, ...]) -> str:
    return "\n".join(items)


# A list of short strings without line breaks (the API refuses them) is one TEXT column,
# a line each: both engines, no array type, and '' reads as the empty list.
LINES = Codec(_lines, _joined)
# A link's rules are one JSON document (NULL for none): smartlinks.rules.
RULES = Codec(rules_from_json, rules_to_json)


def _host_or_none(host: str) -> str | None:
    return host or None


def _host_or_empty(host: str | None) -> str:
    return host or ""


# A link's domain: '' in the column for the default one, so (code, domain) can be unique.
DOMAIN = Codec(_host_or_none, _host_or_empty)

link = ModelRow(
    Link,
    expires_at=MS_OR_NONE,
    created_at=MS,
    updated_at=MS,
    conversion_tracking=bool,
    rules=RULES,
    tags=LINES,
    domain=DOMAIN,
)
tenant = ModelRow(
    Tenant,
    collect_metadata=bool,
    created_at=MS,
    conversion_tracking=bool,
    attribution_window_days=int,
    bot_user_agents=LINES,
    bot_ip_ranges=LINES,
)
api_key = ModelRow(
    ApiKey, created_at=MS, revoked_at=MS_OR_NONE, kind=_key_kind, scope=_key_scope, last_used_at=MS_OR_NONE
)
LINK_COLUMNS = link.columns
TENANT_COLUMNS = tenant.columns
API_KEY_COLUMNS = api_key.columns

# The columns a new link's row sets (``link_values``): the link's, then those derived
# from it; with their SQL types, for an engine that binds the rows as one array per column.
_DERIVED = ("location", "search_text")
_LINK_TYPES = {
    "id": "text", "tenant_id": "text", "code": "text", "destination_url": "text", "title": "text",
    "expires_at": "bigint", "campaign": "text", "contact_id": "text", "created_at": "bigint",
    "updated_at": "bigint", "conversion_tracking": "boolean", "rules": "text", "location": "text",
    "search_text": "text",
    "tags": "text", "domain": "text",
}  # fmt: skip
_LINK_INSERT = (*link.names, *_DERIVED)
LINK_INSERT_COLUMNS = ", ".join(_LINK_INSERT)
LINK_INSERT_TYPES = tuple(_LINK_TYPES[column] for column in _LINK_INSERT)
# What an edit sets (``edited_link_values``).
LINK_EDIT_COLUMNS = (
    "destination_url", "location", "title", "expires_at", "search_text", "updated_at", "conversion_tracking",
    "rules",
    "tags",
)  # fmt: skip


def tenant_values(record: Tenant) -> tuple[Any, ...]:
    """The tenant's settings (``TENANT_SETTINGS``), in that order."""
    return in_order(tenant.kept(record), TENANT_SETTINGS)


def tenant_summary(row: Row) -> TenantSummary:
    """A row of ``TENANT_COLUMNS`` with ``active_keys`` and ``links``."""
    return TenantSummary(tenant(row), int(row["active_keys"]), int(row["links"]))


def key_holder(row: Row) -> KeyHolder:
    """A row of ``TENANT_COLUMNS`` with the key's ``key_id``, ``key_kind`` and ``key_scope``."""
    return KeyHolder(tenant(row), row["key_id"], _key_kind(row["key_kind"]), _key_scope(row["key_scope"]))


def new_api_key_row(
    tenant_id: str, name: str, kind: KeyKind, scope: KeyScope = "full"
) -> tuple[ApiKey, str, tuple[Any, ...]]:
    """A new key: its record, the key itself (shown once) and the values of
    ``API_KEY_INSERT_COLUMNS`` (only the key's hash is kept)."""
    key = new_api_key(kind)
    record = ApiKey(new_id(), tenant_id, name, key[:7], now(), revoked_at=None, kind=kind, scope=scope)
    created = to_ms(record.created_at)
    values = (record.id, tenant_id, name, record.prefix, hash_api_key(key), created, kind, scope)
    return record, key, values


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
        rules=rules_from_json(row["rules"]),
    )


def change(row: Row) -> tuple[int, LinkChange]:
    """A row of ``link_outbox``: its sequence number and the change."""
    return row["seq"], LinkChange(
        row["kind"], row["tenant_id"], row["link_id"], row["code"], row["at"], domain=row["domain"]
    )


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
        rules=new.rules,
        tags=new.tags,
        domain=new.domain,
    )


def _derived(record: Link) -> tuple[Any, ...]:
    """The values of ``_DERIVED``: the destination as a header value, and what search matches."""
    return to_header_url(record.destination_url), search_text(record.title, record.destination_url)


def link_values(new: Link) -> tuple[Any, ...]:
    """The values of ``LINK_INSERT_COLUMNS`` for a new link."""
    return (*link.values(new), *_derived(new))


def edited_link_values(edited: Link) -> tuple[Any, ...]:
    """What an edit sets, in the order of ``LINK_EDIT_COLUMNS``."""
    return in_order(dict(zip(_LINK_INSERT, link_values(edited), strict=True)), LINK_EDIT_COLUMNS)


def set_clause(columns: tuple[str, ...]) -> str:
    """``a = ?, b = ?`` for an UPDATE of ``columns``."""
    return ", ".join(f"{column} = ?" for column in columns)


def marks(n: int) -> str:
    """``?, ?, ?``: ``n`` placeholders."""
    return ", ".join("?" * n)


def placeholders(columns: str) -> str:
    """One placeholder per column of ``columns`` (comma-separated)."""
    return marks(len(columns.split(",")))


def insert(table: str, columns: str) -> str:
    """``INSERT INTO table (columns) VALUES (?, ...)``: one row of ``columns``."""
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders(columns)})"


def qualified(columns: str, alias: str) -> str:
    """``columns`` (comma-separated) each prefixed with ``alias.``, for a join."""
    return ", ".join(f"{alias}.{column.strip()}" for column in columns.split(","))

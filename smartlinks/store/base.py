"""What the link store hands out and takes besides the models: pages, summaries, the
records of idempotent requests, the store's own errors, and the key and search helpers
its callers share. The store itself is ``smartlinks.store.link_store.LinkStore``, one
class for SQLite (embedded) and PostgreSQL (distributed): nothing engine-specific leaks
past it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from smartlinks.models import (
    KeyKind,
    KeyScope,
    Link,
    Page,
    Tenant,
    TenantPatch,
)

# The tenant's settings, named as ``Tenant`` and ``TenantPatch`` name them: what the API
# shows and changes, and what the store writes when they change.
TENANT_SETTINGS: tuple[str, ...] = tuple(field.name for field in fields(TenantPatch))

API_KEY_PREFIX = "sl_"
# A publishable key looks different at a glance, so nobody mistakes one for the other, and
# no prefix of one kind is a prefix of the other (sessions tell keys apart by prefix).
API_KEY_PREFIXES: dict[KeyKind, str] = {"secret": API_KEY_PREFIX, "publishable": "slp_"}


class CodeTaken(Exception):
    """The requested code already belongs to a link (live or deleted)."""


class TenantNameTaken(Exception):
    """Another tenant has this name, in any case: names pick tenants out (``smartlinks key
    create``), so they are unique."""


class LastActiveKey(Exception):
    """The key is its tenant's only active full secret one: revoking it would lock the
    tenant out (a read-only key cannot make another key)."""


@dataclass(frozen=True, slots=True)
class TenantSummary:
    """A tenant, how many active full secret API keys it has (none: nobody can manage it)
    and how many live links."""

    tenant: Tenant
    active_keys: int
    links: int = 0


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """Whose an active API key is, of which kind, and what it may do."""

    tenant: Tenant
    key_id: str
    kind: KeyKind
    scope: KeyScope = "full"


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """What a request sent with an Idempotency-Key was answered."""

    request_hash: str  # of the request's body: a retry must send the same one
    status: int
    body: bytes


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used already (maybe by a request still running a moment
    ago); ``stored`` is what that request was answered. Nothing was written."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("idempotency key already used")
        self.stored = stored


# How long a response stays available to retries under its Idempotency-Key.
IDEMPOTENCY_RETENTION = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """Keep the response of a write under ``key``, in the write's own transaction."""

    key: str
    request_hash: str
    status: int
    respond: Callable[[Sequence[Link | CodeTaken]], bytes]  # the body, from the write's results


class CodeSpaceExhausted(Exception):
    """Generated codes kept colliding; practically impossible with 62**7 codes."""


@dataclass(frozen=True, slots=True)
class LinkQuery:
    tenant_id: str
    search: str | None = None
    status: str | None = None  # "active" | "expired"
    campaign: str | None = None
    limit: int = 50
    after_id: str | None = None  # cursor: the last id of the previous page
    tag: str | None = None  # only links with this tag (any case)


@dataclass(frozen=True, slots=True)
class LinksWanted:
    """The links a message to one contact needs: one per destination (a rewrite)."""

    destinations: Sequence[str]
    campaign: str | None
    contact_id: str | None


LinkPage = Page[Link]


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    """A campaign as its live links make it: how many, and when the first and the last
    of them were created."""

    campaign: str
    links: int
    first_created_at: datetime
    last_created_at: datetime


def new_api_key(kind: KeyKind = "secret") -> str:
    return API_KEY_PREFIXES[kind] + secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")


def hash_api_key(key: str) -> str:
    # Keys carry 190+ bits of entropy, so a fast hash is enough: no salt or KDF needed.
    return hashlib.sha256(key.encode()).hexdigest()


def search_text(title: str | None, destination_url: str) -> str:
    """What ``search`` matches: title and URL folded once at write time, so any engine can
    match a case-insensitive substring (Unicode included) with a plain ``instr``/``strpos``."""
    return f"{title or ''}\n{destination_url}".casefold()

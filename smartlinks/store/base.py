"""The link store interface: tenants, API keys and links.

The API, the redirector and the CLI depend only on this protocol; SQLite (embedded) and
PostgreSQL (distributed) implement it. Nothing engine-specific leaks past it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from schemas.events import LinkChange
from smartlinks.models import ApiKey, Link, LinkPatch, NewLink, ResolvedLink, Tenant

API_KEY_PREFIX = "sl_"


class CodeTaken(Exception):
    """The requested code already belongs to a link (live or deleted)."""


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


@dataclass(frozen=True, slots=True)
class LinkPage:
    items: list[Link]
    next_after_id: str | None


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32).replace("-", "x").replace("_", "y")


def hash_api_key(key: str) -> str:
    # Keys carry 190+ bits of entropy, so a fast hash is enough: no salt or KDF needed.
    return hashlib.sha256(key.encode()).hexdigest()


def search_text(title: str | None, destination_url: str) -> str:
    """What ``search`` matches: title and URL folded once at write time, so any engine can
    match a case-insensitive substring (Unicode included) with a plain ``instr``/``strpos``."""
    return f"{title or ''}\n{destination_url}".casefold()


class LinkStore(Protocol):
    async def migrate(self) -> list[str]:
        """Apply pending migrations without opening the store; return the names applied."""

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def ping(self) -> None:
        """Raise if the store cannot answer."""

    # tenants and keys
    async def create_tenant(self, name: str) -> Tenant: ...
    async def get_tenant(self, tenant_id: str) -> Tenant | None: ...
    async def count_tenants(self) -> int: ...
    async def set_collect_metadata(self, tenant_id: str, value: bool) -> Tenant: ...
    async def create_api_key(self, tenant_id: str, name: str) -> tuple[ApiKey, str]: ...
    async def tenant_for_api_key(self, key: str) -> Tenant | None: ...
    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]: ...
    async def revoke_api_key(self, tenant_id: str, key_id: str) -> bool: ...

    # links
    async def create_link(self, new: NewLink) -> Link:
        """Insert a link; raise ``CodeTaken`` if its custom code is in use."""

    async def get_link(self, tenant_id: str, link_id: str) -> Link | None: ...
    async def get_links(self, tenant_id: str, link_ids: Sequence[str]) -> list[Link]:
        """The tenant's live links among ``link_ids``, in no particular order."""

    async def list_links(self, query: LinkQuery) -> LinkPage: ...
    async def update_link(self, tenant_id: str, link_id: str, patch: LinkPatch) -> Link | None: ...
    async def delete_link(self, tenant_id: str, link_id: str) -> Link | None:
        """Mark a link deleted. Its code stays taken for good, so old short URLs never
        start pointing somewhere new."""

    async def resolve(self, code: str) -> ResolvedLink | None:
        """The live link behind a code, for the redirector (None if unknown or deleted)."""

    # the outbox: every mutation above writes a LinkChange in its own transaction
    async def pending_changes(self, limit: int = 1000) -> list[tuple[int, LinkChange]]:
        """Committed changes not yet published, oldest first, with their sequence numbers."""

    async def forget_changes(self, seqs: list[int]) -> None:
        """Drop published changes from the outbox."""

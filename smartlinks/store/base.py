"""The link store interface: tenants, API keys and links.

The API, the redirector and the CLI depend only on this protocol; SQLite (embedded) and
PostgreSQL (distributed) implement it. Nothing engine-specific leaks past it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Protocol

from schemas.events import LinkChange
from smartlinks.models import (
    ApiKey,
    KeyKind,
    Link,
    LinkPatch,
    NewLink,
    Page,
    ResolvedLink,
    Tenant,
    TenantPatch,
)
from smartlinks.webhooks import (
    AttemptOutcome,
    ClaimedDelivery,
    DeliveryAttempt,
    DeliveryPage,
    NewDelivery,
    NewWebhook,
    Webhook,
    WebhookPatch,
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


class LastActiveKey(Exception):
    """The key is its tenant's only active one: revoking it would lock the tenant out."""


@dataclass(frozen=True, slots=True)
class TenantSummary:
    """A tenant and how many active secret API keys it has (none: nobody can manage it)."""

    tenant: Tenant
    active_keys: int


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """Whose an active API key is, and of which kind."""

    tenant: Tenant
    key_id: str
    kind: KeyKind


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


class WebhookStore(Protocol):
    """Webhooks and their deliveries (``store.webhooks``): managed by the API, fed by the
    consumer's trigger, drained by its delivery worker."""

    # the API
    async def create_webhook(self, new: NewWebhook, limit: int) -> Webhook:
        """Insert a webhook with a fresh secret; raise ``WebhookLimitReached`` if the
        tenant has ``limit`` already."""

    async def get_webhook(self, tenant_id: str, webhook_id: str) -> Webhook | None: ...
    async def list_webhooks(self, tenant_id: str) -> list[Webhook]:
        """The tenant's webhooks, newest first."""

    async def update_webhook(self, tenant_id: str, webhook_id: str, patch: WebhookPatch) -> Webhook | None:
        """Apply ``patch``; enabling a webhook also forgets its failures."""

    async def delete_webhook(self, tenant_id: str, webhook_id: str) -> bool:
        """Delete a webhook with its deliveries."""

    async def list_deliveries(
        self, tenant_id: str, webhook_id: str, limit: int, after_id: str | None
    ) -> DeliveryPage:
        """A webhook's deliveries, newest first, each with its latest attempts."""

    # the trigger
    async def enabled_webhooks(self) -> list[Webhook]:
        """Every enabled webhook of every tenant."""

    async def links_by_id(self, link_ids: Collection[str]) -> dict[str, Link]:
        """The live links among ``link_ids``, by id, whatever their tenant."""

    async def enqueue_deliveries(self, deliveries: Sequence[NewDelivery]) -> int:
        """Insert pending deliveries in one transaction; skip those whose (webhook, event)
        is already there or whose webhook is gone or disabled. Returns how many were new."""

    # the delivery worker
    async def claim_deliveries(
        self, limit: int, lease_seconds: float, per_webhook: int, skip_webhooks: Collection[str] = ()
    ) -> list[ClaimedDelivery]:
        """Lease up to ``limit`` due deliveries of enabled webhooks, at most ``per_webhook``
        of any one and none of ``skip_webhooks``, oldest due first, so that no other
        worker attempts them until the lease ends."""

    async def record_attempt(
        self, claimed: ClaimedDelivery, attempt: DeliveryAttempt, outcome: AttemptOutcome
    ) -> bool:
        """Log an attempt and move the delivery on, if the lease is still held; track the
        webhook's failures and disable it as ``outcome`` says. True if it was disabled."""

    async def release_deliveries(self, claimed: Sequence[ClaimedDelivery]) -> None:
        """Give leased deliveries back unattempted: due again at once."""

    async def count_pending(self) -> int: ...
    async def prune_deliveries(self, before: datetime) -> int:
        """Delete deliveries created before ``before``; return how many."""


class LinkStore(Protocol):
    @property
    def webhooks(self) -> WebhookStore: ...

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
    async def list_tenants(self) -> list[TenantSummary]:
        """Every tenant, oldest first, with its number of active secret keys."""

    async def set_collect_metadata(self, tenant_id: str, value: bool) -> Tenant: ...
    async def update_tenant(self, tenant_id: str, patch: TenantPatch) -> Tenant:
        """Change the tenant's settings and announce it (``tenant_updated``), so redirectors
        drop the tenant's cached links; raise ``KeyError`` for an unknown tenant."""

    async def create_api_key(
        self, tenant_id: str, name: str, kind: KeyKind = "secret"
    ) -> tuple[ApiKey, str]: ...
    async def tenant_for_api_key(self, key: str) -> Tenant | None:
        """The tenant of an active secret key (a publishable key opens nothing here)."""

    async def key_holder(self, key: str) -> KeyHolder | None:
        """The tenant, id and kind of an active key of either kind."""

    async def list_api_keys(self, tenant_id: str) -> list[ApiKey]: ...
    async def revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        """Revoke one of the tenant's active keys; False if it is not one. Raise
        ``LastActiveKey`` instead if it is a secret key and no other secret key of the
        tenant is active: checked and done atomically, so concurrent revocations always
        leave one. Publishable keys do not count: they cannot manage anything."""

    # dashboard sessions signed out (the sessions themselves live in signed cookies)
    async def revoke_session(self, session_id: str, expires_at: datetime) -> None:
        """Remember that a session was signed out, until ``expires_at`` (when its cookie
        stops working anyway); forget those whose time has passed."""

    async def is_session_revoked(self, session_id: str) -> bool: ...

    # links
    async def create_link(self, new: NewLink) -> Link:
        """Insert a link; raise ``CodeTaken`` if its custom code is in use."""

    async def create_links(
        self, tenant_id: str, news: Sequence[NewLink], idempotency: IdempotentRequest | None = None
    ) -> list[Link | CodeTaken]:
        """Insert many of the tenant's links in one transaction, results in order: an item
        whose custom code is taken (by an earlier item too) gets ``CodeTaken``, the rest are
        created. With ``idempotency`` the response it builds is stored under its key in the
        same transaction; if the key is used already, raise ``IdempotencyConflict`` and
        create nothing."""

    async def stored_response(self, tenant_id: str, key: str) -> StoredResponse | None:
        """The response kept under an Idempotency-Key (for ``IDEMPOTENCY_RETENTION``)."""

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

    async def reuse_or_create_many(
        self, tenant_id: str, wanted: Sequence[LinksWanted], conversion_tracking: bool = False
    ) -> list[list[Link]]:
        """``reuse_or_create_links`` for many messages in one transaction (a campaign's
        batch, one message a contact): a destination wanted twice for one campaign and
        contact gets one link; results in the order wanted."""

    async def get_link(self, tenant_id: str, link_id: str) -> Link | None: ...
    async def get_links(self, tenant_id: str, link_ids: Sequence[str]) -> list[Link]:
        """The tenant's live links among ``link_ids``, in no particular order."""

    async def list_links(self, query: LinkQuery) -> LinkPage: ...
    async def list_campaigns(self, tenant_id: str) -> list[CampaignSummary]:
        """Every campaign of the tenant's live links (a campaign with none is gone), in no
        particular order; links without a campaign (null or empty) belong to none."""

    async def campaign_link_ids(self, tenant_id: str, campaign: str) -> list[str]:
        """The ids of the campaign's live links, oldest first."""

    async def update_link(self, tenant_id: str, link_id: str, patch: LinkPatch) -> Link | None: ...
    async def delete_link(self, tenant_id: str, link_id: str) -> Link | None:
        """Mark a link deleted. Its code stays taken for good, so old short URLs never
        start pointing somewhere new."""

    async def resolve(self, code: str) -> ResolvedLink | None:
        """The live link behind a code, for the redirector (None if unknown or deleted)."""

    async def resolve_many(self, codes: Sequence[str]) -> dict[str, ResolvedLink]:
        """The live links behind ``codes``, by code, in one query per ``in_chunk`` codes:
        the redirector's cache misses of one event-loop turn (unknown or deleted codes are
        left out)."""

    # the outbox: every mutation above writes a LinkChange in its own transaction
    async def pending_changes(self, limit: int = 1000, after: int = 0) -> list[tuple[int, LinkChange]]:
        """Committed changes not yet forgotten, oldest first, with their sequence numbers;
        ``after``: only those after that sequence number (to page through them)."""

    async def forget_changes(self, seqs: list[int]) -> None:
        """Drop published changes from the outbox."""

"""The ingestion side of click triggers: stored clicks in, pending deliveries out.

The consumer hands every batch it stored to ``WebhookMatcher.fire`` before acknowledging
it. Matching runs against the enabled webhooks held in memory (reloaded from the store
every ``refresh`` seconds in the background), so a batch of a tenant without webhooks,
the common case, costs a dictionary lookup per click and no store call. Only a batch
with matches reads its links (one query) and writes its deliveries (one transaction);
sending them is the delivery worker's job, never this one's.

A webhook sees the clicks made after it was created, from the moment this process has
loaded it (within ``refresh`` seconds); a change to it takes as long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from consumer.enrich.row import ClickRow
from consumer.sink import StoredClick
from consumer.webhooks import payload
from smartlinks.ids import new_id
from smartlinks.models import Link, to_ms, utcnow
from smartlinks.store.base import WebhookStore
from smartlinks.webhooks import LINK_CLICKED, NewDelivery, Webhook

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rule:
    """What a webhook wants of a tenant's clicks, in the shape matching needs."""

    webhook_id: str
    tenant_id: str
    link_id: str | None
    campaign: str | None
    include_bots: bool
    since_ms: int  # clicks before the webhook existed are not its business

    @classmethod
    def of(cls, hook: Webhook) -> Rule:
        return cls(
            hook.id, hook.tenant_id, hook.link_id, hook.campaign, hook.include_bots, to_ms(hook.created_at)
        )

    def matches(self, row: ClickRow) -> bool:
        return (
            (self.link_id is None or self.link_id == row.link_id)
            and (self.campaign is None or self.campaign == row.campaign)
            and (self.include_bots or not row.is_bot)
            and row.ts >= self.since_ms
        )


@dataclass(slots=True)
class MatcherStats:
    enqueued: int = 0  # deliveries written
    failures: int = 0  # batches whose enqueue failed (retried by the consumer)
    skipped: int = 0  # matched clicks whose link is gone, or whose body could not be made


class WebhookMatcher:
    def __init__(
        self,
        store: WebhookStore,
        base_url: str,
        refresh: float = 1.0,
        on_enqueued: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.base_url = base_url
        self.refresh = refresh
        self.on_enqueued = on_enqueued
        self.stats = MatcherStats()
        self._rules: dict[str, list[Rule]] = {}  # by tenant
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.reload()
        self._task = asyncio.create_task(self._reload_forever(), name="webhook-rules")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def reload(self) -> None:
        rules: dict[str, list[Rule]] = {}
        for hook in await self.store.enabled_webhooks():
            if LINK_CLICKED in hook.events:
                rules.setdefault(hook.tenant_id, []).append(Rule.of(hook))
        self._rules = rules

    async def _reload_forever(self) -> None:
        while True:
            await asyncio.sleep(self.refresh)
            try:
                await self.reload()
            except Exception:
                log.exception("reloading webhooks failed; matching with the ones loaded before")

    def match(self, clicks: Sequence[StoredClick]) -> list[tuple[Rule, StoredClick]]:
        rules = self._rules
        if not rules:
            return []
        found: list[tuple[Rule, StoredClick]] = []
        for click in clicks:
            tenant_rules = rules.get(click.row.tenant_id)
            if tenant_rules is not None:
                found.extend((rule, click) for rule in tenant_rules if rule.matches(click.row))
        return found

    async def fire(self, clicks: Sequence[StoredClick]) -> None:
        """Enqueue a delivery per matching (webhook, click); raise if the store fails, so
        the consumer offers the same clicks again (the store skips pairs it has)."""
        matched = self.match(clicks)
        if not matched:
            return
        try:
            links = await self.store.links_by_id({click.row.link_id for _, click in matched})
            deliveries = self._deliveries(matched, links)
            self.stats.enqueued += await self.store.enqueue_deliveries(deliveries)
        except Exception:
            self.stats.failures += 1
            raise
        if deliveries and self.on_enqueued is not None:
            self.on_enqueued()

    def _deliveries(
        self, matched: list[tuple[Rule, StoredClick]], links: dict[str, Link]
    ) -> list[NewDelivery]:
        now = utcnow()
        bodies: dict[str, dict[str, Any]] = {}
        deliveries = []
        for rule, click in matched:
            row = click.row
            link = links.get(row.link_id)
            if link is None or link.tenant_id != rule.tenant_id:
                self.stats.skipped += 1  # deleted since the click
                continue
            try:
                if row.link_id not in bodies:
                    bodies[row.link_id] = payload.link_json(link, self.base_url)
                delivery_id = new_id()
                body = payload.link_clicked(delivery_id, now, bodies[row.link_id], click)
            except Exception:
                # One odd click must not hold up ingestion by failing its batch forever.
                self.stats.skipped += 1
                log.exception(
                    "could not make the delivery of click %s for webhook %s", row.event_id, rule.webhook_id
                )
                continue
            deliveries.append(
                NewDelivery(
                    delivery_id, rule.webhook_id, rule.tenant_id, row.event_id, LINK_CLICKED, body, now
                )
            )
        return deliveries

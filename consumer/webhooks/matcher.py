"""The ingestion side of webhooks: stored clicks and conversions in, pending deliveries out.

The click consumer hands every batch it stored to ``WebhookMatcher.fire``, the funnel
consumer every batch of conversions to ``fire_conversions``, before acknowledging it.
Matching runs against the enabled webhooks held in memory (reloaded from the store every
``refresh`` seconds in the background), so a batch of a tenant without webhooks, the
common case, costs a dictionary lookup per event and no store call. Only a batch with
matches writes its deliveries (one transaction; clicks read their links first, one
query); sending them is the delivery worker's job, never this one's.

A webhook sees the clicks made, and the conversions recorded, after it was created, from
the moment this process has loaded it (within ``refresh`` seconds); a change to it takes
as long. Its campaign and link filters apply to a conversion's campaign and to the link
of the click it was attributed to (a conversion without a click has no link).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from consumer.enrich.row import ClickRow, StoredClick
from consumer.funnel import StoredConversion
from consumer.webhooks import payload
from smartlinks.background import BackgroundTask
from smartlinks.ids import new_id
from smartlinks.models import Link, to_ms, utcnow
from smartlinks.store.webhook_store import WebhookStore
from smartlinks.webhooks import CONVERSION_RECORDED, LINK_CLICKED, NewDelivery, Webhook

log = logging.getLogger(__name__)

E = TypeVar("E")  # a stored click or conversion


@dataclass(frozen=True, slots=True)
class Rule:
    """What a webhook wants of a tenant's clicks or conversions, in the shape matching needs."""

    webhook_id: str
    tenant_id: str
    link_id: str | None
    campaign: str | None
    include_bots: bool
    since_ms: int  # events before the webhook existed are not its business

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

    def hears(self, conversion: StoredConversion) -> bool:
        """Whether the webhook wants a conversion: of its link and campaign (if it names
        them), recorded since it was created (a conversion may be sent days after it
        happened: ``at`` is the sender's, ``received_at`` when it was recorded)."""
        return (
            (self.link_id is None or self.link_id == conversion.link_id)
            and (self.campaign is None or self.campaign == conversion.campaign)
            and conversion.event.received_at >= self.since_ms
        )


def pairs(
    rules: dict[str, list[Rule]],
    events: Sequence[E],
    tenant_of: Callable[[E], str],
    wants: Callable[[Rule, E], bool],
) -> list[tuple[Rule, E]]:
    """Each (rule, event) where the rule is of the event's tenant and wants the event."""
    if not rules:  # no webhooks at all, the common case: no look at the events
        return []
    found: list[tuple[Rule, E]] = []
    for event in events:
        tenant_rules = rules.get(tenant_of(event))
        if tenant_rules is not None:
            found.extend((rule, event) for rule in tenant_rules if wants(rule, event))
    return found


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
        self._rules: dict[str, list[Rule]] = {}  # link.clicked, by tenant
        self._conversion_rules: dict[str, list[Rule]] = {}  # conversion.recorded, by tenant
        self._reloads = BackgroundTask("webhook-rules", self._reload_forever)

    async def start(self) -> None:
        await self.reload()
        self._reloads.start()

    async def stop(self) -> None:
        await self._reloads.stop()

    async def reload(self) -> None:
        rules: dict[str, list[Rule]] = {}
        conversion_rules: dict[str, list[Rule]] = {}
        for hook in await self.store.enabled_webhooks():
            if LINK_CLICKED in hook.events:
                rules.setdefault(hook.tenant_id, []).append(Rule.of(hook))
            if CONVERSION_RECORDED in hook.events:
                conversion_rules.setdefault(hook.tenant_id, []).append(Rule.of(hook))
        self._rules, self._conversion_rules = rules, conversion_rules

    async def _reload_forever(self) -> None:
        while True:
            await asyncio.sleep(self.refresh)
            try:
                await self.reload()
            except Exception:
                log.exception("reloading webhooks failed; matching with the ones loaded before")

    def wants_clicks_of(self, tenant_id: str) -> bool:
        return tenant_id in self._rules

    def match(self, clicks: Sequence[StoredClick]) -> list[tuple[Rule, StoredClick]]:
        return pairs(self._rules, clicks, lambda click: click.row.tenant_id, lambda r, c: r.matches(c.row))

    def match_conversions(
        self, conversions: Sequence[StoredConversion]
    ) -> list[tuple[Rule, StoredConversion]]:
        return pairs(self._conversion_rules, conversions, lambda c: c.event.tenant_id, Rule.hears)

    async def fire(self, clicks: Sequence[StoredClick]) -> None:
        """Enqueue a delivery per matching (webhook, click); raise if the store fails, so
        the consumer offers the same clicks again (the store skips pairs it has)."""
        matched = self.match(clicks)
        if matched:
            await self._enqueue(lambda: self._click_deliveries(matched))

    async def fire_conversions(self, conversions: Sequence[StoredConversion]) -> None:
        """Enqueue a ``conversion.recorded`` delivery per matching (webhook, conversion);
        raise if the store fails, so the funnel consumer offers the same conversions again
        (the store skips pairs it has: one delivery per webhook and conversion id)."""
        matched = self.match_conversions(conversions)
        if matched:
            await self._enqueue(lambda: self._conversion_deliveries(matched))

    async def _enqueue(self, make: Callable[[], Awaitable[list[NewDelivery]]]) -> None:
        try:
            deliveries = await make()
            self.stats.enqueued += await self.store.enqueue_deliveries(deliveries)
        except Exception:
            self.stats.failures += 1
            raise
        if deliveries and self.on_enqueued is not None:
            self.on_enqueued()

    async def _click_deliveries(self, matched: list[tuple[Rule, StoredClick]]) -> list[NewDelivery]:
        links = await self.store.links_by_id({click.row.link_id for _, click in matched})
        return self._deliveries(matched, links)

    async def _conversion_deliveries(self, matched: list[tuple[Rule, StoredConversion]]) -> list[NewDelivery]:
        now = utcnow()
        deliveries = []
        for rule, conversion in matched:
            body = partial(payload.conversion_recorded, created_at=now, stored=conversion)
            made = self._delivery(rule, conversion.event.id, CONVERSION_RECORDED, now, body)
            if made is not None:
                deliveries.append(made)
        return deliveries

    def _delivery(
        self, rule: Rule, event_id: str, event_type: str, now: datetime, body: Callable[[str], bytes]
    ) -> NewDelivery | None:
        """The delivery of one event to one webhook, its body made by ``body(delivery id)``,
        or None if the body cannot be made."""
        delivery_id = new_id()
        try:
            made = body(delivery_id)
        except Exception:
            # One odd event must not hold up ingestion by failing its batch forever.
            self.stats.skipped += 1
            log.exception(
                "could not make the delivery of %s %s for webhook %s", event_type, event_id, rule.webhook_id
            )
            return None
        return NewDelivery(delivery_id, rule.webhook_id, rule.tenant_id, event_id, event_type, made, now)

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
            if row.link_id not in bodies:
                bodies[row.link_id] = payload.link_json(link, self.base_url)
            body = partial(payload.link_clicked, created_at=now, link=bodies[row.link_id], click=click)
            made = self._delivery(rule, row.event_id, LINK_CLICKED, now, body)
            if made is not None:
                deliveries.append(made)
        return deliveries

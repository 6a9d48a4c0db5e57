"""Webhooks and their deliveries in the store, on every engine: management, the one
delivery per (webhook, click), claiming with leases, attempts, disabling and pruning."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from smartlinks.ids import new_id
from smartlinks.models import NewLink, Tenant, utcnow
from smartlinks.store.link_store import LinkStore
from smartlinks.webhooks import (
    DELIVERED,
    FAILED,
    PENDING,
    AttemptOutcome,
    ClaimedDelivery,
    DeliveryAttempt,
    NewDelivery,
    NewWebhook,
    Webhook,
    WebhookLimitReached,
    WebhookPatch,
)
from tests.store.conftest import OpenAnother

pytestmark = pytest.mark.anyio

URL = "https://93.184.215.14/hook"


async def make_hook(store: LinkStore, tenant: Tenant, **fields: object) -> Webhook:
    return await store.webhooks.create_webhook(NewWebhook(tenant.id, URL, **fields), 100)  # type: ignore[arg-type]


def delivery(hook: Webhook, event_id: str | None = None, event_type: str = "link.clicked") -> NewDelivery:
    delivery_id = new_id()
    body = b'{"id": "' + delivery_id.encode() + b'"}'
    return NewDelivery(delivery_id, hook.id, hook.tenant_id, event_id or new_id(), event_type, body, utcnow())


def answer(status: int | None, error: str | None = None) -> DeliveryAttempt:
    return DeliveryAttempt(utcnow(), status, error, None if status is None else f"answer {status}", 12)


def retry(seconds: float = -1) -> AttemptOutcome:
    """Pending again, due ``seconds`` from now (already due by default)."""
    return AttemptOutcome(PENDING, utcnow() + timedelta(seconds=seconds))


async def claim(
    store: LinkStore, limit: int = 10, per_webhook: int = 8, skip: tuple[str, ...] = ()
) -> list[ClaimedDelivery]:
    return await store.webhooks.claim_deliveries(limit, 60, per_webhook, skip)


async def test_create_read_change_and_delete(store: LinkStore, tenant: Tenant) -> None:
    other = await store.create_tenant("other")
    hook = await make_hook(store, tenant, campaign="spring", include_bots=True)
    assert hook.secret.startswith("whsec_") and len(hook.secret) > 40
    assert (hook.enabled, hook.disabled_reason, hook.events, hook.campaign) == (
        True,
        None,
        ("link.clicked",),
        "spring",
    )
    assert await store.webhooks.get_webhook(tenant.id, hook.id) == hook
    assert await store.webhooks.get_webhook(other.id, hook.id) is None
    assert await store.webhooks.list_webhooks(other.id) == []
    second = await make_hook(store, tenant)
    assert [h.id for h in await store.webhooks.list_webhooks(tenant.id)] == [second.id, hook.id]

    patch = WebhookPatch(url="https://93.184.215.14/other", campaign=None, include_bots=False)
    changed = await store.webhooks.update_webhook(tenant.id, hook.id, patch)
    assert changed is not None and changed == await store.webhooks.get_webhook(tenant.id, hook.id)
    assert (changed.url, changed.campaign, changed.include_bots, changed.secret) == (
        "https://93.184.215.14/other", None, False, hook.secret
    )  # fmt: skip
    assert await store.webhooks.update_webhook(other.id, hook.id, patch) is None

    assert not await store.webhooks.delete_webhook(other.id, hook.id)
    assert await store.webhooks.delete_webhook(tenant.id, hook.id)
    assert await store.webhooks.get_webhook(tenant.id, hook.id) is None
    assert not await store.webhooks.delete_webhook(tenant.id, hook.id)
    assert [h.id for h in await store.webhooks.enabled_webhooks()] == [second.id]


async def test_a_tenant_has_a_limited_number_of_webhooks(store: LinkStore, tenant: Tenant) -> None:
    other = await store.create_tenant("other")
    for _ in range(2):
        await store.webhooks.create_webhook(NewWebhook(tenant.id, URL), 2)
    with pytest.raises(WebhookLimitReached):
        await store.webhooks.create_webhook(NewWebhook(tenant.id, URL), 2)
    await store.webhooks.create_webhook(NewWebhook(other.id, URL), 2)


async def test_one_delivery_per_webhook_and_click(store: LinkStore, tenant: Tenant) -> None:
    hook, other = await make_hook(store, tenant), await make_hook(store, tenant)
    first = delivery(hook, "e1")
    assert await store.webhooks.enqueue_deliveries([first, delivery(hook, "e2"), delivery(other, "e1")]) == 3
    # The same click again (a redelivered batch), under a new delivery id: nothing new.
    assert await store.webhooks.enqueue_deliveries([delivery(hook, "e1")]) == 0
    page = await store.webhooks.list_deliveries(tenant.id, hook.id, 10, None)
    assert [d.event_id for d in page.items] == ["e2", "e1"] and page.items[1].id == first.id
    item = page.items[1]
    assert (item.status, item.attempts, item.last_response, item.delivered_at) == (PENDING, 0, None, None)
    assert item.next_attempt_at is not None

    # None for a disabled or deleted webhook (and no error for the one that is gone).
    await store.webhooks.update_webhook(tenant.id, other.id, WebhookPatch(enabled=False))
    assert await store.webhooks.enqueue_deliveries([delivery(other, "e9")]) == 0
    await store.webhooks.delete_webhook(tenant.id, hook.id)
    assert await store.webhooks.enqueue_deliveries([delivery(hook, "e9")]) == 0
    assert await store.webhooks.list_deliveries(tenant.id, hook.id, 10, None) == type(page)([], None)


async def test_one_delivery_per_webhook_and_conversion_apart_from_clicks(
    store: LinkStore, tenant: Tenant
) -> None:
    both = await make_hook(store, tenant, events=("link.clicked", "conversion.recorded"))
    assert both.events == ("link.clicked", "conversion.recorded")
    assert await store.webhooks.get_webhook(tenant.id, both.id) == both
    click_id = new_id()
    # A site may send the click id back as its order id: the conversion is still its own event.
    made = [delivery(both, click_id), delivery(both, click_id, "conversion.recorded")]
    made.append(delivery(both, "order 7/ü", "conversion.recorded"))
    assert await store.webhooks.enqueue_deliveries(made) == 3
    again = [
        delivery(both, click_id, "conversion.recorded"),
        delivery(both, "order 7/ü", "conversion.recorded"),
    ]
    assert await store.webhooks.enqueue_deliveries(again) == 0
    page = await store.webhooks.list_deliveries(tenant.id, both.id, 10, None)
    assert [(d.type, d.event_id, d.id) for d in page.items] == [
        (new.type, new.event_id, new.id) for new in reversed(made)
    ]
    claimed = await claim(store)
    assert sorted((c.id, c.type) for c in claimed) == sorted((new.id, new.type) for new in made)


async def test_a_claim_leases_due_deliveries_to_one_worker(
    store: LinkStore, tenant: Tenant, open_another: OpenAnother
) -> None:
    hook, busy = await make_hook(store, tenant), await make_hook(store, tenant)
    await store.webhooks.enqueue_deliveries([delivery(hook) for _ in range(3)] + [delivery(busy)])
    assert await claim(store, skip=(hook.id, busy.id)) == []
    two = await claim(store, per_webhook=2, skip=(busy.id,))
    assert len(two) == 2 and {c.webhook_id for c in two} == {hook.id}
    assert (two[0].url, two[0].secret, two[0].attempts) == (URL, hook.secret, 0)
    assert two[0].payload.startswith(b'{"id": "')
    another_worker = await open_another()
    rest = await claim(another_worker)
    assert {c.webhook_id for c in rest} == {hook.id, busy.id} and len(rest) == 2
    assert await claim(another_worker) == [] and await claim(store) == []  # all leased
    # Given back unattempted, they are due at once.
    await store.webhooks.release_deliveries(two)
    assert {c.id for c in await claim(store)} == {c.id for c in two}


async def test_workers_claiming_at_once_never_share_a_delivery(
    store: LinkStore, tenant: Tenant, open_another: OpenAnother
) -> None:
    hooks = [await make_hook(store, tenant) for _ in range(4)]
    await store.webhooks.enqueue_deliveries([delivery(hook) for hook in hooks for _ in range(10)])
    workers = [await open_another() for _ in range(3)]
    claimed: list[str] = []
    while rounds := await asyncio.gather(*(claim(worker, limit=3, per_webhook=2) for worker in workers)):
        if not any(rounds):
            break
        claimed += [c.id for found in rounds for c in found]
    assert len(claimed) == len(set(claimed)) == 40


async def test_attempts_move_a_delivery_on_and_are_logged(store: LinkStore, tenant: Tenant) -> None:
    hook = await make_hook(store, tenant)
    await store.webhooks.enqueue_deliveries([delivery(hook)])
    [claimed] = await claim(store)
    assert not await store.webhooks.record_attempt(claimed, answer(500), retry(60))
    [item] = (await store.webhooks.list_deliveries(tenant.id, hook.id, 10, None)).items
    assert (item.status, item.attempts) == (PENDING, 1)
    assert item.last_response is not None and item.last_response.status_code == 500
    assert item.next_attempt_at is not None and item.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert await claim(store) == []  # not due yet
    # A stale lease (the delivery was claimed again meanwhile) records nothing.
    assert not await store.webhooks.record_attempt(claimed, answer(200), AttemptOutcome(DELIVERED, None))
    assert (await store.webhooks.list_deliveries(tenant.id, hook.id, 10, None)).items[0].attempts == 1

    await store.webhooks.update_webhook(tenant.id, hook.id, WebhookPatch(enabled=False))
    await store.webhooks.update_webhook(tenant.id, hook.id, WebhookPatch(enabled=True))  # due again at once
    [again] = await claim(store)
    assert again.attempts == 1
    await store.webhooks.record_attempt(again, answer(None, "ConnectError: refused"), retry())
    [third] = await claim(store)
    await store.webhooks.record_attempt(third, answer(204), AttemptOutcome(DELIVERED, None))
    [item] = (await store.webhooks.list_deliveries(tenant.id, hook.id, 10, None)).items
    assert (item.status, item.attempts, item.next_attempt_at) == (DELIVERED, 3, None)
    assert item.delivered_at is not None
    assert [(a.status_code, a.error) for a in item.attempt_log] == [
        (204, None), (None, "ConnectError: refused"), (500, None)
    ]  # fmt: skip
    assert item.attempt_log[0].body == "answer 204" and item.attempt_log[0].duration_ms == 12
    assert await claim(store) == []


async def test_a_webhook_failing_the_whole_period_is_disabled(store: LinkStore, tenant: Tenant) -> None:
    hook = await make_hook(store, tenant)
    await store.webhooks.enqueue_deliveries([delivery(hook), delivery(hook)])
    first, waiting = await claim(store, limit=2)
    await store.webhooks.record_attempt(waiting, answer(500), retry(3600))
    await store.webhooks.record_attempt(first, answer(500), retry())
    [last] = await claim(store)
    give_up = AttemptOutcome(FAILED, None, disable_reason="deliveries failed for 24 hours; last: HTTP 503")
    assert await store.webhooks.record_attempt(last, answer(503), give_up)
    stored = await store.webhooks.get_webhook(tenant.id, hook.id)
    assert stored is not None and not stored.enabled
    assert stored.disabled_reason == "deliveries failed for 24 hours; last: HTTP 503"
    assert await store.webhooks.enabled_webhooks() == []
    items = (await store.webhooks.list_deliveries(tenant.id, hook.id, 10, None)).items
    assert [(d.id, d.status) for d in items] == [(waiting.id, PENDING), (first.id, FAILED)]
    assert items[0].next_attempt_at is None  # parked until the webhook is enabled again
    assert await store.webhooks.enqueue_deliveries([delivery(hook)]) == 0

    enabled = await store.webhooks.update_webhook(tenant.id, hook.id, WebhookPatch(enabled=True))
    assert enabled is not None and enabled.enabled and enabled.disabled_reason is None
    assert [c.id for c in await claim(store)] == [waiting.id]


async def test_a_success_meanwhile_keeps_the_webhook_enabled(store: LinkStore, tenant: Tenant) -> None:
    hook = await make_hook(store, tenant)
    await store.webhooks.enqueue_deliveries([delivery(hook), delivery(hook)])
    failing, fine = await claim(store, limit=2)
    await store.webhooks.record_attempt(failing, answer(500), retry())
    await store.webhooks.record_attempt(fine, answer(200), AttemptOutcome(DELIVERED, None))
    [last] = await claim(store)
    give_up = AttemptOutcome(FAILED, None, disable_reason="failed")
    assert not await store.webhooks.record_attempt(last, answer(500), give_up)
    stored = await store.webhooks.get_webhook(tenant.id, hook.id)
    assert stored is not None and stored.enabled


async def test_deliveries_are_paged_newest_first(store: LinkStore, tenant: Tenant) -> None:
    hook = await make_hook(store, tenant)
    made = [delivery(hook) for _ in range(5)]
    await store.webhooks.enqueue_deliveries(made)
    first = await store.webhooks.list_deliveries(tenant.id, hook.id, 3, None)
    assert first.next_after_id is not None
    second = await store.webhooks.list_deliveries(tenant.id, hook.id, 3, first.next_after_id)
    assert second.next_after_id is None
    assert [d.id for d in first.items + second.items] == [d.id for d in reversed(made)]
    other = await store.create_tenant("other")
    assert (await store.webhooks.list_deliveries(other.id, hook.id, 3, None)).items == []


async def test_old_deliveries_are_pruned(store: LinkStore, tenant: Tenant) -> None:
    hook = await make_hook(store, tenant)
    await store.webhooks.enqueue_deliveries([delivery(hook) for _ in range(3)])
    [claimed, *_] = await claim(store)
    await store.webhooks.record_attempt(claimed, answer(200), AttemptOutcome(DELIVERED, None))
    assert await store.webhooks.count_pending() == 2
    assert await store.webhooks.prune_deliveries(utcnow() - timedelta(days=30)) == 0
    assert await store.webhooks.prune_deliveries(utcnow() + timedelta(seconds=1)) == 3
    assert await store.webhooks.count_pending() == 0
    assert (await store.webhooks.list_deliveries(tenant.id, hook.id, 10, None)).items == []


async def test_links_by_id_gives_live_links_of_any_tenant(store: LinkStore, tenant: Tenant) -> None:
    other = await store.create_tenant("other")
    mine = await store.create_link(NewLink(tenant.id, "https://example.com/a", title="A", campaign="c"))
    theirs = await store.create_link(NewLink(other.id, "https://example.com/b"))
    gone = await store.create_link(NewLink(tenant.id, "https://example.com/c"))
    await store.delete_link(tenant.id, gone.id)
    found = await store.webhooks.links_by_id({mine.id, theirs.id, gone.id, "0" * 32})
    assert found == {mine.id: mine, theirs.id: theirs}
    assert await store.webhooks.links_by_id(set()) == {}

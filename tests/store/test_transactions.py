"""A failing operation commits nothing, on either engine: no row, and no change announced
in the outbox. Each case fails at a different point of its transaction (before any write,
after some writes, on a rule checked last), so both engines are held to the same rule."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from smartlinks.models import Link, NewLink, Tenant, TenantPatch
from smartlinks.store.base import CodeTaken, IdempotencyConflict, IdempotentRequest, LastActiveKey, LinkQuery
from smartlinks.store.link_store import LinkStore
from smartlinks.webhooks import NewWebhook, WebhookLimitReached

pytestmark = pytest.mark.anyio


class Boom(Exception):
    pass


async def changes(store: LinkStore) -> list[str]:
    return [f"{change.kind}:{change.link_id}" for _, change in await store.pending_changes()]


async def test_collect_metadata_of_an_unknown_tenant_commits_no_change(store: LinkStore) -> None:
    with pytest.raises(KeyError):
        await store.set_collect_metadata("no-such-tenant", False)
    with pytest.raises(KeyError):
        await store.update_tenant("no-such-tenant", TenantPatch(conversion_tracking=True))
    assert await changes(store) == []
    assert await store.count_tenants() == 0


async def test_a_taken_code_leaves_no_link_and_no_change(store: LinkStore, tenant: Tenant) -> None:
    first = await store.create_link(NewLink(tenant.id, "https://a.example/", code="Taken77"))
    with pytest.raises(CodeTaken):
        await store.create_link(NewLink(tenant.id, "https://b.example/", code="Taken77"))
    page = await store.list_links(LinkQuery(tenant.id))
    assert [link.id for link in page.items] == [first.id]
    assert await changes(store) == [f"created:{first.id}"]


async def test_a_failure_after_the_inserts_rolls_the_links_back(store: LinkStore, tenant: Tenant) -> None:
    """The response of an idempotent bulk is built after its links and outbox rows are
    written, inside the transaction: if that fails, none of them stays."""

    def respond(results: Sequence[Link | CodeTaken]) -> bytes:
        raise Boom(len(results))

    news = [NewLink(tenant.id, f"https://shop.example/{n}") for n in range(3)]
    with pytest.raises(Boom):
        await store.create_links(tenant.id, news, IdempotentRequest("key-1", "hash", 200, respond))
    assert (await store.list_links(LinkQuery(tenant.id))).items == []
    assert await changes(store) == []
    assert await store.stored_response(tenant.id, "key-1") is None


async def test_a_used_idempotency_key_creates_nothing(store: LinkStore, tenant: Tenant) -> None:
    request = IdempotentRequest("key-1", "hash", 200, lambda results: b"first")
    [created] = await store.create_links(tenant.id, [NewLink(tenant.id, "https://a.example/")], request)
    assert isinstance(created, Link)
    with pytest.raises(IdempotencyConflict) as raised:
        await store.create_links(tenant.id, [NewLink(tenant.id, "https://b.example/")], request)
    assert raised.value.stored.body == b"first"
    assert [link.id for link in (await store.list_links(LinkQuery(tenant.id))).items] == [created.id]
    assert len(await changes(store)) == 1


async def test_revoking_the_last_key_changes_nothing(store: LinkStore, tenant: Tenant) -> None:
    key, _ = await store.create_api_key(tenant.id, "only")
    with pytest.raises(LastActiveKey):
        await store.revoke_api_key(tenant.id, key.id)
    [kept] = await store.list_api_keys(tenant.id)
    assert kept.revoked_at is None


async def test_a_webhook_over_the_limit_is_not_kept(store: LinkStore, tenant: Tenant) -> None:
    await store.webhooks.create_webhook(NewWebhook(tenant.id, "https://hooks.example/a"), limit=1)
    with pytest.raises(WebhookLimitReached):
        await store.webhooks.create_webhook(NewWebhook(tenant.id, "https://hooks.example/b"), limit=1)
    assert [hook.url for hook in await store.webhooks.list_webhooks(tenant.id)] == ["https://hooks.example/a"]


async def test_concurrent_writes_each_commit_whole(store: LinkStore, tenant: Tenant) -> None:
    """Writes started together, some failing: the others commit with their changes, the
    failing ones leave nothing, and the store goes on (no transaction left open)."""

    async def fail() -> None:
        await store.set_collect_metadata("no-such-tenant", False)

    async def create(n: int) -> Link:
        return await store.create_link(NewLink(tenant.id, f"https://shop.example/{n}"))

    results = await asyncio.gather(
        *(create(n) if n % 3 else fail() for n in range(30)), return_exceptions=True
    )
    created = [result for result in results if isinstance(result, Link)]
    assert len(created) == 20
    assert all(isinstance(result, KeyError) for result in results if not isinstance(result, Link))
    assert sorted(await changes(store)) == sorted(f"created:{link.id}" for link in created)
    assert (await store.set_collect_metadata(tenant.id, False)).collect_metadata is False


async def test_a_cancelled_write_leaves_the_store_usable(store: LinkStore, tenant: Tenant) -> None:
    news = [NewLink(tenant.id, f"https://shop.example/{n}") for n in range(2000)]
    task = asyncio.create_task(store.create_links(tenant.id, news))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Whatever point it was cancelled at, it committed all of its links or none.
    links = await store.list_links(LinkQuery(tenant.id, limit=5000))
    assert len(links.items) in (0, 2000)
    after = await store.create_link(NewLink(tenant.id, "https://after.example/"))
    assert await store.get_link(tenant.id, after.id) == after

"""The delivery worker against a real receiver over HTTP and a real SQLite store: signed
POSTs, retries with the same id, no redirects, the address checked again, timeouts,
fairness between endpoints, and disabling a webhook that keeps failing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from consumer.webhooks.delivery import DeliveryWorker, RetryPolicy, period
from smartlinks import webhooks
from smartlinks.ids import new_id
from smartlinks.models import utcnow
from smartlinks.store.sqlite import SQLiteLinkStore
from smartlinks.webhooks import ClaimedDelivery, Delivery, DeliveryAttempt, NewDelivery, NewWebhook, Webhook
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.anyio


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteLinkStore]:
    opened = SQLiteLinkStore(tmp_path / "links.sqlite3")
    await opened.open()
    yield opened
    await opened.close()


@pytest.fixture
async def tenant_id(store: SQLiteLinkStore) -> str:
    return (await store.create_tenant("acme")).id


@pytest.fixture
def dead_endpoint() -> Iterator[str]:
    """A URL whose server accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook"


async def running(
    store: SQLiteLinkStore,
    policy: RetryPolicy | None = None,
    allow_private: bool = True,
    timeout: float = 5.0,
) -> DeliveryWorker:
    worker = DeliveryWorker(
        store.webhooks, policy or RetryPolicy(base=0.05, retry_for=60), allow_private, timeout=timeout
    )
    await worker.start()
    return worker


async def hook_with_deliveries(
    store: SQLiteLinkStore, tenant_id: str, url: str, count: int = 1
) -> tuple[Webhook, list[NewDelivery]]:
    hook = await store.webhooks.create_webhook(NewWebhook(tenant_id, url), 100)
    made = []
    for _ in range(count):
        delivery_id = new_id()
        body = b'{"id":"%s","type":"link.clicked"}' % delivery_id.encode()
        made.append(NewDelivery(delivery_id, hook.id, tenant_id, new_id(), "link.clicked", body, utcnow()))
    assert await store.webhooks.enqueue_deliveries(made) == count
    return hook, made


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def deliveries(store: SQLiteLinkStore, hook: Webhook) -> list[Delivery]:
    return (await store.webhooks.list_deliveries(hook.tenant_id, hook.id, 50, None)).items


async def test_a_delivery_is_posted_signed(
    store: SQLiteLinkStore, tenant_id: str, receiver: Receiver
) -> None:
    hook, [made] = await hook_with_deliveries(store, tenant_id, receiver.hook("signed"))
    worker = await running(store)
    try:
        [got] = await receiver.arrived("signed")
        await until(lambda: _status(store, hook, webhooks.DELIVERED))
    finally:
        await worker.stop()
    assert got.body == made.payload
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "Smartlinks-Webhooks/1"
    assert got.headers["smartlinks-delivery"] == made.id
    assert got.headers["smartlinks-event"] == "link.clicked"
    t, v1 = (part.split("=", 1)[1] for part in got.headers["smartlinks-signature"].split(","))
    assert abs(int(t) - time.time()) < 30
    assert v1 == hmac.new(hook.secret.encode(), f"{t}.".encode() + got.body, hashlib.sha256).hexdigest()
    [delivery] = await deliveries(store, hook)
    assert (delivery.attempts, delivery.delivered_at is not None) == (1, True)
    assert delivery.last_response is not None and delivery.last_response.body == "answer 200"
    assert worker.stats.delivered == 1 and worker.stats.in_flight == 0


async def test_a_failed_attempt_is_retried_with_the_same_id(
    store: SQLiteLinkStore, tenant_id: str, receiver: Receiver
) -> None:
    receiver.answer("flaky", 500, 503)
    hook, [made] = await hook_with_deliveries(store, tenant_id, receiver.hook("flaky"))
    worker = await running(store)
    try:
        requests = await receiver.arrived("flaky", 3)
        await until(lambda: _status(store, hook, webhooks.DELIVERED))
    finally:
        await worker.stop()
    assert {r.headers["smartlinks-delivery"] for r in requests} == {made.id}
    assert {r.body for r in requests} == {made.payload}
    [delivery] = await deliveries(store, hook)
    assert [a.status_code for a in delivery.attempt_log] == [200, 503, 500]
    assert delivery.attempt_log[-1].body == "answer 500"


async def test_redirects_are_not_followed(store: SQLiteLinkStore, tenant_id: str, receiver: Receiver) -> None:
    receiver.answer("moving", always=302)
    hook, _ = await hook_with_deliveries(store, tenant_id, receiver.hook("moving"))
    worker = await running(store, RetryPolicy(base=10, retry_for=60))
    try:
        await receiver.arrived("moving")
        await until(lambda: _attempts(store, hook, 1))
    finally:
        await worker.stop()
    assert receiver.received("moving-moved") == []
    [delivery] = await deliveries(store, hook)
    assert delivery.status == webhooks.PENDING and delivery.last_response is not None
    assert delivery.last_response.status_code == 302


async def test_the_address_is_checked_again_at_delivery(
    store: SQLiteLinkStore, tenant_id: str, receiver: Receiver
) -> None:
    # Saved while private addresses were allowed (or a name that now resolves elsewhere).
    hook, _ = await hook_with_deliveries(store, tenant_id, receiver.hook("private"))
    worker = await running(store, RetryPolicy(base=10, retry_for=60), allow_private=False)
    try:
        await until(lambda: _attempts(store, hook, 1))
    finally:
        await worker.stop()
    assert receiver.received("private") == []
    [delivery] = await deliveries(store, hook)
    assert delivery.last_response is not None and delivery.last_response.status_code is None
    assert delivery.last_response.error is not None
    assert delivery.last_response.error.startswith("refused: the host '127.0.0.1' resolves to 127.0.0.1")


async def test_only_the_start_of_an_answer_is_kept(
    store: SQLiteLinkStore, tenant_id: str, receiver: Receiver
) -> None:
    receiver.answer("chatty", reply=b"\x00" + "é".encode() * 3000)
    hook, _ = await hook_with_deliveries(store, tenant_id, receiver.hook("chatty"))
    worker = await running(store)
    try:
        await until(lambda: _status(store, hook, webhooks.DELIVERED))
    finally:
        await worker.stop()
    [delivery] = await deliveries(store, hook)
    assert delivery.last_response is not None and delivery.last_response.body is not None
    assert delivery.last_response.body.startswith("éé") and len(delivery.last_response.body) < 1024


async def test_an_endpoint_that_never_answers_times_out_without_holding_up_others(
    store: SQLiteLinkStore, tenant_id: str, receiver: Receiver, dead_endpoint: str
) -> None:
    dead, _ = await hook_with_deliveries(store, tenant_id, dead_endpoint, count=20)
    await hook_with_deliveries(store, tenant_id, receiver.hook("beside-dead"), count=3)
    worker = await running(store, RetryPolicy(base=30, retry_for=600), timeout=1.0)
    try:
        started = time.monotonic()
        await receiver.arrived("beside-dead", 3, timeout=0.9)  # before any dead attempt ends
        assert time.monotonic() - started < 0.9
        await until(lambda: _attempts(store, dead, 1), timeout=5)
    finally:
        await worker.stop()
    attempted = [d for d in await deliveries(store, dead) if d.attempts]
    assert 1 <= len(attempted) <= 8  # one endpoint never gets every slot
    last = attempted[0].last_response
    assert last is not None and last.error == "no answer within 1 s"


async def test_attempts_under_way_at_shutdown_are_given_back(
    store: SQLiteLinkStore, tenant_id: str, dead_endpoint: str
) -> None:
    hook, _ = await hook_with_deliveries(store, tenant_id, dead_endpoint, count=2)
    worker = await running(store, timeout=30)
    await until(lambda: _in_flight(worker, 2))
    await worker.stop()
    stopped = utcnow()
    for delivery in await deliveries(store, hook):
        # Due at once for the next start, rather than when the lease would have ended.
        assert delivery.attempts == 0 and delivery.next_attempt_at is not None
        assert delivery.next_attempt_at <= stopped


async def test_a_webhook_failing_for_the_whole_period_is_disabled(
    store: SQLiteLinkStore, tenant_id: str, receiver: Receiver
) -> None:
    receiver.answer("broken", always=500)
    hook, _ = await hook_with_deliveries(store, tenant_id, receiver.hook("broken"))
    worker = await running(store, RetryPolicy(base=0.05, retry_for=0.5))
    try:
        await until(lambda: _status(store, hook, webhooks.FAILED))
    finally:
        await worker.stop()
    stored = await store.webhooks.get_webhook(tenant_id, hook.id)
    assert stored is not None and not stored.enabled
    assert stored.disabled_reason == "deliveries failed for 0.5 seconds without a success; last: HTTP 500"
    assert len(receiver.received("broken")) >= 2 and worker.stats.disabled == 1
    assert await store.webhooks.enqueue_deliveries([_another(hook)]) == 0


def test_retries_back_off_exponentially_until_the_period_ends() -> None:
    policy = RetryPolicy(base=10, retry_for=86_400)
    for failures, exact in ((1, 10), (2, 20), (3, 40), (9, 2560), (10, 3600), (30, 3600)):
        assert 0.75 * exact <= policy.delay(failures) <= 1.25 * exact
    created = utcnow()
    claimed = ClaimedDelivery("d", "w", "link.clicked", "u", "s", b"{}", 0, created, "lease")
    failed = DeliveryAttempt(created, 500, None, None, 5)
    outcome = policy.outcome(claimed, failed, created)
    assert outcome.status == webhooks.PENDING and outcome.next_attempt_at is not None
    assert timedelta(seconds=7) <= outcome.next_attempt_at - created <= timedelta(seconds=13)
    # The last retry is made when the period ends, not skipped because a wait overshoots it.
    late = created + timedelta(hours=23, minutes=59)
    outcome = policy.outcome(replace(claimed, attempts=25), failed, late)  # waits an hour by now
    assert outcome.next_attempt_at == created + timedelta(days=1)
    ended = policy.outcome(
        claimed, DeliveryAttempt(late, None, "ConnectError", None, 1), created + timedelta(days=1)
    )
    assert (ended.status, ended.disable_reason) == (
        webhooks.FAILED, "deliveries failed for 24 hours without a success; last: ConnectError"
    )  # fmt: skip
    succeeded = DeliveryAttempt(late, 204, None, None, 1)
    assert policy.outcome(claimed, succeeded, late).status == webhooks.DELIVERED
    assert [period(s) for s in (86_400, 3600, 90, 120, 1, 0.5)] == [
        "24 hours", "1 hour", "90 seconds", "2 minutes", "1 second", "0.5 seconds"
    ]  # fmt: skip


async def _status(store: SQLiteLinkStore, hook: Webhook, status: str) -> bool:
    return all(d.status == status for d in await deliveries(store, hook))


async def _attempts(store: SQLiteLinkStore, hook: Webhook, count: int) -> bool:
    return any(d.attempts >= count for d in await deliveries(store, hook))


async def _in_flight(worker: DeliveryWorker, count: int) -> bool:
    return worker.stats.in_flight >= count


def _another(hook: Webhook) -> NewDelivery:
    return NewDelivery(new_id(), hook.id, hook.tenant_id, new_id(), "link.clicked", b"{}", utcnow())

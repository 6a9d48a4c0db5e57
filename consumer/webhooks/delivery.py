"""The delivery worker: claims due deliveries from the store and attempts them, apart
from ingestion (an asyncio task of its own, with its own HTTP connections).

- **Concurrency**: at most ``CONCURRENCY`` attempts at once, and about ``PER_WEBHOOK``
  for any one webhook, so one slow endpoint cannot take every slot.
- **Retries**: a failed attempt is tried again after ``base`` seconds, doubling each
  time up to an hour, with ±25 % jitter so endpoints that failed together do not get
  their retries together; the last attempt is made ``retry_for`` seconds after the
  delivery was created (24 h by default), then the delivery has failed.
- **Disabling**: when a delivery gives up and nothing sent to its webhook has succeeded
  since that delivery's first attempt (so the endpoint has failed for the whole retry
  period), the webhook is disabled with the reason. Its pending deliveries wait until it
  is enabled again; it gets no new ones meanwhile.
- **Back-off per endpoint**: after a failure the worker leaves that webhook's other due
  deliveries alone for a while (``base`` seconds, doubling, at most a minute), so a dead
  endpoint with a backlog is probed, not hammered.
- **Leases**: a claim leases a delivery for ``LEASE`` seconds, longer than an attempt can
  take. If this process dies mid-attempt, the delivery is due again when the lease ends:
  delivery is at least once, and receivers de-duplicate by the delivery id.
- **Housekeeping**: deliveries older than ``RETENTION`` are deleted with their attempts.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from consumer.webhooks.sender import Sender
from smartlinks.background import BackgroundTask
from smartlinks.models import utcnow
from smartlinks.store.webhook_store import WebhookStore
from smartlinks.waiting import wait_set
from smartlinks.webhooks import DELIVERED, FAILED, PENDING, AttemptOutcome, ClaimedDelivery, DeliveryAttempt

log = logging.getLogger(__name__)

CONCURRENCY = 16
PER_WEBHOOK = 8
TIMEOUT = 10.0  # seconds an attempt may take, name resolution included
LEASE = 60.0
POLL = 0.5  # seconds between looks for due deliveries when nothing wakes the worker
MAX_DELAY = 3600.0
MAX_COOLING = 60.0
RETENTION = timedelta(days=30)
PRUNE_EVERY = 600.0
COUNT_EVERY = 5.0
STOP_GRACE = 2.0  # seconds attempts under way may finish at shutdown


def period(seconds: float) -> str:
    """``86400`` → ``"24 hours"``: how long a webhook failed, for its disabled reason."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"


def describe(attempt: DeliveryAttempt) -> str:
    if attempt.status_code is not None:
        return f"HTTP {attempt.status_code}"
    return attempt.error or "no answer"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base: float = 10.0
    retry_for: float = 86_400.0
    max_delay: float = MAX_DELAY

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failed attempt (1 for the first)."""
        exact = min(self.base * 2.0 ** min(failures - 1, 40), self.max_delay)
        return exact * random.uniform(0.75, 1.25)

    def outcome(self, claimed: ClaimedDelivery, attempt: DeliveryAttempt, now: datetime) -> AttemptOutcome:
        if attempt.ok:
            return AttemptOutcome(DELIVERED, None)
        deadline = claimed.created_at + timedelta(seconds=self.retry_for)
        if now >= deadline:
            reason = (
                f"deliveries failed for {period(self.retry_for)} without a success; last: {describe(attempt)}"
            )
            return AttemptOutcome(FAILED, None, disable_reason=reason)
        retry_at = now + timedelta(seconds=self.delay(claimed.attempts + 1))
        return AttemptOutcome(PENDING, min(retry_at, deadline))


@dataclass(slots=True)
class DeliveryStats:
    attempts_ok: int = 0
    attempts_failed: int = 0
    delivered: int = 0
    failed: int = 0  # deliveries that gave up
    disabled: int = 0  # webhooks this worker disabled
    pending: int = 0  # in the whole store, as of the last count
    in_flight: int = 0
    errors: int = 0  # store calls of the worker that failed


class DeliveryWorker:
    def __init__(
        self,
        store: WebhookStore,
        policy: RetryPolicy,
        allow_private: bool,
        concurrency: int = CONCURRENCY,
        timeout: float = TIMEOUT,
    ) -> None:
        self.store = store
        self.policy = policy
        self.concurrency = concurrency
        self.sender = Sender(allow_private, timeout, concurrency)
        self.stats = DeliveryStats()
        self._wake = asyncio.Event()
        self._loop = BackgroundTask("webhook-delivery", self._run)
        self._attempts: dict[asyncio.Task[None], ClaimedDelivery] = {}
        self._busy: Counter[str] = Counter()  # attempts under way, by webhook
        self._cooling: dict[str, tuple[float, int]] = {}  # webhook → (monotonic until, failures)

    def wake(self) -> None:
        """Look for due deliveries now (new ones were enqueued in this process)."""
        self._wake.set()

    async def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
        if self._attempts:
            await asyncio.wait(list(self._attempts), timeout=STOP_GRACE)
        unfinished = dict(self._attempts)
        for task in unfinished:
            task.cancel()
        if unfinished:
            await asyncio.gather(*unfinished, return_exceptions=True)
            try:  # due again at once for the next start, rather than when their leases end
                await self.store.release_deliveries(list(unfinished.values()))
            except Exception:
                log.exception(
                    "could not release %d webhook deliveries; due when their leases end", len(unfinished)
                )
        await self.sender.close()

    async def _run(self) -> None:
        next_prune = next_count = 0.0
        while True:
            self._wake.clear()
            try:
                now = time.monotonic()
                if now >= next_prune:
                    next_prune = now + PRUNE_EVERY
                    pruned = await self.store.prune_deliveries(utcnow() - RETENTION)
                    if pruned:
                        log.info("deleted %d webhook deliveries older than %s", pruned, RETENTION)
                if now >= next_count:
                    next_count = now + COUNT_EVERY
                    self.stats.pending = await self.store.count_pending()
                await self._claim()
            except Exception:
                self.stats.errors += 1
                log.exception("claiming webhook deliveries failed; retrying")
            await wait_set(self._wake, POLL)

    async def _claim(self) -> None:
        free = self.concurrency - len(self._attempts)
        if free <= 0:
            return
        now = time.monotonic()
        skip = {w for w, n in self._busy.items() if n >= PER_WEBHOOK}
        skip.update(w for w, (until, _) in self._cooling.items() if until > now)
        for claimed in await self.store.claim_deliveries(free, LEASE, PER_WEBHOOK, skip):
            task = asyncio.create_task(self._attempt(claimed), name=f"webhook-attempt-{claimed.id}")
            self._attempts[task] = claimed
            self._busy[claimed.webhook_id] += 1
            task.add_done_callback(self._finished)
        self.stats.in_flight = len(self._attempts)

    def _finished(self, task: asyncio.Task[None]) -> None:
        claimed = self._attempts.pop(task)
        self._busy[claimed.webhook_id] -= 1
        if self._busy[claimed.webhook_id] <= 0:
            del self._busy[claimed.webhook_id]
        self.stats.in_flight = len(self._attempts)
        self._wake.set()  # a slot is free

    async def _attempt(self, claimed: ClaimedDelivery) -> None:
        try:
            attempt = await self.sender.send(claimed)
            outcome = self.policy.outcome(claimed, attempt, utcnow())
            self._cool(claimed.webhook_id, attempt.ok)
            disabled = await self.store.record_attempt(claimed, attempt, outcome)
        except Exception:
            # The lease runs out and the delivery is attempted again: at least once.
            self.stats.errors += 1
            log.exception(
                "could not record attempt %d of webhook delivery %s", claimed.attempts + 1, claimed.id
            )
            return
        if log.isEnabledFor(logging.DEBUG):  # one line per attempt: DEBUG, never INFO
            log.debug(
                "webhook delivery %s, attempt %d: %s, %s",
                claimed.id,
                claimed.attempts + 1,
                f"HTTP {attempt.status_code}" if attempt.status_code is not None else attempt.error,
                outcome.status,
                extra={
                    "webhook_id": claimed.webhook_id,
                    "delivery_id": claimed.id,
                    "attempt": claimed.attempts + 1,
                    "status_code": attempt.status_code,
                    "error": attempt.error,
                    "duration_ms": attempt.duration_ms,
                },
            )
        stats = self.stats
        if attempt.ok:
            stats.attempts_ok += 1
            stats.delivered += 1
            return
        stats.attempts_failed += 1
        if outcome.status == FAILED:
            stats.failed += 1
        if disabled:
            stats.disabled += 1
            log.warning("webhook %s disabled: %s", claimed.webhook_id, outcome.disable_reason)

    def _cool(self, webhook_id: str, ok: bool) -> None:
        if ok:
            self._cooling.pop(webhook_id, None)
            return
        now = time.monotonic()
        until, failures = self._cooling.get(webhook_id, (0.0, 0))
        if until > now:
            return  # attempts made before the pause began, failing too: one failure, not many
        pause = min(self.policy.base * 2.0 ** min(failures, 20), MAX_COOLING)
        self._cooling[webhook_id] = (now + pause, failures + 1)

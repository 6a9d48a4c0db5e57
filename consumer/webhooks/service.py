"""Webhooks as the consumer runs them: the matcher that turns stored clicks and
conversions into pending deliveries (the ``triggers`` hook of the click consumer and of
the funnel consumer) and the worker that sends them. Both start before the consumers and
stop after them, so what they drain at shutdown still gets its deliveries enqueued."""

from __future__ import annotations

from consumer.webhooks.delivery import DeliveryWorker, RetryPolicy
from consumer.webhooks.matcher import WebhookMatcher
from consumer.webhooks.metrics import webhook_metrics
from smartlinks.metrics import StatsCollector
from smartlinks.settings import Settings
from smartlinks.store.link_store import LinkStore


class WebhookService:
    def __init__(self, settings: Settings, store: LinkStore) -> None:
        policy = RetryPolicy(settings.webhook_retry_base, settings.webhook_retry_for)
        self.worker = DeliveryWorker(store.webhooks, policy, settings.webhook_allow_private)
        # In one process the worker hears of new deliveries at once; across processes it
        # finds them on its next poll.
        self.matcher = WebhookMatcher(store.webhooks, settings.base_url, on_enqueued=self.worker.wake)

    async def start(self) -> None:
        await self.matcher.start()
        await self.worker.start()

    async def stop(self) -> None:
        await self.worker.stop()
        await self.matcher.stop()

    def metrics(self) -> StatsCollector:
        return webhook_metrics(self.matcher, self.worker)

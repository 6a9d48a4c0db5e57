"""Prometheus metrics of click triggers, read from the matcher's and worker's stats."""

from __future__ import annotations

from consumer.webhooks.delivery import DeliveryWorker
from consumer.webhooks.matcher import WebhookMatcher
from smartlinks.metrics import StatsCollector, counter, gauge


def webhook_metrics(matcher: WebhookMatcher, worker: DeliveryWorker) -> StatsCollector:
    enqueue, sent = matcher.stats, worker.stats
    return StatsCollector(
        [
            counter(
                "webhook_deliveries_enqueued_total",
                "Webhook deliveries created for stored clicks.",
                lambda: enqueue.enqueued,
            ),
            counter(
                "webhook_enqueue_failures_total",
                "Batches whose deliveries could not be written to the store (retried).",
                lambda: enqueue.failures,
            ),
            counter(
                "webhook_attempts_total",
                "Delivery attempts, by result (success: a 2xx answer).",
                lambda: {"success": float(sent.attempts_ok), "failure": float(sent.attempts_failed)},
                label="result",
            ),
            counter(
                "webhook_deliveries_delivered_total", "Deliveries answered with 2xx.", lambda: sent.delivered
            ),
            counter(
                "webhook_deliveries_failed_total",
                "Deliveries given up after the retry period.",
                lambda: sent.failed,
            ),
            gauge(
                "webhook_deliveries_pending",
                "Deliveries waiting for a (first or next) attempt, in the whole store.",
                lambda: sent.pending,
            ),
            gauge(
                "webhook_attempts_in_flight", "Attempts this process is making now.", lambda: sent.in_flight
            ),
            counter(
                "webhooks_disabled_total",
                "Webhooks disabled after failing for the whole retry period.",
                lambda: sent.disabled,
            ),
            counter(
                "webhook_worker_errors_total",
                "Store calls of the delivery worker that failed (retried).",
                lambda: sent.errors,
            ),
        ]
    )

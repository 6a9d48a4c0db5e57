"""Prometheus metrics of click triggers, read from the matcher's and worker's stats."""

from __future__ import annotations

from consumer.webhooks.delivery import DeliveryWorker
from consumer.webhooks.matcher import WebhookMatcher
from smartlinks.metrics import Sample, StatsCollector


def webhook_metrics(matcher: WebhookMatcher, worker: DeliveryWorker) -> StatsCollector:
    enqueue, sent = matcher.stats, worker.stats
    return StatsCollector(
        [
            Sample(
                "webhook_deliveries_enqueued_total",
                "Webhook deliveries created for stored clicks.",
                "counter",
                lambda: enqueue.enqueued,
            ),
            Sample(
                "webhook_enqueue_failures_total",
                "Batches whose deliveries could not be written to the store (retried).",
                "counter",
                lambda: enqueue.failures,
            ),
            Sample(
                "webhook_attempts_total",
                "Delivery attempts, by result (success: a 2xx answer).",
                "counter",
                lambda: {"success": float(sent.attempts_ok), "failure": float(sent.attempts_failed)},
                label="result",
            ),
            Sample(
                "webhook_deliveries_delivered_total",
                "Deliveries answered with 2xx.",
                "counter",
                lambda: sent.delivered,
            ),
            Sample(
                "webhook_deliveries_failed_total",
                "Deliveries given up after the retry period.",
                "counter",
                lambda: sent.failed,
            ),
            Sample(
                "webhook_deliveries_pending",
                "Deliveries waiting for a (first or next) attempt, in the whole store.",
                "gauge",
                lambda: sent.pending,
            ),
            Sample(
                "webhook_attempts_in_flight",
                "Attempts this process is making now.",
                "gauge",
                lambda: sent.in_flight,
            ),
            Sample(
                "webhooks_disabled_total",
                "Webhooks disabled after failing for the whole retry period.",
                "counter",
                lambda: sent.disabled,
            ),
            Sample(
                "webhook_worker_errors_total",
                "Store calls of the delivery worker that failed (retried).",
                "counter",
                lambda: sent.errors,
            ),
        ]
    )

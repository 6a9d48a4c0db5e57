"""The consumer's Prometheus metrics, read from its stats at scrape time."""

from __future__ import annotations

from consumer.enrich.pipeline import Enricher
from consumer.funnel_loop import FunnelConsumer
from consumer.loop import ClickConsumer
from schemas.events import CONVERSION, DELIVERED
from smartlinks.metrics import StatsCollector, counter, gauge, per_label


def consumer_metrics(consumer: ClickConsumer, enricher: Enricher) -> StatsCollector:
    stats = consumer.stats
    return StatsCollector(
        [
            counter(
                "consumer_events_total",
                "Click events taken from the edge log or Kafka.",
                lambda: stats.events,
            ),
            counter("consumer_rows_inserted_total", "Rows inserted into ClickHouse.", lambda: stats.inserted),
            counter(
                "consumer_duplicates_total",
                "Redelivered events or events of deleted links, not inserted.",
                lambda: stats.duplicates,
            ),
            counter(
                "consumer_dead_letters_total",
                "Events sent to the dead-letter table, by reason.",
                lambda: per_label(stats.dead_letters),
                label="reason",
            ),
            counter(
                "consumer_insert_failures_total",
                "Failed ClickHouse inserts (retried).",
                lambda: stats.insert_failures,
            ),
            counter(
                "consumer_worker_failures_total",
                "Batches the enrichment worker process could not decode and enrich (retried).",
                lambda: stats.worker_failures,
            ),
            gauge(
                "consumer_batch_seconds",
                "Duration of the last batch, enrich to insert.",
                lambda: stats.last_batch_seconds,
            ),
            gauge(
                "consumer_lag_milliseconds",
                "Age of the newest click of the last batch when it was stored.",
                lambda: stats.lag_ms,
            ),
            counter(
                "enrich_step_calls_total",
                "Calls of each enrichment step.",
                lambda: _steps(enricher, "calls"),
                label="step",
            ),
            counter(
                "enrich_step_seconds_total",
                "Time spent in each enrichment step (estimated from samples).",
                lambda: _steps(enricher, "ns", 1e-9),
                label="step",
            ),
            counter(
                "consumer_batch_step_seconds_total",
                "Time spent in each batch step (de-duplication, visit classification, insert, ...).",
                lambda: dict(consumer.sink.seconds),
                label="step",
            ),
            counter(
                "enrich_bots_total",
                "Clicks counted as bots, by the rule that decided (the clicks' bot_reason).",
                lambda: per_label(enricher.bots.reasons),
                label="reason",
            ),
            counter(
                "enrich_dropped_total",
                "Events refused by validation (before enrichment), by reason.",
                lambda: per_label(consumer.decoder.refused),
                label="reason",
            ),
        ]
    )


def _steps(enricher: Enricher, key: str, scale: float = 1.0) -> dict[str, float]:
    steps = enricher.stats.as_dict()["steps"]
    return {name: float(step[key]) * scale for name, step in steps.items()}


def funnel_metrics(consumer: FunnelConsumer) -> StatsCollector:
    stats = consumer.stats
    return StatsCollector(
        [
            counter(
                "funnel_events_total",
                "Funnel events (deliveries, conversions) taken from the API's log or Kafka.",
                lambda: stats.events,
            ),
            counter(
                "funnel_rows_inserted_total",
                "Deliveries and conversions inserted into ClickHouse, by type.",
                lambda: {
                    DELIVERED: float(stats.deliveries),
                    CONVERSION: float(stats.conversions),
                },
                label="type",
            ),
            counter(
                "funnel_duplicates_total",
                "Funnel events whose id was recorded already, not inserted.",
                lambda: stats.duplicates,
            ),
            counter(
                "funnel_dead_letters_total",
                "Funnel messages sent to the dead-letter table, by reason.",
                lambda: per_label(stats.dead_letters),
                label="reason",
            ),
            counter(
                "funnel_insert_failures_total",
                "Failed inserts of funnel events (retried).",
                lambda: stats.insert_failures,
            ),
            counter(
                "funnel_conversions_held_total",
                "Conversions that waited for a click not stored yet.",
                lambda: stats.hold.held,
            ),
            counter(
                "funnel_conversions_released_total",
                "Held conversions attributed, by what ended the wait: their click, or the timeout.",
                lambda: {
                    "click": float(stats.hold.released_by_click),
                    "timeout": float(stats.hold.released_by_timeout),
                },
                label="reason",
            ),
            counter(
                "funnel_hold_refused_total",
                "Conversions attributed at once because the hold was full.",
                lambda: stats.hold.refused_full,
            ),
            gauge(
                "funnel_conversions_waiting",
                "Conversions waiting for their click now.",
                lambda: len(consumer.hold),
            ),
        ]
    )

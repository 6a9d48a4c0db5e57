"""The consumer's Prometheus metrics, read from its stats at scrape time."""

from __future__ import annotations

from consumer.enrich.pipeline import Enricher
from consumer.funnel_loop import FunnelConsumer
from consumer.loop import ClickConsumer
from schemas.events import CONVERSION, DELIVERED
from smartlinks.metrics import Sample, StatsCollector


def consumer_metrics(consumer: ClickConsumer, enricher: Enricher) -> StatsCollector:
    stats = consumer.stats
    return StatsCollector(
        [
            Sample(
                "consumer_events_total",
                "Click events taken from the edge log or Kafka.",
                "counter",
                lambda: stats.events,
            ),
            Sample(
                "consumer_rows_inserted_total",
                "Rows inserted into ClickHouse.",
                "counter",
                lambda: stats.inserted,
            ),
            Sample(
                "consumer_duplicates_total",
                "Redelivered events or events of deleted links, not inserted.",
                "counter",
                lambda: stats.duplicates,
            ),
            Sample(
                "consumer_dead_letters_total",
                "Events sent to the dead-letter table, by reason.",
                "counter",
                lambda: {reason: float(count) for reason, count in stats.dead_letters.items()},
                label="reason",
            ),
            Sample(
                "consumer_insert_failures_total",
                "Failed ClickHouse inserts (retried).",
                "counter",
                lambda: stats.insert_failures,
            ),
            Sample(
                "consumer_batch_seconds",
                "Duration of the last batch, enrich to insert.",
                "gauge",
                lambda: stats.last_batch_seconds,
            ),
            Sample(
                "consumer_lag_milliseconds",
                "Age of the newest click of the last batch when it was stored.",
                "gauge",
                lambda: stats.lag_ms,
            ),
            Sample(
                "enrich_step_calls_total",
                "Calls of each enrichment step.",
                "counter",
                lambda: _steps(enricher, "calls"),
                label="step",
            ),
            Sample(
                "enrich_step_seconds_total",
                "Time spent in each enrichment step (estimated from samples).",
                "counter",
                lambda: _steps(enricher, "ns", 1e-9),
                label="step",
            ),
            Sample(
                "consumer_batch_step_seconds_total",
                "Time spent in each batch step (de-duplication, visit classification, insert, ...).",
                "counter",
                lambda: dict(consumer.sink.seconds),
                label="step",
            ),
            Sample(
                "enrich_dropped_total",
                "Events refused by validation (before enrichment), by reason.",
                "counter",
                lambda: {reason: float(n) for reason, n in consumer.decoder.refused.items()},
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
            Sample(
                "funnel_events_total",
                "Funnel events (deliveries, conversions) taken from the API's log or Kafka.",
                "counter",
                lambda: stats.events,
            ),
            Sample(
                "funnel_rows_inserted_total",
                "Deliveries and conversions inserted into ClickHouse, by type.",
                "counter",
                lambda: {
                    DELIVERED: float(stats.deliveries),
                    CONVERSION: float(stats.conversions),
                },
                label="type",
            ),
            Sample(
                "funnel_duplicates_total",
                "Funnel events whose id was recorded already, not inserted.",
                "counter",
                lambda: stats.duplicates,
            ),
            Sample(
                "funnel_dead_letters_total",
                "Funnel messages sent to the dead-letter table, by reason.",
                "counter",
                lambda: {reason: float(count) for reason, count in stats.dead_letters.items()},
                label="reason",
            ),
            Sample(
                "funnel_insert_failures_total",
                "Failed inserts of funnel events (retried).",
                "counter",
                lambda: stats.insert_failures,
            ),
        ]
    )

"""What ``/metrics`` shows of the edge log: clicks written and dropped, and the backlog the
reader (the embedded consumer or the Kafka publisher) has not handed on yet."""

from __future__ import annotations

from smartlinks.eventlog.reader import EventLogReader
from smartlinks.eventlog.writer import EventLog
from smartlinks.metrics import Sample, StatsCollector


def event_log_metrics(log: EventLog, reader: EventLogReader) -> StatsCollector:
    stats = log.stats
    return StatsCollector(
        [
            Sample(
                "click_events_published_total",
                "Click events appended to the edge log (before their redirects were answered).",
                "counter",
                lambda: stats.appended,
            ),
            Sample(
                "click_events_dropped_total",
                "Clicks answered but not recorded: the edge log could not be written (disk full"
                " or unwritable).",
                "counter",
                lambda: stats.dropped,
            ),
            Sample(
                "click_log_write_errors_total",
                "Failed writes to the edge log.",
                "counter",
                lambda: stats.write_errors,
            ),
            Sample(
                "click_log_sync_errors_total",
                "Failed syncs of the edge log to disk.",
                "counter",
                lambda: stats.sync_errors,
            ),
            Sample(
                "click_log_backlog_bytes",
                "Bytes of the edge log not yet handed on (to the consumer, or to Kafka).",
                "gauge",
                reader.backlog_bytes,
            ),
            Sample(
                "click_events_oldest_unsent_age_seconds",
                "Age of the oldest click in the edge log not yet handed on.",
                "gauge",
                reader.oldest_age_seconds,
            ),
            Sample(
                "click_events_delivered_total",
                "Click events the edge log's reader has taken (to the consumer, or to Kafka).",
                "counter",
                lambda: reader.delivered,
            ),
        ]
    )


def funnel_log_metrics(log: EventLog, reader: EventLogReader) -> StatsCollector:
    """The API's log of accepted deliveries and conversions, seen like the click log."""
    stats = log.stats
    return StatsCollector(
        [
            Sample(
                "funnel_events_logged_total",
                "Funnel events appended to the API's log (before POST /api/v1/events answered).",
                "counter",
                lambda: stats.appended,
            ),
            Sample(
                "funnel_log_write_errors_total",
                "Failed writes to the API's funnel log (the request was answered 503).",
                "counter",
                lambda: stats.write_errors,
            ),
            Sample(
                "funnel_log_backlog_bytes",
                "Bytes of the funnel log not yet handed on (to the consumer, or to Kafka).",
                "gauge",
                reader.backlog_bytes,
            ),
            Sample(
                "funnel_events_oldest_unsent_age_seconds",
                "Age of the oldest funnel event in the log not yet handed on.",
                "gauge",
                reader.oldest_age_seconds,
            ),
        ]
    )

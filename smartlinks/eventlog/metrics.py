"""What ``/metrics`` shows of the edge log: clicks written and dropped, and the backlog the
reader (the embedded consumer or the Kafka publisher) has not handed on yet."""

from __future__ import annotations

from smartlinks.eventlog.reader import EventLogReader
from smartlinks.eventlog.writer import EventLog
from smartlinks.metrics import StatsCollector, counter, gauge


def event_log_metrics(log: EventLog, reader: EventLogReader) -> StatsCollector:
    stats = log.stats
    return StatsCollector(
        [
            counter(
                "click_events_published_total",
                "Click events appended to the edge log (before their redirects were answered).",
                lambda: stats.appended,
            ),
            counter(
                "click_events_dropped_total",
                "Clicks answered but not recorded: the edge log could not be written (disk full"
                " or unwritable).",
                lambda: stats.dropped,
            ),
            counter(
                "click_log_write_errors_total", "Failed writes to the edge log.", lambda: stats.write_errors
            ),
            counter(
                "click_log_sync_errors_total",
                "Failed syncs of the edge log to disk.",
                lambda: stats.sync_errors,
            ),
            gauge(
                "click_log_backlog_bytes",
                "Bytes of the edge log not yet handed on (to the consumer, or to Kafka).",
                reader.backlog_bytes,
            ),
            gauge(
                "click_events_oldest_unsent_age_seconds",
                "Age of the oldest click in the edge log not yet handed on.",
                reader.oldest_age_seconds,
            ),
            counter(
                "click_events_delivered_total",
                "Click events the edge log's reader has taken (to the consumer, or to Kafka).",
                lambda: reader.delivered,
            ),
        ]
    )


def funnel_log_metrics(log: EventLog, reader: EventLogReader) -> StatsCollector:
    """The API's log of accepted deliveries and conversions, seen like the click log."""
    stats = log.stats
    return StatsCollector(
        [
            counter(
                "funnel_events_logged_total",
                "Funnel events appended to the API's log (before POST /api/v1/events answered).",
                lambda: stats.appended,
            ),
            counter(
                "funnel_log_write_errors_total",
                "Failed writes to the API's funnel log (the request was answered 503).",
                lambda: stats.write_errors,
            ),
            gauge(
                "funnel_log_backlog_bytes",
                "Bytes of the funnel log not yet handed on (to the consumer, or to Kafka).",
                reader.backlog_bytes,
            ),
            gauge(
                "funnel_events_oldest_unsent_age_seconds",
                "Age of the oldest funnel event in the log not yet handed on.",
                reader.oldest_age_seconds,
            ),
        ]
    )

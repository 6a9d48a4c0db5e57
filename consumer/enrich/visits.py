"""The classify_visits step: each click's ``kind`` (``unique``: the visitor's first click on
the link, ``repeat``, ``bot``) and when the visitor last clicked the link
(``visitor_prev_ts``, and ``visitor_prev_country_ts`` for the same country), which the
analytics use to count distinct visitors exactly.

The one enrichment step that runs per batch rather than per event: it needs the visitors'
history, read from ``link_visitors`` in one query per batch (joined against the staged
batch, consumer/staging.py), plus the earlier rows of the batch itself. It is exact as long
as one consumer writes a given link at a time, which holds because Kafka partitions click
events by link id, and clicks of one visitor arrive in time order (each batch is sorted;
a click older than the visitor's newest stored click, e.g. from a redirector's edge log
shipped late, is stored as a ``repeat`` that never starts a visit, so it can be missed in
a range that holds only that click).
"""

from __future__ import annotations

from consumer import staging
from consumer.enrich.row import ClickRow
from smartlinks.clickhouse import Client

VisitorKey = tuple[str, str, str]  # (link_id, visitor_id, country)

READS: dict[str, set[str]] = {
    "link_visitors": {"tenant_id", "link_id", "visitor_id", "country", "last_ts"},
}


class VisitClassifier:
    def __init__(self, client: Client) -> None:
        self.client = client

    def classify_visits(self, rows: list[ClickRow]) -> None:
        """Mark ``rows`` (staged, none stored yet), putting them in time order: that makes
        the decision exact inside a batch too."""
        rows.sort(key=lambda row: row.ts)
        classify(rows, self.history())

    def history(self) -> dict[VisitorKey, int]:
        """When each staged human visitor last clicked its link, per country (Unix ms)."""
        result = self.client.query(
            "SELECT link_id, visitor_id, toString(country), toUnixTimestamp64Milli(max(last_ts))"
            " FROM link_visitors"
            " WHERE (tenant_id, link_id, visitor_id) IN"
            f" (SELECT tenant_id, link_id, visitor_id FROM {staging.TABLE} WHERE NOT is_bot)"
            " GROUP BY link_id, visitor_id, country"
        )
        return {(link, visitor, country): last for link, visitor, country, last in result.result_rows}


def classify(rows: list[ClickRow], last: dict[VisitorKey, int]) -> None:
    """Set each row's kind and its visitor's previous click on the link, overall and in the
    row's country (ms; 0 when there is none). ``rows`` are in time order; ``last`` is the
    stored history and is updated in place with the batch.

    A visitor's first click inside any range [s, e) is then the only one of its clicks
    there whose previous click is before s, which is what makes unique counts exact sums.
    """
    newest: dict[tuple[str, str], int] = {}
    for (link, visitor, _), ts in last.items():
        if ts > newest.get((link, visitor), -1):
            newest[(link, visitor)] = ts
    for row in rows:
        if row.is_bot:
            row.kind, row.visitor_prev_ts, row.visitor_prev_country_ts = "bot", 0, 0
            continue
        key = (row.link_id, row.visitor_id)
        ckey = (row.link_id, row.visitor_id, row.country)
        seen = newest.get(key)
        row.kind = "unique" if seen is None else "repeat"
        row.visitor_prev_ts = _previous(seen, row.ts)
        row.visitor_prev_country_ts = _previous(last.get(ckey), row.ts)
        newest[key] = row.ts if seen is None else max(seen, row.ts)
        last[ckey] = max(last.get(ckey, row.ts), row.ts)


def _previous(seen: int | None, ts: int) -> int:
    if seen is None:
        return 0
    # A late click (older than the newest one stored) gets its own time: never the
    # start of a visit, rather than the start of a second one.
    return seen if seen <= ts else ts

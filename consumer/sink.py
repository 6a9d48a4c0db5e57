"""The consumer's last step: enriched, classified clicks into ``clicks``, in one columnar
insert. The rollups (materialized views) fill from it.

What comes here is decided already: each event once, none of a deleted link, each row's
kind and previous-visit times set (consumer/ingest.py runs those steps first).
The method is synchronous; the consumer calls it from a worker thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from consumer.enrich.row import ClickRow
from schemas.clickhouse import CLICK_COLUMNS, TABLES
from smartlinks.clickhouse import Client

# What the sink writes: the schema test checks it against the live table.
WRITES: dict[str, tuple[str, ...]] = {"clicks": CLICK_COLUMNS}

# The rollup views GROUP BY already, so each block they write holds every key once: the
# merge that ``optimize_on_insert`` runs over a new part of an (Aggregating)MergeTree
# finds nothing to fold and cost ~1.5 µs a click (of ~11 µs for the insert and its six
# views, bench/consumer_bench.py). Queries sum these tables anyway (parts merge whenever
# ClickHouse likes), so the figures are the same.
INSERT_SETTINGS: dict[str, Any] = {"optimize_on_insert": 0}


def wire_types(types: Sequence[str]) -> list[str]:
    """The column types an insert declares for columns of ``types``: UUIDs go as their hex
    text, typed String, and the server parses them into the UUID column (Native input
    converts types; 32 hex digits, what the decoder accepts, read as the same UUID).
    clickhouse-connect encodes a UUID from text in pure Python, ~0.5 µs an id against
    ~0.14 for a String. Declaring the types also spares the ``DESCRIBE TABLE`` it would
    run before every insert to learn them."""
    return ["String" if kind == "UUID" else kind for kind in types]


_CLICK_TYPES = wire_types([TABLES["clicks"][name] for name in CLICK_COLUMNS])


class ClickSink:
    def __init__(self, client: Client) -> None:
        self.client = client

    def insert(self, rows: Sequence[ClickRow]) -> None:
        if not rows:
            return
        # A list per column (an attrgetter per row transposed with zip measured slower).
        columns: list[list[Any]] = [[getattr(row, name) for row in rows] for name in CLICK_COLUMNS]
        self.client.insert(
            "clicks",
            columns,
            CLICK_COLUMNS,
            column_oriented=True,
            column_type_names=_CLICK_TYPES,
            settings=INSERT_SETTINGS,
        )

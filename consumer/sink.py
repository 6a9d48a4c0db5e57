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
from schemas.clickhouse import CLICK_COLUMNS
from smartlinks.clickhouse import Client

# What the sink writes: the schema test checks it against the live table.
WRITES: dict[str, tuple[str, ...]] = {"clicks": CLICK_COLUMNS}


class ClickSink:
    def __init__(self, client: Client) -> None:
        self.client = client

    def insert(self, rows: Sequence[ClickRow]) -> None:
        if not rows:
            return
        columns: list[list[Any]] = [[getattr(row, name) for row in rows] for name in CLICK_COLUMNS]
        self.client.insert("clicks", columns, CLICK_COLUMNS, column_oriented=True)

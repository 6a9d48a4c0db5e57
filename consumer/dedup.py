"""Redelivered events: Kafka delivers at least once, so a batch may arrive again (after a
crash before the offset commit, or a replay). These steps make that harmless:

- ``distinct``: each event once per batch, and none this process inserted recently (a
  bounded in-memory set);
- ``stored``: the staged events ``clicks`` holds already (one query per batch; the
  de-duplication that survives a restart), with the kind each was stored as;
- ``repair_rollups``: an insert cut off (a consumer killed mid-insert) may have stored a
  batch's clicks without every rollup's rows. When a batch holds events already in
  ``clicks``, the rollup cells of those events are compared with ``clicks`` and rebuilt
  where they differ (consumer/reconcile.py), before the batch's new clicks are classified
  (classification reads ``link_visitors``, a rollup).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from consumer import staging
from consumer.enrich.row import ClickRow
from consumer.reconcile import ClicksCells, Reconciler
from smartlinks.clickhouse import Client

log = logging.getLogger(__name__)

READS: dict[str, set[str]] = {"clicks": {"tenant_id", "link_id", "ts", "event_id"}}


class RecentIds:
    """A bounded set of recently inserted event ids, oldest forgotten first."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add_all(self, event_ids: Iterable[str]) -> None:
        ids = self._ids
        for event_id in event_ids:
            ids[event_id] = None
        while len(ids) > self.capacity:
            ids.popitem(last=False)


class Redeliveries:
    def __init__(self, client: Client, recent_ids: int = 200_000) -> None:
        self.client = client
        self.recent = RecentIds(recent_ids)
        self.reconciler = Reconciler(client)

    def distinct(self, rows: Sequence[ClickRow]) -> list[ClickRow]:
        """Each event of ``rows`` once, leaving out those inserted recently."""
        seen: set[str] = set()
        recent = self.recent
        distinct: list[ClickRow] = []
        for row in rows:
            if row.event_id in seen or row.event_id in recent:
                continue
            seen.add(row.event_id)
            distinct.append(row)
        return distinct

    def stored(self) -> dict[str, str]:
        """Staged events already in ``clicks``, and the kinds they were stored as."""
        result = self.client.query(f"SELECT event_id, toString(kind) FROM clicks WHERE {staging.STORED}")
        return {value.hex: kind for value, kind in result.result_rows}

    def remember(self, rows: Iterable[ClickRow]) -> None:
        self.recent.add_all(row.event_id for row in rows)

    def repair_rollups(self) -> None:
        """Make the rollups agree with ``clicks`` in the cells of the staged events that
        ``clicks`` already holds (of links not deleted)."""
        scope = ClicksCells(
            f"{staging.STORED} AND (tenant_id, link_id) NOT IN (SELECT tenant_id, link_id FROM deleted_links)"
        )
        repaired = self.reconciler.repair(scope)
        if repaired:
            cells = sum(len(difference.cells) for difference in repaired)
            links = len({(difference.tenant_id, difference.link_id) for difference in repaired})
            log.warning(
                "rebuilt %d rollup cells of %d links from clicks after a redelivered batch", cells, links
            )

"""Redelivered events: Kafka delivers at least once, so a batch may arrive again (after a
crash before the offset commit, or a replay). These steps make that harmless:

- ``distinct``: each event once per batch, and none this process inserted recently (a
  bounded in-memory set);
- ``stored``: the staged events ``clicks`` holds already (one query per batch; the
  de-duplication that survives a restart), with the kind each was stored as, and whether
  the insert that stored it finished;
- ``repair_rollups``: an insert cut off (a consumer killed mid-insert) may have stored a
  batch's clicks without every rollup's rows. When a batch holds events in ``clicks``
  whose insert did not finish, the rollup cells of those events are compared with
  ``clicks`` and rebuilt where they differ (consumer/reconcile.py), before the batch's
  new clicks are classified (classification reads ``link_visitors``, a rollup);
- ``remember``: once an insert has returned (every view written), its event ids go to
  ``inserted_clicks``. A redelivery after a crash between the insert and the
  acknowledgement, the common one, then costs one query instead of a comparison of
  every rollup (about 100 µs per event).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, fields
from itertools import starmap

from consumer import staging
from consumer.enrich.row import ClickRow
from consumer.reconcile import ClicksCells, Reconciler
from smartlinks.clickhouse import Client

log = logging.getLogger(__name__)

FINISHED_TABLE = "inserted_clicks"
_FINISHED_COLUMNS = ("event_id", "inserted_at")
READS: dict[str, set[str]] = {
    "clicks": {"tenant_id", "link_id", "ts", "event_id", "kind", *(f.name for f in fields(ClickRow))},
    FINISHED_TABLE: {"event_id"},
}
WRITES: dict[str, tuple[str, ...]] = {FINISHED_TABLE: _FINISHED_COLUMNS}

# Whether a stored click's insert finished (see ``remember``).
_FINISHED = (
    f"event_id IN (SELECT event_id FROM {FINISHED_TABLE}"
    f" WHERE event_id IN (SELECT event_id FROM {staging.TABLE}))"
)
_MS = "toUnixTimestamp64Milli({})"
# A stored click read back as the ClickRow it was made from: the enricher's types (ids as
# 32 lowercase hex digits, times in ms, '' for an unknown country). Built from the row's
# fields, so a column added to both needs nothing here.
_READ_BACK: dict[str, str] = {
    "event_id": "replaceAll(toString(event_id), '-', '')",
    "ts": _MS.format("ts"),
    "visitor_prev_ts": _MS.format("visitor_prev_ts"),
    "visitor_prev_country_ts": _MS.format("visitor_prev_country_ts"),
    "country": "replaceAll(toString(country), '\\0', '')",
    "kind": "toString(kind)",
}
_ROW_COLUMNS = ", ".join(_READ_BACK.get(f.name, f.name) for f in fields(ClickRow))


@dataclass(slots=True)
class Stored:
    """The staged events ``clicks`` holds: the kind each was stored as, and how many were
    stored by an insert that did not finish (their rollup rows may be missing)."""

    kinds: dict[str, str] = field(default_factory=dict)
    unfinished: int = 0


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

    def stored(self, likely: bool = True) -> Stored:
        """Staged events already in ``clicks``: their kinds, and whether any insert of
        them was cut off. ``likely``: the batch is probably a redelivery, so whether each
        insert finished is asked in the same query; otherwise only once some event is
        found stored (the lookup in ``inserted_clicks`` costs ~1 µs an event, wasted on
        a batch of new clicks)."""
        finished = _FINISHED if likely else "1"
        result = self.client.query(
            f"SELECT {_READ_BACK['event_id']}, toString(kind), {finished} FROM clicks WHERE {staging.STORED}"
        )
        stored = Stored()
        kinds = stored.kinds
        for event_id, kind, done in result.result_rows:
            kinds[event_id] = kind
            stored.unfinished += not done
        if kinds and not likely:
            unfinished = self.client.query(
                f"SELECT count() FROM clicks WHERE {staging.STORED} AND NOT {_FINISHED}"
            ).result_rows[0][0]
            stored.unfinished = int(unfinished)
        return stored

    def all_finished(self, distinct: int) -> bool:
        """Whether each of the ``distinct`` staged event ids is in ``inserted_clicks``: then
        every one is stored by an insert that finished (or is of a deleted link, never
        stored again), and nothing of the batch needs enrichment or repair. The common
        redelivery (a crash between the insert and the acknowledgement) is answered by
        this primary-key lookup alone (~0.8 µs an event), not by ``stored``'s read of
        ``clicks`` and of every stored id (~3-5 µs an event)."""
        found = self.client.query(
            f"SELECT uniqExact(event_id) FROM {FINISHED_TABLE}"
            f" WHERE event_id IN (SELECT event_id FROM {staging.TABLE})"
        ).result_rows[0][0]
        return int(found) >= distinct

    def stored_rows(self, tenants: Collection[str]) -> list[ClickRow]:
        """Staged events of ``tenants`` already in ``clicks``, read back whole: cheaper
        than enriching them again, for the click triggers' second chance."""
        result = self.client.query(
            f"SELECT {_ROW_COLUMNS} FROM clicks"
            f" WHERE {staging.STORED} AND tenant_id IN {{tenants:Array(String)}}",
            parameters={"tenants": sorted(tenants)},
        )
        return list(starmap(ClickRow, result.result_rows))

    def remember(self, rows: Sequence[ClickRow]) -> None:
        """Record the staged batch as inserted to the end; call once the insert of its new
        ``rows`` has returned. The ids go from the staged table, server-side: no second
        upload. Its other events need no repair either: stored before (and repaired by
        this batch if their insert was cut off), or of deleted links, never stored again."""
        self.client.command(
            f"INSERT INTO {FINISHED_TABLE} ({', '.join(_FINISHED_COLUMNS)})"
            f" SELECT event_id, now() FROM {staging.TABLE}"
        )
        self.recent.add_all(row.event_id for row in rows)

    def repair_rollups(self) -> None:
        """Make the rollups agree with ``clicks`` in the cells of the staged events that
        ``clicks`` holds from an insert that did not finish (of links not deleted); then
        record those events as finished."""
        condition = (
            f"{staging.STORED} AND NOT {_FINISHED}"
            " AND (tenant_id, link_id) NOT IN (SELECT tenant_id, link_id FROM deleted_links)"
        )
        repaired = self.reconciler.repair(ClicksCells(condition))
        self.client.command(
            f"INSERT INTO {FINISHED_TABLE} ({', '.join(_FINISHED_COLUMNS)})"
            f" SELECT event_id, now() FROM clicks WHERE {condition}"
        )
        if repaired:
            cells = sum(len(difference.cells) for difference in repaired)
            links = len({(difference.tenant_id, difference.link_id) for difference in repaired})
            log.warning(
                "rebuilt %d rollup cells of %d links from clicks after a redelivered batch", cells, links
            )

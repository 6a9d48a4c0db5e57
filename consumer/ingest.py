"""A batch of enriched clicks into ClickHouse, exactly once in effect, as named steps:

    distinct → stage → drop_deleted → drop_stored → repair_rollups → classify_visits
             → insert → mark_inserted → purge_deleted_since

- ``distinct``, ``drop_stored``, ``repair_rollups``, ``mark_inserted``: redelivered
  events change nothing (consumer/dedup.py);
- ``drop_deleted``, ``purge_deleted_since``: a deleted link's clicks never come back
  (consumer/link_changes.py);
- ``classify_visits``: unique, repeat or bot, and the previous visit
  (consumer/enrich/visits.py);
- ``insert``: the sink (consumer/sink.py).

``known`` runs the first steps on decoded events before they are enriched: a consumer
that may be given a redelivered batch (just started, or its last batch held stored
events) leaves out of enrichment what ClickHouse holds already, read back as stored.
A batch whose every event is recorded as inserted to the end (``inserted_clicks``, the
common redelivery) is known from that one lookup; any other asks ``clicks``.

The batch's keys are staged once (consumer/staging.py) for the steps that ask ClickHouse,
so give this a client of its own. The methods are synchronous; the consumer calls them
from a worker thread.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from consumer import dead_letters, dedup, link_changes, sink, staging
from consumer.dead_letters import DeadLetter, DeadLetterTable
from consumer.dedup import Redeliveries
from consumer.enrich import visits
from consumer.enrich.row import ClickRow, StoredClick
from consumer.enrich.visits import VisitClassifier
from consumer.link_changes import LinkDeletions, LinkKey
from consumer.sink import ClickSink
from schemas.events import ClickEvent
from smartlinks.clickhouse import Client

# What the click consumer writes and reads, table by table: the schema test checks these
# against the live tables.
WRITES: dict[str, tuple[str, ...]] = {
    **sink.WRITES,
    **dedup.WRITES,
    **link_changes.WRITES,
    **dead_letters.WRITES,
}
READS: dict[str, set[str]] = {**dedup.READS, **visits.READS, **link_changes.READS}

T = TypeVar("T")


@dataclass(slots=True)
class Inserted:
    """What a batch did: how many rows were new, and every click of the batch that
    ClickHouse now holds, with its kind. That is the new ones and, when a batch comes again
    (a crash between the insert and the acknowledgement), the ones stored the first time,
    so the steps after the insert (click triggers) get their second chance too."""

    count: int = 0
    clicks: list[StoredClick] = field(default_factory=list)


@dataclass(slots=True)
class Known:
    """The events of a batch that need no enrichment (``ClickIngest.known``): ``skip``, the
    ids of those stored already, inserted recently by this process, or of deleted links;
    ``clicks``, the stored ones read back as stored (of the tenants asked for)."""

    clicks: list[StoredClick] = field(default_factory=list)
    skip: set[str] = field(default_factory=set)


class ClickIngest:
    def __init__(self, client: Client, recent_ids: int = 200_000) -> None:
        self.client = client
        self.redeliveries = Redeliveries(client, recent_ids)
        self.deletions = LinkDeletions(client)
        self.visits = VisitClassifier(client)
        self.sink = ClickSink(client)
        self.dead_letters = DeadLetterTable(client)
        # Seconds spent in each step, summed over batches: a slow step shows in the metrics.
        self.seconds: dict[str, float] = defaultdict(float)
        # The process's CPU seconds in each step, chDB's own threads included (its inserts
        # and views run there): what a step costs a core, which the wall clock of a busy
        # machine does not say. Other threads working alongside count too.
        self.cpu_seconds: dict[str, float] = defaultdict(float)

    def known(self, events: Sequence[ClickEvent], read_back: Callable[[str], bool] | None = None) -> Known:
        """What of a batch of decoded events ClickHouse holds already (see ``Known``); the
        cells an interrupted insert of them left incomplete are repaired here. The stored
        clicks of the tenants ``read_back`` names are read back (for the click triggers);
        of the others only their ids are asked."""
        step = _Steps(self.seconds, self.cpu_seconds)
        recent = self.redeliveries.recent
        skip = {event_id for event in events if (event_id := event.event_id.lower()) in recent}
        ask = [event for event in events if event.event_id.lower() not in skip] if skip else events
        if not ask:
            return Known([], skip)
        # The ids alone first: all a batch stored to the end needs; the other steps read
        # the events' links and times, staged only when one runs.
        ids = {event.event_id.lower() for event in ask}
        step("known_stage", staging.stage_ids, self.client, ids)
        deleted: set[LinkKey] | None = None
        if step("known_finished", self.redeliveries.all_finished, len(ids)):
            skip.update(ids)
            any_stored = True
        else:
            step("known_stage", staging.stage_events, self.client, ask)
            deleted = step("known_deleted", self.deletions.staged)
            stored = step("known_stored", self.redeliveries.stored)
            if stored.unfinished:
                step("repair_rollups", self.redeliveries.repair_rollups)
            skip.update(stored.kinds)
            if deleted:
                skip.update(e.event_id.lower() for e in ask if (e.tenant_id, e.link_id) in deleted)
            any_stored = bool(stored.kinds)
        wanted = {event.tenant_id for event in ask} if any_stored and read_back is not None else set()
        wanted = {tenant for tenant in wanted if read_back is not None and read_back(tenant)}
        if not wanted:
            return Known([], skip)
        if deleted is None:
            step("known_stage", staging.stage_events, self.client, ask)
            deleted = step("known_deleted", self.deletions.staged)
        rows = step("known_read_back", self.redeliveries.stored_rows, wanted)
        if len(rows) > 1:  # in the batch's order, as the triggers would have seen them
            order = {event.event_id.lower(): index for index, event in enumerate(ask)}
            rows.sort(key=lambda row: order.get(row.event_id, -1))
        clicks = [StoredClick(row, row.kind) for row in rows if (row.tenant_id, row.link_id) not in deleted]
        return Known(clicks, skip)

    def insert(self, rows: Sequence[ClickRow]) -> int:
        """Store a batch; return how many rows were new and kept."""
        return self.insert_batch(rows).count

    def insert_batch(self, rows: Sequence[ClickRow]) -> Inserted:
        """Store a batch; say what ClickHouse holds of it (see ``Inserted``)."""
        step = _Steps(self.seconds, self.cpu_seconds)
        batch = step("distinct", self.redeliveries.distinct, rows)
        if not batch:
            return Inserted()
        step("stage", staging.stage, self.client, batch)
        deleted = step("drop_deleted", self.deletions.staged)
        # Stored events are rare here: ``known`` ran first if a redelivery was likely.
        stored = step("drop_stored", self.redeliveries.stored, False)
        kinds = stored.kinds
        live = [row for row in batch if (row.tenant_id, row.link_id) not in deleted] if deleted else batch
        known, fresh = [], live
        if kinds:
            known = [StoredClick(row, kinds[row.event_id]) for row in live if row.event_id in kinds]
            fresh = [row for row in live if row.event_id not in kinds]
        if stored.unfinished:
            step("repair_rollups", self.redeliveries.repair_rollups)
        if not fresh:
            return Inserted(0, known)
        step("classify_visits", self.visits.classify_visits, fresh)
        step("insert", self.sink.insert, fresh)
        step("mark_inserted", self.redeliveries.remember, fresh)
        # A link deleted while this batch was on its way passed the check above before
        # its tombstone was written: what was just inserted is removed.
        purged = step("purge_deleted_since", self.deletions.purge_deleted_since, deleted)
        kept = [StoredClick(row, row.kind) for row in fresh if (row.tenant_id, row.link_id) not in purged]
        return Inserted(len(kept), known + kept)

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        self.dead_letters.store(letters)


class _Steps:
    """Runs a step and adds its time to ``seconds[name]`` and its process CPU time to
    ``cpu_seconds[name]`` (two clock reads per step and batch cost nothing beside the
    ClickHouse round trips)."""

    def __init__(self, seconds: dict[str, float], cpu_seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self.cpu_seconds = cpu_seconds

    def __call__(self, name: str, function: Callable[..., T], *args: Any) -> T:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args)
        finally:
            self.seconds[name] += time.perf_counter() - start
            self.cpu_seconds[name] += time.process_time() - cpu

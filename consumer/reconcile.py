"""Rollups that agree with the raw clicks: compare them with ``clicks`` cell by cell, and
rebuild the cells that differ from ``clicks``.

A rollup (a materialized view's target) is cut into cells: the rows of one tenant, link
and hour (or day, or visitor), which the view fills from that cell's clicks alone. A cell
agrees when its rows are what the view's own query gives over the cell's clicks today;
rebuilding it is deleting its rows and inserting that query's result. The query is the
live view's (``system.tables.as_select``), its source narrowed to the clicks at hand, so
the rebuild cannot drift from the view. Only how a rollup is cut is written down here
(``CELLS``); a view whose target is missing there is an error, not a rollup left out.

Two users:

- the click batches (consumer/dedup.py): when a redelivered batch holds events already in
  ``clicks`` (a consumer killed mid-insert stored them, but maybe not every view's rows), it
  compares the cells
  of those events and rebuilds the ones that differ, before it classifies the batch's new
  clicks (classification reads ``link_visitors``, one of the rollups).
- ``smartlinks check-analytics``: every cell of a period, reported and, with
  ``--repair``, rebuilt.

Why a rebuild from ``clicks`` rather than ClickHouse's deduplication of retried inserts
(``insert_deduplication_token`` with ``deduplicate_blocks_in_dependent_materialized_views``):
that completes the views only when the retry resends the very block the first try sent,
and ours does not. After a restart Kafka hands the consumer batches cut differently, the
sink leaves out the events already stored, and the kinds and previous-click times of the
rest come from ``link_visitors``, which the interrupted insert may have updated: a view
completed from the second block would hold figures computed from rows ``clicks`` does not
hold. It would also need a deduplication window on every table (a bounded memory that a
late redelivery outlives), and it mends nothing else. A rebuild from ``clicks`` mends
any disagreement, whatever caused it (a crash, a view detached during maintenance), and it
is the same code for the sink and the operator.

Exactness: a cell is compared and rebuilt by statements that read and write that cell's
tenant and link alone, so concurrent inserts of other links change nothing in it. Clicks
of the same link must not arrive meanwhile: the consumer writes a given link from one
place at a time (Kafka partitions clicks by link id), and the operator command is run with
the consumers stopped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from smartlinks.clickhouse import Client
from smartlinks.models import to_ms

SOURCE = "clicks"
# Cells per DELETE/INSERT statement: their list is a bound parameter, which a ClickHouse
# server caps at 128 KiB (a cell is about 90 characters).
_CHUNK = 1000


class ReconcileError(RuntimeError):
    """The schema does not let the rollups be compared with ``clicks``."""


@dataclass(frozen=True, slots=True)
class Cells:
    """How a rollup is cut into cells, and the figure a report shows for one."""

    column: str  # with tenant_id and link_id, names a cell
    # A cell holds the clicks of one UTC hour or day, starting at ``column``; None: the
    # cell is not cut by time (a visitor's rows over the link's whole life).
    span: Literal["HOUR", "DAY"] | None
    measure: str  # SQL aggregate over the rollup's rows: the clicks the cell counts


CELLS: dict[str, Cells] = {
    "clicks_hourly": Cells("hour", "HOUR", "sum(clicks)"),
    "visitors_hourly": Cells("hour", "HOUR", "sum(visits)"),
    "country_visitors_hourly": Cells("hour", "HOUR", "sum(visits)"),
    # Human clicks of contacts on campaign links only: a bot's click counts nothing here.
    "campaign_contacts_hourly": Cells("hour", "HOUR", "sum(clicks)"),
    # The lifetime counts of a link's visitors: reported per link, compared per visitor.
    "link_visitors": Cells("visitor_id", None, "sum(clicks)"),
    # Quarter hours: a cell's clicks lie in the hour from its start (more is harmless).
    "visitors_quarter": Cells("quarter", "HOUR", "sum(visits) + sum(bots)"),
    "country_visitors_quarter": Cells("quarter", "HOUR", "sum(visits)"),
    # Every click has one row per dimension; its country row stands for the click.
    "campaign_daily_dims": Cells("day", "DAY", "sumIf(clicks, dimension = 'country')"),
}
LIFETIME = "all time"  # the bucket a report gives cells not cut by time


@dataclass(frozen=True, slots=True)
class Rollup:
    """A materialized view on ``clicks`` and its target table."""

    table: str
    view: str
    cells: Cells
    columns: dict[str, str]  # the view's output columns -> the target's types
    before: str  # the view's query up to its source table …
    after: str  # … and after it

    def query(self, clicks_condition: str) -> str:
        """The view's query over the clicks that satisfy ``clicks_condition``."""
        return f"{self.before}(SELECT * FROM {SOURCE} WHERE {clicks_condition}){self.after}"


@dataclass(frozen=True, slots=True)
class Difference:
    """A bucket of a rollup that disagrees with ``clicks``: the clicks it should count and
    does, and its cells that differ (what a rebuild rewrites). Equal figures mean the rows
    differ in detail (a visitor's previous hour, a breakdown value)."""

    table: str
    tenant_id: str
    link_id: str
    bucket: str  # the hour or day, or LIFETIME
    expected: int
    found: int
    cells: tuple[str, ...]


class Scope:
    """Which cells to compare, as SQL conditions with their bound parameters."""

    params: dict[str, Any]

    def clicks(self, rollup: Rollup) -> str:
        """A condition on ``clicks``: every click of the scope's cells of ``rollup`` (more
        is harmless, the cells are picked from the view's output)."""
        raise NotImplementedError

    def cells(self, rollup: Rollup) -> str:
        """A condition on rows of the view's output or of its target: the scope's cells."""
        raise NotImplementedError


class Period(Scope):
    """The cells of buckets starting in [start, end) (either end open), and the lifetime
    counts of the links clicked in it; all of them when both ends are open."""

    def __init__(self, start: datetime | None = None, end: datetime | None = None) -> None:
        self.start, self.end = start, end
        self.params = {}
        if start is not None:
            self.params["period_start"] = to_ms(start)
        if end is not None:
            self.params["period_end"] = to_ms(end)

    def clicks(self, rollup: Rollup) -> str:
        span = rollup.cells.span
        if span is None:
            return self._links()
        # A cell starting before the end holds clicks until one span after it.
        return self._between("ts", f" + INTERVAL 1 {span}")

    def cells(self, rollup: Rollup) -> str:
        if rollup.cells.span is None:
            return self._links()
        return self._between(f"toDateTime({rollup.cells.column}, 'UTC')", "")

    def _between(self, column: str, slack: str) -> str:
        terms = ["1"]
        if self.start is not None:
            terms.append(f"{column} >= fromUnixTimestamp64Milli({{period_start:Int64}}, 'UTC')")
        if self.end is not None:
            terms.append(f"{column} < fromUnixTimestamp64Milli({{period_end:Int64}}, 'UTC'){slack}")
        return " AND ".join(terms)

    def _links(self) -> str:
        if self.start is None and self.end is None:
            return "1"
        clicked = f"SELECT tenant_id, link_id FROM {SOURCE} WHERE {self._between('ts', '')}"
        return f"(tenant_id, link_id) IN ({clicked})"


class ClicksCells(Scope):
    """The cells that hold the clicks satisfying a condition (e.g. a batch's events)."""

    def __init__(self, condition: str, params: dict[str, Any] | None = None) -> None:
        self.condition = condition
        self.params = dict(params or {})

    def clicks(self, rollup: Rollup) -> str:
        chosen = f"FROM {SOURCE} WHERE {self.condition}"
        links = f"(tenant_id, link_id) IN (SELECT tenant_id, link_id {chosen})"
        span = rollup.cells.span
        if span is None:
            return links
        # The cells of these clicks lie in the UTC hours (days) from the first to the last.
        first = f"toStartOfInterval((SELECT min(ts) {chosen}), INTERVAL 1 {span})"
        last = f"toStartOfInterval((SELECT max(ts) {chosen}), INTERVAL 1 {span})"
        return f"{links} AND ts >= {first} AND ts < {last} + INTERVAL 1 {span}"

    def cells(self, rollup: Rollup) -> str:
        column = rollup.cells.column
        own = rollup.query(self.condition)
        return f"(tenant_id, link_id, {column}) IN (SELECT tenant_id, link_id, {column} FROM ({own}))"


class Reconciler:
    """Compares the rollups with ``clicks`` and rebuilds what differs. Synchronous; the
    views are read from the database on first use."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._rollups: list[Rollup] | None = None

    def rollups(self) -> list[Rollup]:
        if self._rollups is None:
            self._rollups = load_rollups(self.client)
        return self._rollups

    def differences(self, scope: Scope) -> list[Difference]:
        """The buckets of every rollup in ``scope`` that disagree with ``clicks``."""
        found: list[Difference] = []
        for rollup in self.rollups():
            rows = self.client.query(_compare(rollup, scope), parameters=scope.params).result_rows
            found.extend(
                Difference(rollup.table, tenant, link, bucket, int(expected), int(seen), tuple(cells))
                for tenant, link, bucket, expected, seen, cells in rows
            )
        return found

    def rebuild(self, scope: Scope, differences: Sequence[Difference]) -> int:
        """Rebuild the differing cells (found in ``scope``) from ``clicks``; return how many."""
        by_table: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for difference in differences:
            by_table[difference.table].extend(
                (difference.tenant_id, difference.link_id, cell) for cell in difference.cells
            )
        for rollup in self.rollups():
            cells = by_table.get(rollup.table, [])
            for start in range(0, len(cells), _CHUNK):
                self._rebuild(rollup, scope, cells[start : start + _CHUNK])
        return sum(len(cells) for cells in by_table.values())

    def repair(self, scope: Scope) -> list[Difference]:
        """Rebuild whatever differs in ``scope``; return what did."""
        found = self.differences(scope)
        if found:
            self.rebuild(scope, found)
        return found

    def _rebuild(self, rollup: Rollup, scope: Scope, cells: list[tuple[str, str, str]]) -> None:
        chosen = (
            f"(tenant_id, link_id, toString({rollup.cells.column}))"
            " IN {rebuild_cells:Array(Tuple(String, String, String))}"
        )
        links = "(tenant_id, link_id) IN {rebuild_links:Array(Tuple(String, String))}"
        params = {
            **scope.params,
            "rebuild_cells": cells,
            "rebuild_links": sorted({(tenant, link) for tenant, link, _ in cells}),
        }
        # Lightweight DELETE, synchronous (lightweight_deletes_sync = 2, set per client).
        self.client.command(f"DELETE FROM {rollup.table} WHERE {chosen}", parameters=params)
        names = ", ".join(rollup.columns)
        source = rollup.query(f"{links} AND {scope.clicks(rollup)}")
        self.client.command(
            f"INSERT INTO {rollup.table} ({names}) SELECT {names} FROM ({source}) WHERE {chosen}",
            parameters=params,
            # A replicated table drops a block equal to one inserted before (a cell rebuilt
            # twice the same); these rows must land whatever was inserted earlier.
            settings={"insert_deduplicate": 0},
        )


def _compare(rollup: Rollup, scope: Scope) -> str:
    """Per bucket of ``rollup`` in ``scope`` that disagrees with ``clicks``: tenant, link,
    bucket, the clicks counted from ``clicks`` and from the rollup, and the differing cells.

    A cell is the same on both sides when the hash of its rows is: each row hashed with the
    target's types (the view's output is cast to them), the hashes of a cell xor-ed (its
    rows are unique by key, so none cancel)."""
    column = rollup.cells.column
    cells = scope.cells(rollup)
    expected_row = ", ".join(f"CAST({name} AS {kind})" for name, kind in rollup.columns.items())
    found_row = ", ".join(rollup.columns)
    bucket = f"toString({column})" if rollup.cells.span else f"'{LIFETIME}'"
    per_cell = "tenant_id, link_id, {column}, {measure} AS measure, groupBitXor(cityHash64({row})) AS digest"
    expected = per_cell.format(column=column, measure=rollup.cells.measure, row=expected_row)
    found = per_cell.format(column=column, measure=rollup.cells.measure, row=found_row)
    return f"""
SELECT tenant_id, link_id, bucket, sum(expected_measure), sum(found_measure),
    groupArrayIf(cell, expected_digest != found_digest)
FROM
(
    SELECT tenant_id, link_id, {bucket} AS bucket, toString({column}) AS cell,
        expected.measure AS expected_measure, found.measure AS found_measure,
        expected.digest AS expected_digest, found.digest AS found_digest
    FROM
    (
        SELECT {expected}
        FROM ({rollup.query(scope.clicks(rollup))})
        WHERE {cells}
        GROUP BY tenant_id, link_id, {column}
    ) AS expected
    FULL OUTER JOIN
    (
        SELECT {found}
        FROM (SELECT {found_row} FROM {rollup.table} FINAL WHERE {cells})
        GROUP BY tenant_id, link_id, {column}
    ) AS found
    USING (tenant_id, link_id, {column})
)
GROUP BY tenant_id, link_id, bucket
HAVING countIf(expected_digest != found_digest) > 0
ORDER BY tenant_id, link_id, bucket
"""


def load_rollups(client: Client) -> list[Rollup]:
    """The materialized views on ``clicks`` of the client's database, with their targets."""
    database = str(client.command("SELECT currentDatabase()"))
    views = client.query(
        "SELECT name, as_select, create_table_query FROM system.tables"
        " WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name"
    ).result_rows
    types: dict[str, dict[str, str]] = defaultdict(dict)
    for table, name, kind in client.query(
        "SELECT table, name, type FROM system.columns WHERE database = currentDatabase() ORDER BY position"
    ).result_rows:
        types[table][name] = kind
    source = re.compile(rf"\bFROM\s+(`?){re.escape(database)}\1\.(`?){SOURCE}\2(?![\w`])")
    rollups = []
    for view, query, create in views:
        parts = source.split(query)
        if len(parts) == 1:
            continue  # not a view on clicks
        if len(parts) != 4:  # one match: before it, its two quote groups, after it
            raise ReconcileError(f"view {view} reads {SOURCE} more than once; its cells cannot be rebuilt")
        target = _target(create, view)
        if target not in CELLS:
            raise ReconcileError(
                f"view {view} fills {target}, which consumer/reconcile.py does not know how to"
                " cut into cells: add it to CELLS"
            )
        columns = {name: types[target][name] for name in types[view]}
        rollups.append(Rollup(target, view, CELLS[target], columns, f"{parts[0]}FROM ", parts[3]))
    missing = set(CELLS) - {rollup.table for rollup in rollups}
    if missing:
        raise ReconcileError(f"no materialized view fills {', '.join(sorted(missing))}: migrate first")
    return rollups


def _target(create: str, view: str) -> str:
    match = re.search(r"\bTO\s+(?:`?\w+`?\.)?`?(\w+)`?", create)
    if match is None:
        raise ReconcileError(f"view {view} has no TO table; only views into their own tables are supported")
    return match[1]

"""The consumer's last step: enriched clicks into ClickHouse, exactly once in effect.

Kafka delivers at least once, so a batch may arrive again (after a crash before the
offset commit, or a replay). ``ClickSink.insert`` makes that harmless: before inserting
it drops

- events it inserted recently (a bounded in-memory set), and events already in
  ``clicks`` (one query per batch over the batch's links and time range);
- events of deleted links (``deleted_links`` is forever, so a replay of the event log
  cannot bring a deleted link's analytics back).

An insert cut off (a consumer killed mid-insert) may have stored a batch's clicks without
every rollup's rows. So when a batch holds events already in ``clicks``, the rollup cells
of those events are compared with ``clicks`` and rebuilt where they differ
(consumer/reconcile.py), before the batch's new clicks are classified.

It also decides each click's ``kind`` (``unique``: the visitor's first click on the link,
``repeat``, ``bot``) and when the visitor last clicked the link (``visitor_prev_ts``, and
``visitor_prev_country_ts`` for the same country), which the analytics use to count
distinct visitors exactly. That needs the visitor's history, read from ``link_visitors``
in one query per batch, plus the earlier rows of the batch itself. It is exact as long as
one consumer writes a given link at a time, which holds because Kafka partitions click
events by link id, and clicks of one visitor arrive in time order (each batch is sorted;
a click older than the visitor's newest stored click, e.g. from a redirector's edge log
shipped late, is stored as a ``repeat`` that never starts a visit, so it can be missed
in a range that holds only that click).

The methods are synchronous; the consumer calls them from a worker thread.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from consumer.enrich.row import ClickRow
from consumer.reconcile import ClicksCells, Reconciler
from schemas.clickhouse import CLICK_COLUMNS, CLICK_DATA_TABLES, DEAD_LETTER_COLUMNS, LINK_COLUMNS
from smartlinks.clickhouse import Client
from smartlinks.models import Link

LinkKey = tuple[str, str]  # (tenant_id, link_id)
VisitorKey = tuple[str, str, str]  # (link_id, visitor_id, country)
DeadLetter = tuple[str, str, bytes | str]  # (reason, detail, payload)

log = logging.getLogger(__name__)

_STAGED_COLUMNS = ("event_id", "tenant_id", "link_id", "ts", "visitor_id", "country", "is_bot")
# The staged events already in ``clicks``, found through its key (tenant, link, ts).
_STAGED_STORED = (
    "(tenant_id, link_id) IN (SELECT tenant_id, link_id FROM sink_batch)"
    " AND ts >= (SELECT min(ts) FROM sink_batch) AND ts <= (SELECT max(ts) FROM sink_batch)"
    " AND event_id IN (SELECT event_id FROM sink_batch)"
)
_TOMBSTONE_COLUMNS = ("tenant_id", "link_id", "deleted_at")

# What the sink writes and reads, table by table: the schema test checks these against
# the live tables.
WRITES: dict[str, tuple[str, ...]] = {
    "clicks": CLICK_COLUMNS,
    "links": LINK_COLUMNS,
    "dead_letters": DEAD_LETTER_COLUMNS,
    "deleted_links": _TOMBSTONE_COLUMNS,
}
READS: dict[str, set[str]] = {
    "clicks": {"tenant_id", "link_id", "ts", "event_id"},
    "link_visitors": {"tenant_id", "link_id", "visitor_id", "country", "last_ts"},
    "deleted_links": {"tenant_id", "link_id"},
    "links": set(LINK_COLUMNS),
}

# DateTime64(3) holds years 1900-2299; a timestamp outside 2000-2200 is a broken event.
_MIN_TS = 946_684_800_000
_MAX_TS = 7_258_118_400_000
_MAX_PAYLOAD = 65_536  # characters of a dead letter's payload kept


@dataclass(frozen=True, slots=True)
class StoredClick:
    """A click ClickHouse holds, with the kind it was stored as: unique, repeat or bot."""

    row: ClickRow
    kind: str


@dataclass(slots=True)
class Inserted:
    """What an insert did: how many rows were new, and every click of the batch that
    ClickHouse now holds, with its kind. That is the new ones and, when a batch comes again
    (a crash between the insert and the acknowledgement), the ones stored the first time,
    so the steps after the insert (click triggers) get their second chance too."""

    count: int = 0
    clicks: list[StoredClick] = field(default_factory=list)


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


class ClickSink:
    """Writes clicks, dead letters, link mirrors and deletions. Give it a client of its
    own: the batch's keys sit in a session-scoped temporary table between queries."""

    def __init__(self, client: Client, recent_ids: int = 200_000) -> None:
        self.client = client
        self.recent = RecentIds(recent_ids)
        self.reconciler = Reconciler(client)

    # -- clicks ---------------------------------------------------------------------

    def insert(self, rows: Sequence[ClickRow]) -> int:
        """Insert a batch into ``clicks``; return how many rows were new and kept."""
        return self.insert_batch(rows).count

    def insert_batch(self, rows: Sequence[ClickRow]) -> Inserted:
        """Insert a batch into ``clicks``; say what it stored (see ``Inserted``)."""
        candidates, invalid = self._candidates(rows)
        if invalid:
            self.dead_letter(invalid)
        if not candidates:
            return Inserted()
        # The batch's keys go to the server once, by the fast columnar insert path, and
        # the three checks below join against them: a large IN list in the SQL text costs
        # far more (tens of ms per 10,000 ids for chDB to parse).
        self._stage(candidates)
        deleted = self._staged_tombstones()
        stored = self._staged_stored_ids()
        live = [row for row in candidates if (row.tenant_id, row.link_id) not in deleted]
        known = [StoredClick(row, stored[row.event_id]) for row in live if row.event_id in stored]
        fresh = [row for row in live if row.event_id not in stored]
        if known:
            # Before the new clicks are classified: that reads link_visitors, a rollup.
            self._reconcile_staged()
        if not fresh:
            return Inserted(0, known)
        # Time order makes the unique/repeat decision exact inside a batch too.
        fresh.sort(key=lambda row: row.ts)
        marks = classify(fresh, self._staged_history())
        self.client.insert("clicks", self._columns(fresh, marks), CLICK_COLUMNS, column_oriented=True)
        self.recent.add_all(row.event_id for row in fresh)
        # A link deleted while this batch was on its way passed the check above before
        # its tombstone was written: remove what was just inserted.
        purged = self._staged_tombstones() - deleted
        for key in purged:
            self._purge(*key)
        kept = [
            StoredClick(row, kind)
            for row, kind in zip(fresh, marks[0], strict=True)
            if (row.tenant_id, row.link_id) not in purged
        ]
        return Inserted(len(kept), known + kept)

    def _candidates(self, rows: Sequence[ClickRow]) -> tuple[list[ClickRow], list[DeadLetter]]:
        """Valid rows not inserted recently by this sink, each event once."""
        seen: set[str] = set()
        candidates: list[ClickRow] = []
        invalid: list[DeadLetter] = []
        for row in rows:
            problem = _problem(row)
            if problem:
                invalid.append(("invalid_row", problem, _row_payload(row)))
                continue
            # Stored UUIDs read back lowercase; compare like with like.
            row.event_id = row.event_id.lower()
            if row.event_id in seen or row.event_id in self.recent:
                continue
            seen.add(row.event_id)
            candidates.append(row)
        return candidates, invalid

    def _stage(self, rows: list[ClickRow]) -> None:
        self.client.command(
            "CREATE TEMPORARY TABLE IF NOT EXISTS sink_batch (event_id UUID, tenant_id String,"
            " link_id String, ts DateTime64(3, 'UTC'), visitor_id String, country FixedString(2),"
            " is_bot Bool) ENGINE = Memory"
        )
        self.client.command("TRUNCATE TABLE sink_batch")
        columns: list[list[Any]] = [
            [row.event_id for row in rows],
            [row.tenant_id for row in rows],
            [row.link_id for row in rows],
            [row.ts for row in rows],
            [row.visitor_id for row in rows],
            [_country(row) for row in rows],
            [row.is_bot for row in rows],
        ]
        self.client.insert("sink_batch", columns, _STAGED_COLUMNS, column_oriented=True)

    def _staged_tombstones(self) -> set[LinkKey]:
        result = self.client.query(
            "SELECT DISTINCT tenant_id, link_id FROM deleted_links"
            " WHERE (tenant_id, link_id) IN (SELECT tenant_id, link_id FROM sink_batch)"
        )
        return {(tenant, link) for tenant, link in result.result_rows}

    def _staged_stored_ids(self) -> dict[str, str]:
        """Staged events already in ``clicks`` and their kinds."""
        result = self.client.query(f"SELECT event_id, toString(kind) FROM clicks WHERE {_STAGED_STORED}")
        return {value.hex: kind for value, kind in result.result_rows}

    def _reconcile_staged(self) -> None:
        """Make the rollups agree with ``clicks`` in the cells of the staged events that
        ``clicks`` already holds: the insert that stored them may have been cut off before
        every view got its rows (see consumer/reconcile.py)."""
        scope = ClicksCells(
            f"{_STAGED_STORED} AND (tenant_id, link_id) NOT IN (SELECT tenant_id, link_id FROM deleted_links)"
        )
        repaired = self.reconciler.repair(scope)
        if repaired:
            cells = sum(len(difference.cells) for difference in repaired)
            links = len({(difference.tenant_id, difference.link_id) for difference in repaired})
            log.warning(
                "rebuilt %d rollup cells of %d links from clicks after a redelivered batch", cells, links
            )

    def _staged_history(self) -> dict[VisitorKey, int]:
        """When each staged human visitor last clicked its link, per country (Unix ms)."""
        result = self.client.query(
            "SELECT link_id, visitor_id, toString(country), toUnixTimestamp64Milli(max(last_ts))"
            " FROM link_visitors"
            " WHERE (tenant_id, link_id, visitor_id) IN"
            " (SELECT tenant_id, link_id, visitor_id FROM sink_batch WHERE NOT is_bot)"
            " GROUP BY link_id, visitor_id, country"
        )
        return {(link, visitor, country): last for link, visitor, country, last in result.result_rows}

    @staticmethod
    def _columns(rows: list[ClickRow], marks: tuple[list[str], list[int], list[int]]) -> list[list[Any]]:
        kinds, prev, prev_country = marks
        computed: dict[str, list[Any]] = {
            "kind": kinds,
            "visitor_prev_ts": prev,
            "visitor_prev_country_ts": prev_country,
            # FixedString(2): anything but a two-letter code is "unknown".
            "country": [_country(row) for row in rows],
        }
        return [
            computed[name] if name in computed else [getattr(row, name) for row in rows]
            for name in CLICK_COLUMNS
        ]

    # -- deletion -------------------------------------------------------------------

    def delete_link(self, tenant_id: str, link_id: str) -> None:
        """Remove every click and figure of a link, for good.

        The tombstone goes first: from then on inserts refuse the link's clicks, and a
        batch that slipped past the check purges itself after inserting.
        """
        now = datetime.now(UTC)
        self.client.insert("deleted_links", [[tenant_id, link_id, now]], column_names=_TOMBSTONE_COLUMNS)
        self._purge(tenant_id, link_id)
        # Its clicks are gone, so no conversion may still name one: they keep the campaign
        # and contact they were sent with. A mutation, waited for; deletions are rare.
        self.client.command(
            "ALTER TABLE conversions UPDATE link_id = '', click_id = '',"
            " click_ts = toDateTime64(0, 3, 'UTC'), attribution = 'sent'"
            " WHERE tenant_id = {tenant:String} AND link_id = {link:String}",
            parameters={"tenant": tenant_id, "link": link_id},
            settings={"mutations_sync": 2},
        )
        # A newer version of the mirror row, marked deleted (ReplacingMergeTree keeps it).
        self.client.command(
            "INSERT INTO links SELECT tenant_id, link_id, code, destination_url, title, campaign,"
            " contact_id, expires_at, created_at,"
            " greatest(now64(3, 'UTC'), updated_at + toIntervalMillisecond(1)), 1"
            " FROM links FINAL WHERE tenant_id = {tenant:String} AND link_id = {link:String} AND NOT deleted",
            parameters={"tenant": tenant_id, "link": link_id},
        )

    def _purge(self, tenant_id: str, link_id: str) -> None:
        for table in CLICK_DATA_TABLES:
            # Lightweight DELETE: rows vanish from queries at once, parts are rewritten
            # by later merges. Synchronous (lightweight_deletes_sync = 2, set per client).
            self.client.command(
                f"DELETE FROM {table} WHERE tenant_id = {{tenant:String}} AND link_id = {{link:String}}",
                parameters={"tenant": tenant_id, "link": link_id},
            )

    # -- link mirror and dead letters -----------------------------------------------

    def upsert_link_mirror(self, links: Sequence[Link], deleted: bool = False) -> int:
        """Mirror link metadata for analysts; the newest ``updated_at`` of a link wins."""
        if not links:
            return 0
        values: dict[str, list[Any]] = {
            "tenant_id": [link.tenant_id for link in links],
            "link_id": [link.id for link in links],
            "code": [link.code for link in links],
            "destination_url": [link.destination_url for link in links],
            "title": [link.title or "" for link in links],
            "campaign": [link.campaign or "" for link in links],
            "contact_id": [link.contact_id or "" for link in links],
            "expires_at": [link.expires_at for link in links],
            "created_at": [link.created_at for link in links],
            "updated_at": [link.updated_at for link in links],
            "deleted": [int(deleted)] * len(links),
        }
        self.client.insert(
            "links", [values[name] for name in LINK_COLUMNS], LINK_COLUMNS, column_oriented=True
        )
        return len(links)

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Store events that could not be processed, with the reason, in one insert."""
        if not letters:
            return
        now = datetime.now(UTC)
        rows = [[now, reason, detail, _scrub(payload)] for reason, detail, payload in letters]
        self.client.insert("dead_letters", rows, column_names=DEAD_LETTER_COLUMNS)


def classify(rows: list[ClickRow], last: dict[VisitorKey, int]) -> tuple[list[str], list[int], list[int]]:
    """Each row's kind and its visitor's previous click on the link, overall and in the
    row's country (ms; 0 when there is none). ``rows`` are in time order; ``last`` is the
    stored history and is updated in place with the batch.

    A visitor's first click inside any range [s, e) is then the only one of its clicks
    there whose previous click is before s, which is what makes unique counts exact sums.
    """
    newest: dict[tuple[str, str], int] = {}
    for (link, visitor, _), ts in last.items():
        if ts > newest.get((link, visitor), -1):
            newest[(link, visitor)] = ts
    kinds: list[str] = []
    prev: list[int] = []
    prev_country: list[int] = []
    for row in rows:
        if row.is_bot:
            kinds.append("bot")
            prev.append(0)
            prev_country.append(0)
            continue
        key = (row.link_id, row.visitor_id)
        ckey = (row.link_id, row.visitor_id, _country(row))
        seen = newest.get(key)
        kinds.append("unique" if seen is None else "repeat")
        prev.append(_previous(seen, row.ts))
        prev_country.append(_previous(last.get(ckey), row.ts))
        newest[key] = row.ts if seen is None else max(seen, row.ts)
        last[ckey] = max(last.get(ckey, row.ts), row.ts)
    return kinds, prev, prev_country


def _previous(seen: int | None, ts: int) -> int:
    if seen is None:
        return 0
    # A late click (older than the newest one stored) gets its own time: never the
    # start of a visit, rather than the start of a second one.
    return seen if seen <= ts else ts


def _country(row: ClickRow) -> str:
    # FixedString(2): anything but a two-letter code is "unknown".
    return row.country if len(row.country) == 2 and row.country.isascii() else ""


def _problem(row: ClickRow) -> str:
    """Why a row cannot be stored as it is ('' when it can); checked cheaply per row."""
    if not isinstance(row.ts, int) or not _MIN_TS <= row.ts <= _MAX_TS:
        return f"timestamp out of range: {row.ts!r}"
    if len(row.event_id) != 32:
        return f"event_id is not 32 hex characters: {row.event_id!r}"
    try:
        uuid.UUID(hex=row.event_id)
    except ValueError:
        return f"event_id is not 32 hex characters: {row.event_id!r}"
    if not row.tenant_id or not row.link_id:
        return "tenant_id and link_id are required"
    return ""


def _row_payload(row: ClickRow) -> bytes:
    return orjson.dumps(row)


def _scrub(payload: bytes | str) -> str:
    """The payload as text, with a click event's client IP blanked (raw IPs are never
    stored), cut to 64 KiB: a dead letter is for diagnosis, not a second copy of a flood."""
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    text = text[:_MAX_PAYLOAD]
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    if isinstance(data, dict) and "ip" in data:
        data["ip"] = ""
        return orjson.dumps(data).decode()
    return text

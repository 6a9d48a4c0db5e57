"""Decoding and enrichment of click batches in a process of their own.

In ``smartlinks up`` one process serves redirects, the API and the consumer; per click the
consumer's Python work (decode ~5 µs, enrichment ~30 µs) costs about what the redirect
itself does, and it holds the GIL meanwhile. On a machine with more than one usable CPU it
runs here instead, in a child process, so the process that serves redirects keeps its core
for them. The consumer's other steps stay in that process: chDB allows one process per
data directory, and the API reads analytics from it.

Per batch, the parent sends the raw messages and the ids to leave out (one pickle of a
list of bytes: a copy); the child decodes and enriches them with the very code the
in-process path runs (consumer/loop.py) and sends back the rows, each as a plain tuple of
``ClickRow``'s fields. A tuple pickles and unpickles several times faster than a dataclass
(which pickle rebuilds attribute by attribute through ``__reduce_ex__``), and the parent
rebuilds the row with one ``ClickRow(*values)``; the strings the child's caches share
(tenant, country, browser, ...) pickle once a batch through pickle's memo.

The child is started with ``spawn``: forking a process that runs chDB's and the event
loop's threads could copy a lock held by one of them. It holds its own caches and its own
copy of the tenants' bot rules, which the parent sends again, whole, with the first batch
after they change (they change when a tenant's settings do: rarely, and few per tenant).

Failures: the parent waits at most ``REPLY_TIMEOUT`` for a batch; a child that died or
hangs is killed, a new one started, and the batch sent again (nothing was acknowledged:
the source still holds it, and the insert's de-duplication absorbs any repeat). A batch
that kills a fresh child too is enriched in the parent, where a failing event becomes a
dead letter as always: no event can stop the consumer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import operator
import os
import pickle
import signal
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from consumer.decode import ClickDecoder
from consumer.enrich.geo import GeoLocator
from consumer.enrich.pipeline import Enricher
from consumer.enrich.row import ClickRow
from consumer.loop import Enriched, decode_batch, enrich_batch
from schemas.events import LinkChange
from smartlinks.bots.tenant_bots import TenantBots
from smartlinks.models import Tenant
from smartlinks.store.link_store import LinkStore

log = logging.getLogger(__name__)

# A batch of 10,000 events takes the child well under a second; a child silent this long
# is taken for hung.
REPLY_TIMEOUT = 60.0
STOP_TIMEOUT = 5.0
_ROW_FIELDS = tuple(f.name for f in fields(ClickRow))
_row_values = operator.attrgetter(*_ROW_FIELDS)


def workers_for(setting: str) -> int:
    """Worker processes for ``SMARTLINKS_ENRICH_WORKERS``: ``auto`` is one when this process
    may run on more than one CPU (its affinity, not the machine's count: a process pinned
    to one core gains nothing from a second process but the hand-over's cost)."""
    if setting == "auto":
        return 1 if len(os.sched_getaffinity(0)) > 1 else 0
    return int(setting)


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """What the child needs to build its Enricher; picklable."""

    geoip_db: str | None
    visitor_key: bytes


class TenantRulesFeed:
    """The tenants' bot rules as the parent knows them, for the child: every change bumps
    ``version``, and the child is sent ``tenants`` whole when its copy is older.

    The link-change subscriber and the reload of ``TenantBots``, which it also keeps
    current, for the batches the parent enriches itself (a child that failed twice)."""

    def __init__(self, store: LinkStore, local: TenantBots) -> None:
        self.store = store
        self.local = local
        self.tenants: dict[str, Tenant] = {}
        self.version = 0
        self._lock = threading.Lock()  # read from the consumer's worker thread
        self._reloading: asyncio.Task[None] | None = None

    async def reload(self) -> None:
        summaries = await self.store.list_tenants()
        tenants = {summary.tenant.id: summary.tenant for summary in summaries}
        for tenant in tenants.values():
            self.local.set(tenant)
        with self._lock:
            self.tenants = tenants
            self.version += 1

    def reload_soon(self) -> None:
        """``reload`` in the background: when the change listener (re)connects, since
        changes may have been missed (as ``TenantBots.reload_soon``)."""
        self._reloading = asyncio.get_running_loop().create_task(self.reload())

    async def apply(self, changes: Sequence[LinkChange]) -> None:
        for tenant_id in dict.fromkeys(c.tenant_id for c in changes if c.kind == "tenant_updated"):
            tenant = await self.store.get_tenant(tenant_id)
            if tenant is not None:
                self.local.set(tenant)
                with self._lock:
                    self.tenants = {**self.tenants, tenant.id: tenant}
                    self.version += 1

    def snapshot(self) -> tuple[int, list[Tenant]]:
        with self._lock:
            return self.version, list(self.tenants.values())


class EnrichWorker:
    """The parent's side: one child process, started on first use and again after a crash.

    ``process`` is synchronous (the consumer calls it from a thread, where waiting for the
    child releases the GIL) and is called by one thread at a time. ``fallback`` enriches a
    batch in this process when two children in a row failed on it."""

    def __init__(
        self,
        setup: WorkerSetup,
        fallback: Enricher,
        decoder: ClickDecoder,
        rules: TenantRulesFeed | None = None,
    ) -> None:
        self.setup = setup
        self.fallback = fallback
        self.decoder = decoder  # counts the child's refusals, for the metrics
        self.rules = rules
        self.restarts = 0
        self._context = multiprocessing.get_context("spawn")
        self._child: BaseProcess | None = None
        self._conn: Connection | None = None
        self._rules_version = -1  # what the child holds
        self._restart = True

    def start(self) -> None:
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=serve, args=(child, self.setup), name="smartlinks-enrich", daemon=True
        )
        process.start()
        child.close()
        self._child, self._conn, self._rules_version = process, parent, -1

    @property
    def pid(self) -> int | None:
        """The child's process id; None before it starts and after it stops."""
        return self._child.pid if self._child is not None else None

    def stop(self) -> int | None:
        """Ask the child to finish, and wait for it; kill it if it does not. Returns its
        exit code (None if none ran)."""
        child, conn = self._child, self._conn
        self._child = self._conn = None
        if child is None or conn is None:
            return None
        with contextlib.suppress(OSError):  # it died already
            conn.send_bytes(pickle.dumps(None))
        child.join(STOP_TIMEOUT)
        if child.is_alive():
            child.kill()
            child.join()
        conn.close()
        return child.exitcode

    def closing(self) -> None:
        """From now on a child that dies is not replaced: the batches left (the consumer's
        drain) are enriched here. A SIGTERM to the process group (a service manager, the
        bench) ends the child as well as the parent; spawning another (a second or so of
        imports) only to drain would delay the stop."""
        self._restart = False

    def process(self, messages: Sequence[bytes], skip: set[str]) -> Enriched:
        for _ in range(2 if self._restart else 1):
            if self._child is None:
                if not self._restart:
                    break
                self.start()
            try:
                return self._round_trip(messages, skip)
            except (OSError, EOFError, TimeoutError) as exc:
                log.warning("enrich worker %s failed (%r)", self.pid, exc)
                self._kill()
                self.restarts += 1
        # Two children in a row died on this batch (a crash in a C extension?), or no
        # child is to be started: here a failing event becomes a dead letter, as without
        # workers.
        log.warning("enriching a batch of %d in the consumer's own process", len(messages))
        decoded, letters = decode_batch(self.decoder, messages)
        rows, failed = enrich_batch(self.fallback, decoded, skip)
        return Enriched(rows, letters + failed, len(decoded) - len(rows) - len(failed))

    def _round_trip(self, messages: Sequence[bytes], skip: set[str]) -> Enriched:
        assert self._conn is not None
        tenants: list[Tenant] | None = None
        version = self._rules_version
        if self.rules is not None:
            version, current = self.rules.snapshot()
            if version != self._rules_version:
                tenants = current
        self._conn.send_bytes(pickle.dumps((list(messages), skip, tenants), pickle.HIGHEST_PROTOCOL))
        if not self._conn.poll(REPLY_TIMEOUT):
            raise TimeoutError(f"no reply in {REPLY_TIMEOUT:.0f}s")
        values, letters, skipped, counts = pickle.loads(self._conn.recv_bytes())  # noqa: S301 (our own child)
        self._rules_version = version
        self._add_counts(counts)
        return Enriched([ClickRow(*row) for row in values], letters, skipped)

    def _add_counts(self, counts: dict[str, Any]) -> None:
        """The child's counters since its last reply, added to the parent's, which the
        metrics read (decoder refusals, enrichment steps, bot verdicts)."""
        self.decoder.refused.update(counts["refused"])
        stats = self.fallback.stats
        stats.events += counts["events"]
        for index, (timed, ns) in enumerate(counts["timed"]):
            stats.timed[index] += timed
            stats.timed_ns[index] += ns
        reasons = self.fallback.bots.reasons
        for reason, n in counts["reasons"].items():
            reasons[reason] = reasons.get(reason, 0) + n

    def _kill(self) -> None:
        child, conn = self._child, self._conn
        self._child = self._conn = None
        if child is not None and child.is_alive():
            child.kill()
        if child is not None:
            child.join()
        if conn is not None:
            conn.close()


# -- the child ---------------------------------------------------------------------------


def serve(conn: Connection, setup: WorkerSetup) -> None:
    """The child's loop: a batch in, its rows and dead letters out, until told to stop or
    the parent goes away."""
    # Ctrl-C reaches the whole process group: the parent stops this one once it has drained.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    geo = GeoLocator(setup.geoip_db)
    tenant_bots = TenantBots()
    enricher = Enricher(geo, setup.visitor_key, tenant_bots=tenant_bots)
    decoder = ClickDecoder()
    try:
        while True:
            try:
                request = pickle.loads(conn.recv_bytes())  # noqa: S301 (our own parent)
            except EOFError:
                return  # the parent is gone
            if request is None:
                return
            messages, skip, tenants = request
            if tenants is not None:
                fresh = TenantBots()
                for tenant in tenants:
                    fresh.set(tenant)
                enricher.bots.tenants = fresh
            decoded, letters = decode_batch(decoder, messages)
            rows, failed = enrich_batch(enricher, decoded, skip)
            reply = (
                [_row_values(row) for row in rows],
                letters + failed,
                len(decoded) - len(rows) - len(failed),
                _take_counts(decoder, enricher),
            )
            conn.send_bytes(pickle.dumps(reply, pickle.HIGHEST_PROTOCOL))
    finally:
        geo.close()
        conn.close()


def _take_counts(decoder: ClickDecoder, enricher: Enricher) -> dict[str, Any]:
    stats, reasons = enricher.stats, enricher.bots.reasons
    counts = {
        "refused": Counter(decoder.refused),
        "events": stats.events,
        "timed": list(zip(stats.timed, stats.timed_ns, strict=True)),
        "reasons": {reason: n for reason, n in reasons.items() if n},
    }
    decoder.refused.clear()
    # Counted afresh from here: the sampling of step times keys on ``events``, which only
    # shifts which event of sixteen is timed.
    stats.events = 0
    stats.timed = [0] * len(stats.timed)
    stats.timed_ns = [0] * len(stats.timed_ns)
    for reason in reasons:
        reasons[reason] = 0
    return counts

"""The consumer's pipeline: take a batch → validate → enrich → store → acknowledge, in
that order. Validation happens once, as each message is decoded (consumer/decode.py); the
enrichment steps run per event (consumer/enrich/pipeline.py), and the batch steps up to the
insert per batch (consumer/ingest.py); the loop around them (take, acknowledge, count,
drain) is the one the funnel consumer runs too (consumer/batch_loop.py). Given a
``worker`` (consumer/enrich_worker.py), decoding and enrichment run in a process of their
own, with the same functions (``decode_batch``, ``enrich_batch``), and the rest here.

Offsets (or, in embedded mode, the edge log's position) are committed only after
ClickHouse has the rows, so a crash anywhere re-delivers the batch; the de-duplication
by event id (consumer/dedup.py) makes that harmless. While a redelivery is likely (at
start, and after a batch that held stored events) the decoded batch is first checked
against ClickHouse, so what it holds already is not enriched a second time: a redelivered
batch costs decoding and one lookup. An event that cannot be decoded or
enriched goes to the dead-letter table with its reason and never stops the loop. When
ClickHouse is down the same batch is retried with backoff: nothing is dropped, and the
edge log (or Kafka) holds the rest.

Between the insert and the acknowledgement, the clicks just stored go to the triggers
(webhook deliveries are enqueued there), retried the same way if the link store is down;
the insert is never undone for them. What a trigger then does (an HTTP call) runs apart,
so a slow endpoint never holds up ingestion.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from consumer.batch_loop import BatchLoop, Source
from consumer.dead_letters import DeadLetter
from consumer.decode import ClickDecoder
from consumer.enrich.row import ClickRow, StoredClick
from consumer.ingest import Inserted, Known
from schemas.events import ClickEvent, InvalidEvent

log = logging.getLogger(__name__)


class Enricher(Protocol):
    def enrich(self, event: ClickEvent) -> ClickRow: ...


class Sink(Protocol):
    """Where batches go: consumer/ingest.py's ``ClickIngest`` (the batch steps, then the insert)."""

    seconds: dict[str, float]  # per batch step, summed

    def known(self, events: Sequence[ClickEvent], read_back: Callable[[str], bool] | None) -> Known: ...

    def insert_batch(self, rows: Sequence[ClickRow]) -> Inserted: ...

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None: ...


class Triggers(Protocol):
    async def fire(self, clicks: Sequence[StoredClick]) -> None:
        """Act on clicks now in ClickHouse; raise to have the same clicks offered again."""

    def wants_clicks_of(self, tenant_id: str) -> bool:
        """Whether ``fire`` may act on this tenant's clicks: a redelivered batch's stored
        clicks are read back from ClickHouse only for such tenants."""


class DeadLetterTopic(Protocol):
    async def forward(self, letters: Sequence[DeadLetter]) -> None: ...


def decode_batch(
    decoder: ClickDecoder, messages: Sequence[bytes]
) -> tuple[list[tuple[ClickEvent, bytes]], list[DeadLetter]]:
    """Decode a batch; what is no valid event becomes a dead letter. Here rather than a
    method so the worker process (consumer/enrich_worker.py) runs the very same code."""
    decoded: list[tuple[ClickEvent, bytes]] = []
    letters: list[DeadLetter] = []
    decode = decoder.decode
    for message in messages:
        try:
            decoded.append((decode(message), message))
        except InvalidEvent as exc:
            letters.append((exc.reason, exc.detail, message))
        except Exception as exc:  # a bug must not stop the consumer
            letters.append(("enrich_failed", f"{type(exc).__name__}: {exc}"[:1000], message))
    return decoded, letters


def enrich_batch(
    enricher: Enricher, decoded: Sequence[tuple[ClickEvent, bytes]], skip: set[str] | None = None
) -> tuple[list[ClickRow], list[DeadLetter]]:
    """Enrich decoded events, leaving out the ids in ``skip`` (lowercase); an event whose
    enrichment fails becomes a dead letter."""
    rows: list[ClickRow] = []
    letters: list[DeadLetter] = []
    enrich = enricher.enrich
    if skip:
        decoded = [pair for pair in decoded if pair[0].event_id.lower() not in skip]
    for event, message in decoded:
        try:
            rows.append(enrich(event))
        except Exception as exc:  # a bug in a step must not stop the consumer
            letters.append(("enrich_failed", f"{type(exc).__name__}: {exc}"[:1000], message))
    return rows, letters


class Enriched(NamedTuple):
    """A batch decoded and enriched: its rows, its dead letters (undecodable or failed
    events), and how many events ``skip`` left out."""

    rows: list[ClickRow]
    letters: list[DeadLetter]
    skipped: int


class BatchEnricher(Protocol):
    """Decodes and enriches whole batches elsewhere (consumer/enrich_worker.py: in a
    process of its own, so that work leaves this process's core to the redirects)."""

    def process(self, messages: Sequence[bytes], skip: set[str]) -> Enriched: ...


@dataclass(slots=True)
class ConsumerStats:
    batches: int = 0
    events: int = 0
    inserted: int = 0
    duplicates: int = 0  # redelivered events ClickHouse already had (or of deleted links)
    dead_letters: Counter[str] = field(default_factory=Counter)
    insert_failures: int = 0
    trigger_failures: int = 0
    worker_failures: int = 0  # batches the enrichment worker could not answer (retried)
    last_batch_seconds: float = 0.0
    lag_ms: int = 0  # age of the newest event of the last batch when it was stored


class StoredBatch(NamedTuple):
    rows: list[ClickRow]
    letters: list[DeadLetter]
    inserted: Inserted
    started: float  # perf_counter when the batch was taken
    skipped: int = 0  # events left out before enrichment: stored already or of deleted links


class ClickConsumer(BatchLoop[ConsumerStats, StoredBatch]):
    def __init__(
        self,
        source: Source,
        enricher: Enricher,
        sink: Sink,
        batch_size: int = 10_000,
        max_wait: float = 0.5,
        dead_letter_topic: DeadLetterTopic | None = None,
        triggers: Triggers | None = None,
        decoder: ClickDecoder | None = None,
        worker: BatchEnricher | None = None,
    ) -> None:
        super().__init__(source, ConsumerStats(), batch_size, max_wait)
        self.decoder = decoder or ClickDecoder()
        self.triggers = triggers
        self.dead_letter_topic = dead_letter_topic
        self.enricher = enricher
        self.sink = sink
        # Set: batches are decoded and enriched there, not on this process's threads.
        self.worker = worker
        # Decodes a batch here only to ask the sink what it holds (``check_stored``) when a
        # worker enriches it: its refusals are the worker's to count, not ``decoder``'s.
        self._peek_decoder = ClickDecoder()
        # Whether the next batch may hold events stored already: then the sink is asked
        # which before they are enriched. True at start (a restart redelivers what was not
        # acknowledged) and after a batch that held stored events; a batch of new clicks
        # turns it off, so it costs one query per batch only while redelivery goes on.
        self.check_stored = True

    def process(self, messages: Sequence[bytes]) -> tuple[list[ClickRow], list[DeadLetter]]:
        """Validate and enrich a batch; what fails becomes a dead letter (reason, detail, payload)."""
        decoded, letters = self.decode(messages)
        rows, failed = self.enrich(decoded)
        return rows, letters + failed

    def decode(self, messages: Sequence[bytes]) -> tuple[list[tuple[ClickEvent, bytes]], list[DeadLetter]]:
        return decode_batch(self.decoder, messages)

    def enrich(
        self, decoded: Sequence[tuple[ClickEvent, bytes]], skip: set[str] | None = None
    ) -> tuple[list[ClickRow], list[DeadLetter]]:
        """Enrich decoded events, leaving out the ids in ``skip`` (lowercase)."""
        return enrich_batch(self.enricher, decoded, skip)

    def _insert(self, rows: list[ClickRow], letters: list[DeadLetter]) -> Inserted:
        inserted = self.sink.insert_batch(rows) if rows else Inserted()
        if letters:
            self.sink.dead_letter(letters)
        return inserted

    async def store(self, messages: list[bytes]) -> StoredBatch:
        started = time.perf_counter()
        if self.worker is not None:
            rows, letters, skipped, known = await self._enrich_in_worker(self.worker, messages)
        else:
            decoded, letters = await asyncio.to_thread(self.decode, messages)
            known = await self._known(decoded)
            rows, failed = await asyncio.to_thread(self.enrich, decoded, known.skip)
            skipped = len(decoded) - len(rows) - len(failed)
            letters += failed
        inserted = await self.until_done(
            lambda: asyncio.to_thread(self._insert, rows, letters),
            "insert into ClickHouse",
            "insert_failures",
        )
        self.check_stored = bool(known.skip) or len(inserted.clicks) > inserted.count
        if known.clicks:
            inserted = Inserted(inserted.count, known.clicks + inserted.clicks)
        if inserted.clicks and (triggers := self.triggers) is not None:
            await self.until_done(
                lambda: triggers.fire(inserted.clicks), "click triggers", "trigger_failures"
            )
        if letters and self.dead_letter_topic is not None:
            try:
                await self.dead_letter_topic.forward(letters)
            except Exception:
                # They are in ClickHouse's dead_letters already; the topic is a convenience.
                log.exception("forwarding %d dead letters to Kafka failed", len(letters))
        return StoredBatch(rows, letters, inserted, started, skipped)

    async def _known(self, decoded: Sequence[tuple[ClickEvent, bytes]]) -> Known:
        if not (self.check_stored and decoded):
            return Known()
        events = [event for event, _ in decoded]
        read_back = self.triggers.wants_clicks_of if self.triggers is not None else None
        return await self.until_done(
            lambda: asyncio.to_thread(self.sink.known, events, read_back),
            "ask ClickHouse which clicks it holds",
            "insert_failures",
        )

    async def _enrich_in_worker(
        self, worker: BatchEnricher, messages: list[bytes]
    ) -> tuple[list[ClickRow], list[DeadLetter], int, Known]:
        known = Known()
        if self.check_stored:
            # Rare (at start, and while a redelivery goes on): the batch is decoded twice,
            # here for the sink's question and in the worker for enrichment, which keeps the
            # worker to one round trip a batch.
            decoded, _ = await asyncio.to_thread(decode_batch, self._peek_decoder, messages)
            known = await self._known(decoded)
        # The worker restarts a crashed process and retries itself; what still fails here
        # is retried with the same batch, like an insert.
        enriched = await self.until_done(
            lambda: asyncio.to_thread(worker.process, messages, known.skip),
            "decode and enrich in the worker process",
            "worker_failures",
        )
        return enriched.rows, enriched.letters, enriched.skipped, known

    def count(self, messages: list[bytes], stored: StoredBatch) -> None:
        rows, inserted, stats = stored.rows, stored.inserted, self.stats
        stats.batches += 1
        stats.events += len(messages)
        stats.inserted += inserted.count
        stats.duplicates += len(rows) - inserted.count + stored.skipped
        for reason, _, _ in stored.letters:
            stats.dead_letters[reason] += 1
        stats.last_batch_seconds = time.perf_counter() - stored.started
        if rows:
            stats.lag_ms = int(time.time() * 1000) - max(row.ts for row in rows)

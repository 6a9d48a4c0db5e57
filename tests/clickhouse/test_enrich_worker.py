"""The click consumer with decoding and enrichment in a worker process
(consumer/enrich_worker.py), into real chDB: the same rows as in-process, every event stored
once, bad events dead-lettered, a killed worker replaced without losing a click, and the
tenants' bot rules followed as they change."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from consumer.decode import ClickDecoder
from consumer.enrich import Enricher, GeoLocator
from consumer.enrich_worker import EnrichWorker, TenantRulesFeed, WorkerSetup, workers_for
from consumer.ingest import ClickIngest
from consumer.loop import ClickConsumer, decode_batch, enrich_batch
from schemas.events import LinkChange
from smartlinks.bots.tenant_bots import TenantBots
from smartlinks.clickhouse import Client
from smartlinks.models import TenantPatch
from smartlinks.settings import Settings
from smartlinks.store import open_store
from smartlinks.store.link_store import LinkStore
from tests.clickhouse.test_redelivery import ListSource, events

pytestmark = [pytest.mark.clickhouse, pytest.mark.anyio]

KEY = b"k" * 32


@pytest.fixture(scope="module")
def geo() -> Iterator[GeoLocator]:
    with GeoLocator() as locator:
        yield locator


@pytest.fixture
def worker(geo: GeoLocator) -> Iterator[EnrichWorker]:
    worker = EnrichWorker(WorkerSetup(None, KEY), Enricher(geo, KEY), ClickDecoder())
    yield worker
    worker.stop()


def consumer_of(client: Client, worker: EnrichWorker, messages: list[bytes], size: int = 7) -> ClickConsumer:
    return ClickConsumer(
        ListSource(messages),
        worker.fallback,
        ClickIngest(client),
        batch_size=size,
        decoder=worker.decoder,
        worker=worker,
    )


async def drain(consumer: ClickConsumer) -> None:
    while await consumer.run_once():
        pass


def count(client: Client, table: str) -> int:
    return int(client.query(f"SELECT count() FROM {table}").result_rows[0][0])


def test_the_worker_returns_the_rows_enrichment_in_process_makes(
    worker: EnrichWorker, geo: GeoLocator
) -> None:
    clicks = events(40)
    batch = [event.to_json() for event in clicks]
    skip = {clicks[3].event_id.lower()}  # stored already
    in_process = enrich_batch(Enricher(geo, KEY), decode_batch(ClickDecoder(), batch)[0], skip)[0]
    enriched = worker.process(batch, skip)
    assert enriched.rows == in_process
    assert enriched.letters == []
    assert enriched.skipped == len(skip)
    # The child's counters reach the parent's, which the metrics read.
    assert worker.fallback.stats.events == 40 - len(skip)


async def test_every_event_is_stored_once_and_bad_ones_are_dead_letters(
    clickhouse: Client, worker: EnrichWorker
) -> None:
    good = [event.to_json() for event in events(50)]
    future = msgspec.structs.replace(events(1)[0], ts=int(time.time() * 1000) + 3 * 86_400_000)
    bad = [b"not json", b'{"v": 1}', future.to_json()]
    consumer = consumer_of(clickhouse, worker, good[:20] + bad + good[20:])
    await drain(consumer)
    assert count(clickhouse, "clicks") == 50
    assert consumer.stats.inserted == 50
    assert consumer.stats.events == 53
    assert sum(consumer.stats.dead_letters.values()) == 3
    assert count(clickhouse, "dead_letters") == 3
    assert sum(worker.decoder.refused.values()) == 3  # counted in the child, reported here
    assert worker.restarts == 0


async def test_a_killed_worker_is_replaced_and_loses_nothing(
    clickhouse: Client, worker: EnrichWorker
) -> None:
    batch = [event.to_json() for event in events(60)]
    consumer = consumer_of(clickhouse, worker, batch, size=10)
    assert await consumer.run_once() == 10
    first = worker.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    await drain(consumer)
    assert worker.restarts == 1
    assert worker.pid != first
    assert count(clickhouse, "clicks") == 60
    assert consumer.stats.inserted == 60
    assert consumer.stats.duplicates == 0


async def test_a_batch_retried_after_the_worker_died_is_stored_once(
    clickhouse: Client, worker: EnrichWorker
) -> None:
    # A crash between the insert and the acknowledgement: the batch comes again, to a new
    # worker, and the de-duplication keeps one of each click.
    batch = [event.to_json() for event in events(30)]
    await drain(consumer_of(clickhouse, worker, batch))
    worker.stop()
    again = consumer_of(clickhouse, worker, batch)
    await drain(again)
    assert count(clickhouse, "clicks") == 30
    assert again.stats.inserted == 0
    assert again.stats.duplicates == 30


async def test_a_worker_that_cannot_start_leaves_the_batch_to_the_consumer(
    clickhouse: Client, geo: GeoLocator, tmp_path: Path
) -> None:
    # Its GeoIP database is missing: every child dies at start. The consumer's own process
    # enriches the batch instead, and nothing stops.
    broken = EnrichWorker(
        WorkerSetup(str(tmp_path / "missing.mmdb"), KEY), Enricher(geo, KEY), ClickDecoder()
    )
    try:
        consumer = consumer_of(clickhouse, broken, [event.to_json() for event in events(12)] + [b"{"])
        await drain(consumer)
    finally:
        broken.stop()
    assert broken.restarts == 4  # two children per batch, two batches
    assert count(clickhouse, "clicks") == 12
    assert count(clickhouse, "dead_letters") == 1


async def test_the_worker_follows_the_tenants_bot_rules(tmp_path: Path, geo: GeoLocator) -> None:
    store: LinkStore = open_store(Settings(data_dir=tmp_path))
    await store.open()
    try:
        tenant = await store.create_tenant("acme")
        local = TenantBots()
        rules = TenantRulesFeed(store, local)
        await rules.reload()
        worker = EnrichWorker(
            WorkerSetup(None, KEY), Enricher(geo, KEY, tenant_bots=local), ClickDecoder(), rules
        )
        try:
            batch = [event.to_json() for event in events(3, tenant=tenant.id)]
            assert [row.bot_reason for row in worker.process(batch, set()).rows] == ["head", "", ""]
            await store.update_tenant(tenant.id, TenantPatch(bot_user_agents=("Chrome/120",)))
            await rules.apply([LinkChange("tenant_updated", tenant.id, "", "", 0)])
            rows = worker.process([event.to_json() for event in events(3, tenant=tenant.id)], set()).rows
            assert [row.bot_reason for row in rows] == ["head", "tenant_ua", "tenant_ua"]
            # A new child (after a crash) is sent the rules too.
            assert worker.pid is not None
            os.kill(worker.pid, signal.SIGKILL)
            rows = worker.process([event.to_json() for event in events(3, tenant=tenant.id)], set()).rows
            assert rows[2].bot_reason == "tenant_ua"
        finally:
            worker.stop()
    finally:
        await store.close()


def test_stop_ends_the_child_cleanly(worker: EnrichWorker) -> None:
    worker.process([event.to_json() for event in events(2)], set())
    assert worker.pid is not None
    assert worker.stop() == 0
    assert worker.pid is None


def test_auto_uses_a_worker_only_with_a_second_cpu() -> None:
    usable = len(os.sched_getaffinity(0))
    assert workers_for("auto") == (1 if usable > 1 else 0)
    assert workers_for("0") == 0
    assert workers_for("1") == 1


async def test_a_closing_worker_is_not_replaced(clickhouse: Client, worker: EnrichWorker) -> None:
    # At shutdown a signal to the process group may have ended the child: the drain then
    # enriches in the consumer's process rather than start another child.
    batch = [event.to_json() for event in events(14)]
    consumer = consumer_of(clickhouse, worker, batch)
    assert await consumer.run_once() == 7
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGTERM)
    worker.closing()
    await consumer.drain()
    assert worker.pid is None
    assert worker.restarts == 1
    assert count(clickhouse, "clicks") == 14

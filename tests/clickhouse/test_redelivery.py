"""A redelivered batch through the whole consumer: what ClickHouse holds already is found
before enrichment, read back as stored, handed to the triggers again and counted once."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import astuple, fields

import pytest

from consumer.enrich import Enricher, GeoLocator
from consumer.enrich.row import ClickRow, StoredClick
from consumer.ingest import ClickIngest
from consumer.link_changes import LinkDeletions
from consumer.loop import ClickConsumer
from schemas.events import ClickEvent
from smartlinks.clickhouse import Client
from smartlinks.ids import new_id

pytestmark = [pytest.mark.clickhouse, pytest.mark.anyio]

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


class ListSource:
    def __init__(self, messages: list[bytes]) -> None:
        self.messages = messages

    async def take(self, max_items: int, max_wait: float) -> list[bytes]:
        batch, self.messages = self.messages[:max_items], self.messages[max_items:]
        return batch

    async def ack(self) -> None:
        pass


class Recorder:
    """Triggers that keep what they are given."""

    def __init__(self) -> None:
        self.clicks: list[StoredClick] = []

    async def fire(self, clicks: Sequence[StoredClick]) -> None:
        self.clicks.extend(clicks)

    def wants_clicks_of(self, tenant_id: str) -> bool:
        return tenant_id != "t-no-triggers"


@pytest.fixture(scope="module")
def geo() -> Iterator[GeoLocator]:
    with GeoLocator() as locator:
        yield locator


def events(count: int, link: str = "l1", tenant: str = "t1") -> list[ClickEvent]:
    now = int(time.time() * 1000)
    return [
        ClickEvent(
            event_id=new_id().upper(),  # the enricher stores ids lowercase
            ts=now - 1000 * n,
            tenant_id=tenant,
            link_id=link,
            code="abc",
            campaign="spring" if n % 2 else None,
            contact_id=None,
            method="HEAD" if n % 7 == 0 else "GET",
            ip=f"81.2.69.{n % 250 + 1}",
            user_agent=CHROME,
            referer="https://www.example.com/",
            accept_language="en",
            visitor_cookie=None,
            collect_metadata=n % 5 != 0,
        )
        for n in range(count)
    ]


async def consume(
    client: Client, geo: GeoLocator, batch: list[ClickEvent], size: int = 7
) -> tuple[ClickConsumer, Enricher, Recorder]:
    enricher, recorder = Enricher(geo, b"k" * 32), Recorder()
    source = ListSource([event.to_json() for event in batch])
    consumer = ClickConsumer(source, enricher, ClickIngest(client), batch_size=size, triggers=recorder)
    while await consumer.run_once():
        pass
    return consumer, enricher, recorder


def same_row(read_back: ClickRow, enriched: ClickRow) -> bool:
    # Coordinates are Float32 in ClickHouse.
    coordinates = ("latitude", "longitude")
    for name, value in zip((f.name for f in fields(ClickRow)), astuple(read_back), strict=True):
        original = getattr(enriched, name)
        if name in coordinates and value is not None and original is not None:
            if not math.isclose(value, original, rel_tol=1e-6):
                return False
        elif value != original:
            return False
    return True


async def test_a_redelivered_batch_is_read_back_not_enriched_again(
    clickhouse: Client, geo: GeoLocator
) -> None:
    first_batch, later = events(20), events(6)
    _, _, first = await consume(clickhouse, geo, first_batch)
    # A restart: everything comes again, and new clicks after it.
    consumer, enricher, again = await consume(clickhouse, geo, first_batch + later)
    assert enricher.stats.events == len(later)
    assert consumer.stats.events == 26
    assert consumer.stats.inserted == 6
    assert consumer.stats.duplicates == 20
    assert clickhouse.query("SELECT count() FROM clicks").result_rows == [(26,)]
    stored = {click.row.event_id: click for click in first.clicks}
    redelivered = [click for click in again.clicks if click.row.event_id in stored]
    # In the batch's order, as the first delivery handed them to the triggers.
    assert [click.row.event_id for click in redelivered] == [event.event_id.lower() for event in first_batch]
    for click in redelivered:
        assert click.kind == stored[click.row.event_id].kind
        assert same_row(click.row, stored[click.row.event_id].row)


async def test_a_redelivered_batch_of_a_deleted_link_is_neither_enriched_nor_stored(
    clickhouse: Client, geo: GeoLocator
) -> None:
    gone, kept = events(5, "gone"), events(5, "kept")
    await consume(clickhouse, geo, gone)
    LinkDeletions(clickhouse).delete_link("t1", "gone")
    _, enricher, recorder = await consume(clickhouse, geo, gone + kept)
    assert enricher.stats.events == 5
    assert {click.row.link_id for click in recorder.clicks} == {"kept"}
    per_link = clickhouse.query("SELECT link_id, count() FROM clicks GROUP BY link_id").result_rows
    assert per_link == [("kept", 5)]


async def test_a_cut_off_insert_is_repaired_before_the_batch_is_read_back(
    clickhouse: Client, geo: GeoLocator
) -> None:
    batch = events(10)
    await consume(clickhouse, geo, batch)
    clickhouse.command("TRUNCATE TABLE link_visitors")  # a view the insert never reached
    clickhouse.command("TRUNCATE TABLE inserted_clicks")
    ingest = ClickIngest(clickhouse)
    known = ingest.known(batch, lambda tenant: True)
    assert len(known.clicks) == 10
    assert "repair_rollups" in ingest.seconds
    humans = clickhouse.query("SELECT countIf(NOT is_bot) FROM clicks").result_rows[0][0]
    assert clickhouse.query("SELECT sum(clicks) FROM link_visitors").result_rows == [(humans,)]
    assert clickhouse.query("SELECT count() FROM inserted_clicks").result_rows == [(10,)]


async def test_new_clicks_after_a_restart_stop_the_check(clickhouse: Client, geo: GeoLocator) -> None:
    consumer, enricher, _ = await consume(clickhouse, geo, events(14))
    assert enricher.stats.events == 14
    assert not consumer.check_stored
    assert "known_stage" in consumer.sink.seconds


async def test_clicks_no_trigger_wants_are_not_read_back(clickhouse: Client, geo: GeoLocator) -> None:
    quiet, watched = events(8, tenant="t-no-triggers"), events(4)
    await consume(clickhouse, geo, quiet + watched)
    consumer, enricher, recorder = await consume(clickhouse, geo, quiet + watched)
    assert enricher.stats.events == 0
    assert [click.row.event_id for click in recorder.clicks] == [event.event_id.lower() for event in watched]
    assert (consumer.stats.inserted, consumer.stats.duplicates) == (0, 12)
    assert "known_read_back" in consumer.sink.seconds
    assert clickhouse.query("SELECT count() FROM clicks").result_rows == [(12,)]


async def test_a_batch_stored_to_the_end_is_known_from_inserted_clicks_alone(
    clickhouse: Client, geo: GeoLocator
) -> None:
    batch = events(14)
    _, _, first = await consume(clickhouse, geo, batch)
    consumer, enricher, again = await consume(clickhouse, geo, batch)
    assert enricher.stats.events == 0
    assert "known_finished" in consumer.sink.seconds
    assert "known_stored" not in consumer.sink.seconds  # clicks was not read for the ids
    kinds = {click.row.event_id: click.kind for click in first.clicks}
    assert [click.row.event_id for click in again.clicks] == [event.event_id.lower() for event in batch]
    assert {click.row.event_id: click.kind for click in again.clicks} == kinds
    assert clickhouse.query("SELECT count() FROM clicks").result_rows == [(14,)]


async def test_a_redelivered_batch_of_a_deleted_link_alone_is_not_read_back(
    clickhouse: Client, geo: GeoLocator
) -> None:
    gone = events(7, "gone")
    await consume(clickhouse, geo, gone)
    LinkDeletions(clickhouse).delete_link("t1", "gone")
    consumer, enricher, recorder = await consume(clickhouse, geo, gone)
    assert "known_finished" in consumer.sink.seconds
    assert enricher.stats.events == 0
    assert recorder.clicks == []
    assert clickhouse.query("SELECT count() FROM clicks").result_rows == [(0,)]


async def test_a_partly_stored_batch_is_asked_of_clicks(clickhouse: Client, geo: GeoLocator) -> None:
    stored, new = events(4), events(3, "l2")
    await consume(clickhouse, geo, stored)
    consumer, enricher, _ = await consume(clickhouse, geo, stored + new)
    assert "known_stored" in consumer.sink.seconds
    assert enricher.stats.events == 3
    assert clickhouse.query("SELECT count() FROM clicks").result_rows == [(7,)]

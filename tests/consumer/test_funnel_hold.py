"""A conversion read before the click its click_id names is stored waits for that click
(consumer/funnel_hold.py): through the funnel consumer, on real ClickHouse (chDB) and a
real funnel log, with a clock the test moves."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from consumer.enrich.row import ClickRow
from consumer.funnel import FunnelSink, StoredConversion
from consumer.funnel_loop import FunnelConsumer
from consumer.ingest import ClickIngest
from schemas.events import CONVERSION, DELIVERED, FunnelEvent
from smartlinks.clickhouse import Client, connect, migrate
from smartlinks.eventlog.reader import EventLogReader
from smartlinks.eventlog.writer import EventLog
from tests.clickhouse.databases import new_database
from tests.support.funnel_events import funnel_event

pytestmark = [pytest.mark.clickhouse, pytest.mark.anyio]

TENANT = "0190000000007000800000000000000a"
OTHER_TENANT = "0190000000007000800000000000000c"
LINK = "0190000000007000800000000000000b"
NOW = 1_765_000_000_000  # ms; the clock the consumer is given starts here
WAIT = 60.0  # seconds a conversion may wait for its click


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clickhouse(clickhouse_url: str) -> Iterator[Client]:
    with new_database(clickhouse_url) as name:
        client = connect(clickhouse_url, name)
        migrate(client)
        yield client
        client.close()


class Clock:
    def __init__(self) -> None:
        self.now = NOW / 1000

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Triggers:
    """Records each conversion handed to the ``conversion.recorded`` triggers."""

    def __init__(self) -> None:
        self.fired: list[tuple[str, str, str]] = []

    async def fire_conversions(self, conversions: Sequence[StoredConversion]) -> None:
        self.fired += [(c.event.id, c.attribution, c.click_id) for c in conversions]


class Funnel:
    """A funnel log, the consumer reading it, and what the consumer stored."""

    def __init__(self, folder: Path, clickhouse: Client, clock: Clock, wait: float = WAIT) -> None:
        self.log = EventLog(folder)
        self.log.open()
        self.clickhouse = clickhouse
        self.clock = clock
        self.triggers = Triggers()
        self.reader = EventLogReader(self.log)
        self.consumer = self.consumer_with(wait)

    def consumer_with(self, wait: float) -> FunnelConsumer:
        return FunnelConsumer(
            self.reader,
            FunnelSink(self.clickhouse),
            ClickIngest(self.clickhouse).dead_letter,
            max_wait=0.01,
            triggers=self.triggers,
            click_wait=wait,
            clock=self.clock,
        )

    async def send(self, *events: FunnelEvent) -> None:
        assert all([await self.log.append(event.to_json()) for event in events])

    def restart(self) -> None:
        """A process killed without a drain, started again: a new reader from the committed
        position, a consumer with nothing held."""
        self.reader.close()
        self.reader = EventLogReader(self.log)
        self.consumer = self.consumer_with(WAIT)

    def acknowledged(self) -> bool:
        return self.reader.backlog_bytes() == 0

    def conversions(self) -> dict[str, tuple[str, str]]:
        rows = self.clickhouse.query(
            "SELECT id, toString(attribution), click_id FROM conversions ORDER BY id"
        ).result_rows
        assert len(rows) == len({row[0] for row in rows}), rows  # each id once
        return {row[0]: (row[1], row[2]) for row in rows}

    def deliveries(self) -> list[str]:
        return [row[0] for row in self.clickhouse.query("SELECT id FROM deliveries ORDER BY id").result_rows]


@pytest.fixture
async def funnel(tmp_path: Path, clickhouse: Client) -> AsyncIterator[Funnel]:
    made = Funnel(tmp_path / "funnel-events", clickhouse, Clock())
    yield made
    made.reader.close()
    await made.log.close()


_serial = itertools.count(1)


def minted(ts: int) -> str:
    """A UUIDv7 of exactly ``ts``: smartlinks.ids bumps its ids past every id this process
    made before (other tests' ones included), which would move their time."""
    return f"{ts:012x}7000{0x8 << 60 | next(_serial):016x}"


def click(ts: int, tenant_id: str = TENANT, **fields: Any) -> ClickRow:
    """A human click on the spring campaign by contact c-1, its id minted at ``ts``."""
    values: dict[str, Any] = {"campaign": "spring", "contact_id": "c-1", "visitor_id": "v-1", **fields}
    return ClickRow(minted(ts), ts, tenant_id, LINK, "abc1234", **values)


def conversion(conversion_id: str, click_id: str | None, **fields: Any) -> FunnelEvent:
    """A purchase by contact c-1 on the spring campaign, made and received now."""
    values: dict[str, Any] = {"campaign": "spring", "contact_id": "c-1", "name": "purchase", **fields}
    return funnel_event(CONVERSION, TENANT, conversion_id, NOW, click_id=click_id, **values)


def delivered(delivery_id: str) -> FunnelEvent:
    return funnel_event(DELIVERED, TENANT, delivery_id, NOW - 60_000, campaign="spring", contact_id="c-1")


async def test_a_conversion_read_before_its_click_gets_it_once_the_click_is_stored(
    funnel: Funnel, clickhouse: Client
) -> None:
    earlier = click(NOW - 3_600_000)  # what last_click would find without the wait
    late = click(NOW - 2_000)  # the click the site sent back, still on its way
    ClickIngest(clickhouse).insert([earlier])
    await funnel.send(delivered("m-1"), conversion("o-1", late.event_id))

    assert await funnel.consumer.run_once() == 2
    # The delivery is in at once; the conversion waits, and so does the acknowledgement.
    assert funnel.deliveries() == ["m-1"] and funnel.conversions() == {}
    assert not funnel.acknowledged() and funnel.triggers.fired == []
    funnel.clock.advance(1.5)
    await funnel.consumer.run_once()  # looked again: not there yet
    assert funnel.conversions() == {} and len(funnel.consumer.hold) == 1

    ClickIngest(clickhouse).insert([late])
    funnel.clock.advance(1.5)
    await funnel.consumer.run_once()
    assert funnel.conversions() == {"o-1": ("click_id", late.event_id)}
    assert funnel.triggers.fired == [("o-1", "click_id", late.event_id)]  # once, as stored
    assert funnel.acknowledged() and len(funnel.consumer.hold) == 0
    stats = funnel.consumer.stats
    assert (stats.hold.held, stats.hold.released_by_click, stats.hold.released_by_timeout) == (1, 1, 0)
    assert (stats.conversions, stats.deliveries, stats.duplicates) == (1, 1, 0)


async def test_a_conversion_whose_click_never_comes_is_attributed_after_the_wait(
    funnel: Funnel, clickhouse: Client
) -> None:
    earlier = click(NOW - 3_600_000)
    ClickIngest(clickhouse).insert([earlier])
    never = minted(NOW - 10_000)  # answered by a redirect 10 s ago, never stored
    await funnel.send(conversion("o-1", never), conversion("o-2", None, campaign="autumn"))

    await funnel.consumer.run_once()
    assert funnel.conversions() == {"o-2": ("sent", "")}  # not held up by o-1
    assert funnel.triggers.fired == [("o-2", "sent", "")]
    funnel.clock.advance(WAIT - 12)  # 2 s before o-1's deadline (its click's time + WAIT)
    await funnel.consumer.run_once()
    assert "o-1" not in funnel.conversions() and not funnel.acknowledged()

    funnel.clock.advance(3)
    await funnel.consumer.run_once()
    assert funnel.conversions()["o-1"] == ("last_click", earlier.event_id)
    assert funnel.triggers.fired[1:] == [("o-1", "last_click", earlier.event_id)]
    assert funnel.acknowledged()
    hold = funnel.consumer.stats.hold
    assert (hold.held, hold.released_by_click, hold.released_by_timeout) == (1, 0, 1)


@pytest.mark.parametrize(
    "case", ["malformed", "not a UUIDv7", "older than the wait", "another tenant's click", "no wait"]
)
async def test_a_click_id_that_cannot_come_does_not_wait(
    funnel: Funnel, clickhouse: Client, case: str
) -> None:
    theirs = click(NOW - 1_000, tenant_id=OTHER_TENANT)
    ClickIngest(clickhouse).insert([theirs])
    click_id = {
        "malformed": "not-a-click-id-but-32-characters",
        "not a UUIDv7": "0" * 32,
        "older than the wait": minted(NOW - int(WAIT * 1000) - 1),
        "another tenant's click": theirs.event_id,
        "no wait": minted(NOW - 1_000),
    }[case]
    if case == "no wait":
        funnel.consumer = funnel.consumer_with(0)
    await funnel.send(conversion("o-1", click_id, contact_id="c-2"))

    assert await funnel.consumer.run_once() == 1
    assert funnel.conversions() == {"o-1": ("sent", "")}
    assert funnel.acknowledged() and funnel.consumer.stats.hold.held == 0


async def test_a_restart_while_held_loses_nothing_and_counts_nothing_twice(
    funnel: Funnel, clickhouse: Client
) -> None:
    late = click(NOW - 2_000)
    await funnel.send(delivered("m-1"), conversion("o-1", late.event_id))
    await funnel.consumer.run_once()
    await funnel.send(conversion("o-2", None), delivered("m-2"))
    await funnel.consumer.run_once()  # stored while o-1 waits, not acknowledged either
    assert funnel.deliveries() == ["m-1", "m-2"] and set(funnel.conversions()) == {"o-2"}
    assert not funnel.acknowledged()

    funnel.restart()  # killed with o-1 held; meanwhile its click is stored
    ClickIngest(clickhouse).insert([late])
    assert await funnel.consumer.run_once() == 4  # everything since the last acknowledgement
    assert funnel.deliveries() == ["m-1", "m-2"]
    assert funnel.conversions() == {"o-1": ("click_id", late.event_id), "o-2": ("sent", "")}
    assert funnel.acknowledged()
    stats = funnel.consumer.stats
    assert (stats.deliveries, stats.conversions, stats.duplicates) == (0, 1, 3)
    # o-2's trigger had its second chance (the webhook store keeps one delivery per id);
    # o-1's trigger only ever heard of it as stored, with its click.
    assert [f for f in funnel.triggers.fired if f[0] == "o-1"] == [("o-1", "click_id", late.event_id)]


async def test_a_drain_leaves_what_is_held_to_the_next_start(funnel: Funnel, clickhouse: Client) -> None:
    late = click(NOW - 2_000)
    await funnel.send(conversion("o-1", late.event_id), conversion("o-2", None))
    await funnel.consumer.run_once()
    await funnel.consumer.drain()
    assert set(funnel.conversions()) == {"o-2"} and not funnel.acknowledged()

    funnel.restart()
    ClickIngest(clickhouse).insert([late])
    await funnel.consumer.drain()
    assert funnel.conversions() == {"o-1": ("click_id", late.event_id), "o-2": ("sent", "")}
    assert funnel.acknowledged()


async def test_the_same_id_again_while_its_first_copy_waits_is_a_duplicate(
    funnel: Funnel, clickhouse: Client
) -> None:
    late = click(NOW - 2_000)
    await funnel.send(conversion("o-1", late.event_id))
    await funnel.consumer.run_once()
    await funnel.send(conversion("o-1", late.event_id))  # the site sent it again
    await funnel.consumer.run_once()
    ClickIngest(clickhouse).insert([late])
    funnel.clock.advance(1.5)
    await funnel.consumer.run_once()
    assert funnel.conversions() == {"o-1": ("click_id", late.event_id)}
    assert funnel.triggers.fired == [("o-1", "click_id", late.event_id)]
    assert (funnel.consumer.stats.conversions, funnel.consumer.stats.duplicates) == (1, 1)


async def test_conversions_that_keep_waiting_do_not_put_the_acknowledgement_off_for_ever(
    funnel: Funnel,
) -> None:
    """Each stretch of holding ends within twice the wait, and the source is acknowledged
    then, before the next batch can hold anything again."""

    async def at(seconds: float, *events: FunnelEvent) -> None:
        funnel.clock.now = NOW / 1000 + seconds
        await funnel.send(*events)
        await funnel.consumer.run_once()

    def never(seconds: float) -> str:
        return minted(NOW + int(seconds * 1000))  # a click answered then, never stored

    await at(0, conversion("o-a", never(0)))
    await at(50, conversion("o-b", never(50)))
    await at(61)  # o-a's wait is over; o-b still waits
    await at(100, conversion("o-c", never(100)))  # waits only until 2 * WAIT after o-a came
    await at(111)
    assert set(funnel.conversions()) == {"o-a", "o-b"} and not funnel.acknowledged()
    await at(121, conversion("o-d", never(121)))  # the stretch ends: o-c out, acknowledged
    assert set(funnel.conversions()) == {"o-a", "o-b", "o-c"}
    assert len(funnel.consumer.hold) == 1

    funnel.restart()  # only o-d, taken after the acknowledgement, is read again
    assert await funnel.consumer.run_once() == 1
    assert funnel.consumer.stats.duplicates == 0 and len(funnel.consumer.hold) == 1

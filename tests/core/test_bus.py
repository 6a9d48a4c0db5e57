"""The in-process bus: bounded memory, spill to the spool, order kept, nothing lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

from schemas.events import ClickEvent, InvalidEvent
from smartlinks.bus import InProcessBus


def event(n: int) -> ClickEvent:
    return ClickEvent(
        event_id=f"{n:032x}",
        ts=1_700_000_000_000 + n,
        tenant_id="t",
        link_id="l",
        code="abcd",
        campaign=None,
        contact_id=None,
        method="GET",
        ip="127.0.0.1",
        user_agent="UA",
        referer="",
        accept_language="",
        visitor_cookie=None,
        collect_metadata=True,
    )


def decoded(item: bytes) -> ClickEvent:
    return ClickEvent.from_json(item)


async def drain(bus: InProcessBus, damaged: list[bytes] | None = None) -> list[int]:
    seen: list[int] = []
    while batch := await bus.take(max_items=7, max_wait=0.05):
        for item in batch:
            try:
                seen.append(decoded(item).ts - 1_700_000_000_000)
            except InvalidEvent:
                assert damaged is not None, item
                damaged.append(item)
        await bus.ack()
    return seen


def test_overflow_spills_to_disk_and_comes_back_in_order(tmp_path: Path) -> None:
    async def run() -> None:
        bus = InProcessBus(capacity=10, spool_dir=tmp_path)
        await bus.start()
        for n in range(50):
            bus.publish(event(n))
        assert bus.queued() == 10
        assert bus.stats.spilled == 40
        assert await drain(bus) == list(range(50))
        assert not list(tmp_path.glob("*.jsonl"))
        # With the spool drained, new events use memory again.
        bus.publish(event(50))
        assert bus.queued() == 1

    asyncio.run(run())


def test_events_survive_a_stop_and_restart(tmp_path: Path) -> None:
    async def run() -> None:
        bus = InProcessBus(capacity=5, spool_dir=tmp_path)
        await bus.start()
        for n in range(8):
            bus.publish(event(n))
        await bus.stop()
        again = InProcessBus(capacity=5, spool_dir=tmp_path)
        await again.start()
        assert sorted(await drain(again)) == list(range(8))

    asyncio.run(run())


def test_unacked_spool_is_read_again_after_a_crash(tmp_path: Path) -> None:
    async def run() -> None:
        bus = InProcessBus(capacity=1, spool_dir=tmp_path)
        await bus.start()
        for n in range(4):
            bus.publish(event(n))
        first = await bus.take(max_items=100, max_wait=0.05)
        assert len(first) == 4
        # no ack: the process dies here
        again = InProcessBus(capacity=1, spool_dir=tmp_path)
        await again.start()
        assert await drain(again) == [1, 2, 3]

    asyncio.run(run())


def test_take_waits_for_a_publish(tmp_path: Path) -> None:
    async def run() -> None:
        bus = InProcessBus(capacity=10, spool_dir=tmp_path)
        await bus.start()
        assert await bus.take(10, max_wait=0.01) == []
        asyncio.get_running_loop().call_later(0.02, bus.publish, event(1))
        batch = await bus.take(10, max_wait=2)
        assert [decoded(e).ts for e in batch] == [1_700_000_000_001]

    asyncio.run(run())


def test_a_torn_line_is_handed_on_for_the_dead_letter_table(tmp_path: Path) -> None:
    async def run() -> None:
        bus = InProcessBus(capacity=1, spool_dir=tmp_path)
        await bus.start()
        bus.publish(event(0))
        bus.publish(event(1))
        with open(next(tmp_path.glob("*.jsonl")), "ab") as fh:
            fh.write(b'{"event_id": "trunc')
        damaged: list[bytes] = []
        assert await drain(bus, damaged) == [0, 1]
        assert damaged == [b'{"event_id": "trunc']

    asyncio.run(run())

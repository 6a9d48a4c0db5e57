"""The edge log: a click is in the file before ``append``'s future resolves, groups are one
write each, a reader hands events on from a committed position, and a disk that cannot be
written never stops the writer."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from schemas.events import ClickEvent, InvalidEvent
from smartlinks.eventlog.reader import EventLogReader
from smartlinks.eventlog.segments import Position, read_position, segment_numbers, segment_path
from smartlinks.eventlog.writer import EventLog

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def event(n: int) -> bytes:
    return ClickEvent(
        event_id=f"{n:032x}", ts=1_700_000_000_000 + n, tenant_id="t", link_id="l", code="abcd",
        campaign=None, contact_id=None, method="GET", ip="127.0.0.1", user_agent="UA", referer="",
        accept_language="", visitor_cookie=None, collect_metadata=True,
    ).to_json()  # fmt: skip


def numbers(items: list[bytes], damaged: list[bytes] | None = None) -> list[int]:
    seen = []
    for item in items:
        try:
            seen.append(ClickEvent.from_json(item).ts - 1_700_000_000_000)
        except InvalidEvent:
            assert damaged is not None, item
            damaged.append(item)
    return seen


async def drain(reader: EventLogReader, damaged: list[bytes] | None = None, batch: int = 7) -> list[int]:
    seen: list[int] = []
    while items := await reader.take(max_items=batch, max_wait=0.05):
        seen.extend(numbers(items, damaged))
        await reader.ack()
    return seen


def on_disk(folder: Path) -> bytes:
    return b"".join(segment_path(folder, n).read_bytes() for n in segment_numbers(folder))


async def opened(folder: Path, **options: int) -> EventLog:
    log = EventLog(folder, **options)
    log.open()
    return log


async def filled(folder: Path, count: int, **options: int) -> EventLog:
    """A log opened in ``folder`` with ``event(0)`` to ``event(count - 1)`` appended, one
    write each."""
    log = await opened(folder, **options)
    for n in range(count):
        await log.append(event(n))
    return log


@pytest.mark.parametrize("fsync_ms", [0, 1000])
async def test_an_appended_event_is_in_the_file_once_its_future_resolves(
    tmp_path: Path, fsync_ms: int
) -> None:
    log = await opened(tmp_path, fsync_ms=fsync_ms)
    futures = [log.append(event(n)) for n in range(100)]
    assert on_disk(tmp_path) == b""  # nothing written yet: the group goes in the next turn
    assert await asyncio.gather(*futures) == [True] * 100
    assert numbers(on_disk(tmp_path).splitlines()) == list(range(100))
    assert log.stats.groups == 1  # one write for the whole turn
    assert log.stats.appended == 100
    await log.close()


async def test_the_reader_hands_events_on_in_order_across_segments(tmp_path: Path) -> None:
    log = await filled(tmp_path, 60, segment_bytes=2_000)  # a few events a segment
    assert len(segment_numbers(tmp_path)) > 5
    reader = EventLogReader(log)
    assert await drain(reader) == list(range(60))
    # Acknowledged segments are gone; only the one being written stays.
    assert segment_numbers(tmp_path) == [log.end.segment]
    assert reader.backlog_bytes() == 0
    await log.close()


async def test_what_was_not_acknowledged_is_read_again_after_a_restart(tmp_path: Path) -> None:
    log = await filled(tmp_path, 10)
    reader = EventLogReader(log)
    assert numbers(await reader.take(4, 0.05)) == [0, 1, 2, 3]
    await reader.ack()
    assert numbers(await reader.take(4, 0.05)) == [4, 5, 6, 7]
    # no ack: the process dies here (the writer is not even closed)
    again = await opened(tmp_path)
    assert read_position(tmp_path) is not None
    assert await drain(EventLogReader(again)) == [4, 5, 6, 7, 8, 9]
    # The old segment was read to its end and the new writer starts a fresh one.
    await again.append(event(10))
    assert await drain(EventLogReader(again)) == [10]
    await again.close()
    await log.close()


async def test_take_waits_for_an_append(tmp_path: Path) -> None:
    log = await opened(tmp_path)
    reader = EventLogReader(log)
    assert await reader.take(10, max_wait=0.01) == []
    asyncio.get_running_loop().call_later(0.02, log.append, event(1))
    assert numbers(await reader.take(10, max_wait=2)) == [1]
    await log.close()


async def test_rewind_offers_the_same_events_again(tmp_path: Path) -> None:
    log = await filled(tmp_path, 3)
    reader = EventLogReader(log)
    assert numbers(await reader.take(10, 0.05)) == [0, 1, 2]
    reader.rewind()
    assert numbers(await reader.take(10, 0.05)) == [0, 1, 2]
    await log.close()


async def test_a_torn_last_line_of_a_sealed_segment_is_handed_on_as_damaged(tmp_path: Path) -> None:
    log = await filled(tmp_path, 2)
    await log.close()
    with open(segment_path(tmp_path, segment_numbers(tmp_path)[-1]), "ab") as fh:
        fh.write(b'{"event_id": "trunc')  # a power cut in the middle of a write
    again = await opened(tmp_path)
    await again.append(event(2))
    damaged: list[bytes] = []
    assert await drain(EventLogReader(again), damaged) == [0, 1, 2]
    assert damaged == [b'{"event_id": "trunc']
    await again.close()


async def test_an_unwritable_folder_drops_and_counts_but_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")  # a file where the folder should be: even root cannot write there

    log = await opened(blocker / "events")
    assert await asyncio.gather(*(log.append(event(n)) for n in range(5))) == [False] * 5
    assert await log.append(event(5)) is False
    assert log.stats.dropped == 6
    assert log.stats.appended == 0
    assert log.stats.write_errors == 2  # one per group, not per click
    await log.close()


async def test_a_disk_that_fills_up_loses_no_whole_line(tmp_path: Path) -> None:
    """A write cut short (ENOSPC) is cut back off, so the lines around it stay whole."""

    log = await opened(tmp_path)
    await log.append(event(0))
    real_write = os.write
    calls = {"n": 0}

    def full_disk(fd: int, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return real_write(fd, bytes(data)[:10])  # half a line fits
        raise OSError(28, "No space left on device")

    os.write = full_disk  # type: ignore[assignment]
    try:
        await log.append(event(1))
    finally:
        os.write = real_write
    await log.append(event(2))
    assert log.stats.dropped == 1
    assert numbers(on_disk(tmp_path).splitlines()) == [0, 2]
    await log.close()


async def test_old_spool_segments_are_taken_into_the_log(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / "000000000001.jsonl").write_bytes(event(0) + b"\n" + event(1) + b"\n")
    (spool / "000000000002.jsonl").write_bytes(event(2) + b"\n")

    log = EventLog(tmp_path / "events", legacy_spool=spool)
    log.open()
    await log.append(event(3))
    assert await drain(EventLogReader(log)) == [0, 1, 2, 3]
    assert list(spool.iterdir()) == []
    await log.close()


async def test_metrics_see_the_backlog_and_its_age(tmp_path: Path) -> None:
    log = await opened(tmp_path)
    reader = EventLogReader(log)
    assert reader.backlog_bytes() == 0
    assert reader.oldest_age_seconds() == 0.0
    await log.append(event(0))
    assert reader.backlog_bytes() == len(event(0)) + 1
    assert reader.oldest_age_seconds() > 1_000_000  # event(0) is from 2023
    await drain(reader)
    assert reader.backlog_bytes() == 0
    assert read_position(tmp_path) == Position(log.end.segment, len(event(0)) + 1)
    await log.close()


async def test_an_earlier_versions_position_is_read_then_rewritten_in_place(tmp_path: Path) -> None:
    log = await opened(tmp_path, segment_bytes=4 * len(event(0)))
    for n in range(6):
        await log.append(event(n))
    first_reader = EventLogReader(log)
    assert numbers(await first_reader.take(max_items=2, max_wait=0.05)) == [0, 1]
    await first_reader.ack()
    first_reader.close()
    committed = read_position(tmp_path)
    assert committed is not None
    # The earlier format: "segment offset" with no padding, as a rename left it.
    (tmp_path / "position").write_text(f"{committed.segment} {committed.offset}\n")
    reader = EventLogReader(log)
    assert await drain(reader) == [2, 3, 4, 5]
    assert read_position(tmp_path) == Position(log.end.segment, log.end.offset)
    assert len((tmp_path / "position").read_bytes()) == 42  # one record, no stale tail
    assert segment_numbers(tmp_path) == [log.end.segment]  # sealed segments behind it are gone
    reader.close()
    await log.close()

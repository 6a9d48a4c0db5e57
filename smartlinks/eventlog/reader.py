"""The edge log's one reader: hands events on from a committed position.

In embedded mode the consumer reads the log this way; in distributed mode the Kafka
publisher does. ``take`` returns the next events (and moves a read position that lives
only in memory); ``ack`` says the events taken so far are safely handed on (inserted into
ClickHouse, or acknowledged by Kafka): the position is committed to disk and the segments
behind it are deleted. A crash between the two hands those events on again after the
restart; the consumer's de-duplication by event id counts each once.

The reader runs in the writer's process and learns from it how far whole events are
written, so it never sees half a group. Segments below the writer's current one are sealed
and read to their end; a last line without a newline there (torn by a power cut) is handed
on as it is and becomes a dead letter downstream, never a reason to stop.
"""

from __future__ import annotations

import contextlib
import os
import time

from smartlinks.eventlog.segments import (
    Position,
    PositionFile,
    read_position,
    segment_numbers,
    segment_path,
)
from smartlinks.eventlog.writer import EventLog
from smartlinks.waiting import wait_set

READ_BYTES = 4 * 1024 * 1024  # per read call; a batch of 10,000 clicks is ~3.5 MB


class EventLogReader:
    def __init__(self, log: EventLog) -> None:
        self.log = log
        self.folder = log.folder
        committed = read_position(self.folder)
        numbers = segment_numbers(self.folder)
        if committed is None or (numbers and committed.segment < numbers[0]):
            committed = Position(numbers[0] if numbers else 0, 0)
        self._committed = committed
        self._read = committed
        self._position_file = PositionFile(self.folder)
        # Segments below this one are deleted already: a commit inside one segment (the
        # common case) then lists no directory.
        self._deleted_below = -1
        self._fd = -1
        self._fd_segment = -1
        self.delivered = 0

    # -- consuming -----------------------------------------------------------------------

    async def take(self, max_items: int, max_wait: float) -> list[bytes]:
        """Up to ``max_items`` encoded events; waits at most ``max_wait`` s for the first."""
        lines = self._read_lines(max_items)
        if not lines:
            self.log.written_event.clear()
            lines = self._read_lines(max_items)  # written between the read and the clear
            if not lines and await wait_set(self.log.written_event, max_wait):
                lines = self._read_lines(max_items)
        self.delivered += len(lines)
        return lines

    async def ack(self) -> None:
        """Everything taken so far is handed on: commit, and delete what lies behind."""
        if self._read == self._committed:
            return
        self._committed = self._read
        self._position_file.write(self._committed)
        if self._committed.segment <= self._deleted_below:
            return
        for number in segment_numbers(self.folder):
            if number >= self._committed.segment:
                break
            with contextlib.suppress(FileNotFoundError):
                segment_path(self.folder, number).unlink()
        self._deleted_below = self._committed.segment

    def rewind(self) -> None:
        """Forget what was taken since the last ``ack``: the next ``take`` returns it again."""
        self._read = self._committed

    def close(self) -> None:
        self._close_fd()
        self._position_file.close()

    # -- reading -------------------------------------------------------------------------

    def _read_lines(self, max_items: int) -> list[bytes]:
        lines: list[bytes] = []
        while len(lines) < max_items:
            segment, offset = self._read
            end = self._end_of(segment)
            if end is None:  # no such file (none yet, or removed by hand): on to the next
                following = self._following(segment)
                if following is None:
                    break
                self._read = Position(following, 0)
                continue
            if offset >= end:
                following = self._following(segment)
                if following is None or segment == self.log.end.segment:
                    break  # caught up with the writer
                self._read = Position(following, 0)
                continue
            data = self._pread(segment, offset, min(end - offset, READ_BYTES))
            if not data:
                break
            if end - offset > len(data) or len(lines) + data.count(b"\n") >= max_items:
                # Only whole lines, and no more than wanted; a sealed segment's torn last
                # line (no newline) is whole by definition once it is all that is left.
                cut = _after_nth_newline(data, max_items - len(lines))
                if cut > 0:
                    data = data[:cut]
            self._read = Position(segment, offset + len(data))
            lines.extend(line for line in data.split(b"\n") if line)
        return lines

    def _end_of(self, segment: int) -> int | None:
        """How far ``segment`` may be read: the writer's size for its current segment,
        the file's size for a sealed one; None when there is no such file."""
        current = self.log.end
        if segment == current.segment:
            return current.offset
        try:
            return os.stat(segment_path(self.folder, segment)).st_size
        except FileNotFoundError:
            return None

    def _following(self, segment: int) -> int | None:
        current = self.log.end.segment
        later = [n for n in segment_numbers(self.folder) if n > segment]
        if later:
            return later[0]
        return current if current > segment else None

    def _pread(self, segment: int, offset: int, size: int) -> bytes:
        if self._fd_segment != segment:
            self._close_fd()
            self._fd = os.open(segment_path(self.folder, segment), os.O_RDONLY)
            self._fd_segment = segment
        return os.pread(self._fd, size, offset)

    def _close_fd(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._fd, self._fd_segment = -1, -1

    # -- what the metrics show -----------------------------------------------------------

    def backlog_bytes(self) -> int:
        """Bytes written but not yet handed on (committed)."""
        total = 0
        committed = self._committed
        for number in segment_numbers(self.folder):
            if number < committed.segment:
                continue
            with contextlib.suppress(FileNotFoundError):
                size = os.stat(segment_path(self.folder, number)).st_size
                total += size - committed.offset if number == committed.segment else size
        return max(total, 0)

    def oldest_age_seconds(self) -> float:
        """Age of the oldest event not yet handed on (0 when there is none)."""
        position: Position | None = self._committed
        head = b""
        while position is not None and not head:
            try:
                with open(segment_path(self.folder, position.segment), "rb") as file:
                    file.seek(position.offset)
                    head = file.read(4096)
            except OSError:
                pass
            following = self._following(position.segment)
            position = Position(following, 0) if following is not None and not head else None
        ts = _ts_of(head)
        return max(0.0, time.time() - ts / 1000) if ts else 0.0


def _after_nth_newline(data: bytes, n: int) -> int:
    """The index just after the ``n``-th newline of ``data``, or after its last one if it
    has fewer; 0 when it has none."""
    if data.count(b"\n") <= n:
        return data.rfind(b"\n") + 1
    cut = 0
    for _ in range(n):
        found = data.find(b"\n", cut)
        if found < 0:
            break
        cut = found + 1
    return cut


def _ts_of(line: bytes) -> int:
    start = line.find(b'"ts":')
    if start < 0:
        return 0
    end = start + 5
    while end < len(line) and line[end : end + 1].isdigit():
        end += 1
    try:
        return int(line[start + 5 : end])
    except ValueError:
        return 0

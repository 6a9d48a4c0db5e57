"""The edge log's writer: every answered click is on disk before its response leaves.

``append`` is the redirect hot path. It adds the encoded event to the group of this
event-loop turn and returns the group's future; the first append of a turn schedules one
``write`` of the whole group for the next turn, and the redirect awaits that future before
it sends its response. A killed process (SIGKILL, the OOM killer) therefore loses no
answered click: once ``write`` returned, the page cache holds it and the kernel writes it
out whatever becomes of the process. One write per turn instead of one per click: ~0.1 µs
a line instead of ~0.5 µs (measured here, 300-byte lines).

What a power cut may lose is set by ``fsync_ms``:

- ``0``: the group is ``fdatasync``-ed before its responses are sent (in a thread, so that
  the next group gathers meanwhile: group commit). Nothing answered is lost.
- ``N > 0``: a background thread syncs at most every N ms; a power cut loses at most the
  clicks answered in the last N ms (plus what the disk itself had not written).

A full or unwritable disk never stops a redirect: the group is counted as dropped, the
failure is logged once per ``LOG_EVERY`` seconds, and the next group tries again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from smartlinks.eventlog.segments import (
    Position,
    adopt_legacy_spool,
    segment_numbers,
    segment_path,
    sync_directory,
)

log = logging.getLogger(__name__)

SEGMENT_BYTES = 16 * 1024 * 1024
LOG_EVERY = 10.0  # seconds between two log lines about the same failure


@dataclass(slots=True)
class LogStats:
    appended: int = 0  # events written to the log
    dropped: int = 0  # events answered but not written (disk full or unwritable)
    write_errors: int = 0
    sync_errors: int = 0
    groups: int = 0  # writes (one per event-loop turn with clicks)


class EventLog:
    """Appends encoded events to segment files in ``folder``. One writer per folder."""

    def __init__(
        self,
        folder: Path,
        fsync_ms: int = 1000,
        segment_bytes: int = SEGMENT_BYTES,
        legacy_spool: Path | None = None,
    ) -> None:
        self.folder = folder
        self.fsync_ms = fsync_ms
        self.segment_bytes = segment_bytes
        self.stats = LogStats()
        # Set after every write that added events; the in-process reader waits on it.
        self.written_event = asyncio.Event()
        self._legacy_spool = legacy_spool
        self._pending: list[bytes] = []
        self._group: asyncio.Future[bool] | None = None
        self._awaiting_sync: list[asyncio.Future[bool]] = []
        self._syncing = False
        self._fd = -1
        self._segment = 0  # number of the segment being written (0: none yet)
        self._size = 0
        self._next = 1
        self._unsynced = False
        self._last_complaint = 0.0
        self._dropped_since_complaint = 0
        # One thread for every sync and close, so they run in the order they were asked for.
        self._syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventlog-sync")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sync_task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def open(self) -> None:
        """Find where the log stands; the first write starts a fresh segment."""
        self._loop = asyncio.get_running_loop()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            # Redirects go on: every group tries again, and counts what it cannot write.
            log.error(
                "the click log's folder %s cannot be made (%s); clicks are not recorded", self.folder, exc
            )
        numbers = segment_numbers(self.folder)
        self._next = (numbers[-1] + 1) if numbers else 1
        if self._legacy_spool is not None and self._legacy_spool.is_dir():
            self._next = adopt_legacy_spool(self._legacy_spool, self.folder, self._next)
        if self.fsync_ms > 0:
            self._sync_task = asyncio.create_task(self._sync_periodically(), name="eventlog-sync")

    async def close(self) -> None:
        """Write what is pending, sync it and close (after the server stopped answering)."""
        if self._pending:
            self._flush()
        if self._sync_task is not None:
            self._sync_task.cancel()
        fd, self._fd = self._fd, -1
        loop = asyncio.get_running_loop()
        if fd >= 0:
            await loop.run_in_executor(self._syncer, self._sync_and_close, fd)
        # That last sync covered every group still waiting for one.
        waiters, self._awaiting_sync = self._awaiting_sync, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(True)
        self._syncer.shutdown(wait=True)

    # -- the hot path --------------------------------------------------------------------

    def append(self, line: bytes) -> asyncio.Future[bool]:
        """Add one encoded event (no newline); await the result before answering: True once
        its group is written, False when it could not be (a redirect answers all the same;
        the API refuses events it could not keep)."""
        pending = self._pending
        pending.append(line)
        group = self._group
        if group is None:
            loop = self._loop
            assert loop is not None, "EventLog.open() was not called"
            group = self._group = loop.create_future()
            loop.call_soon(self._flush)
        return group

    def _flush(self) -> None:
        lines, self._pending = self._pending, []
        group, self._group = self._group, None
        assert group is not None
        self.stats.groups += 1
        written = self._write(b"\n".join(lines) + b"\n", len(lines))
        if written:
            self._unsynced = True
            self.written_event.set()
        if written and self.fsync_ms == 0:
            self._awaiting_sync.append(group)
            if not self._syncing:
                self._start_sync()
        else:
            group.set_result(written)

    def _write(self, data: bytes, count: int) -> bool:
        start = self._size
        try:
            if self._fd < 0 or self._size >= self.segment_bytes:
                self._start_segment()
            view = memoryview(data)
            written = os.write(self._fd, view)
            while written < len(data):  # a short write: the disk is filling up
                written += os.write(self._fd, view[written:])
        except OSError as exc:
            self._undo_partial_write(start)
            self._complain(exc, count)
            return False
        self._size += len(data)
        self.stats.appended += count
        return True

    # -- segments and failures ---------------------------------------------------------

    def _start_segment(self) -> None:
        number = self._next
        path = segment_path(self.folder, number)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except FileNotFoundError:  # the folder could not be made at start, or was removed
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        old, self._fd = self._fd, fd
        self._segment, self._size, self._next = number, 0, number + 1
        if old >= 0:
            self._syncer.submit(self._sync_and_close, old)
        self._syncer.submit(self._sync_folder)

    def _undo_partial_write(self, start: int) -> None:
        """Cut a half-written group off, so that no torn line sits between whole ones."""
        if self._fd < 0:
            return
        try:
            os.ftruncate(self._fd, start)
        except OSError:
            # Could not cut it: seal the segment with the torn line at its end, where the
            # reader hands it on as one damaged event, and write on in a new one.
            self._size = self.segment_bytes

    def _complain(self, exc: OSError, dropped: int) -> None:
        self.stats.dropped += dropped
        self.stats.write_errors += 1
        self._dropped_since_complaint += dropped
        now = time.monotonic()
        if now - self._last_complaint >= LOG_EVERY:
            log.error(
                "the click log in %s cannot be written (%s); redirects go on, %d clicks not recorded"
                " since the last report",
                self.folder,
                exc,
                self._dropped_since_complaint,
            )
            self._last_complaint = now
            self._dropped_since_complaint = 0

    # -- syncing -------------------------------------------------------------------------

    def _start_sync(self) -> None:
        assert self._loop is not None
        waiters, self._awaiting_sync = self._awaiting_sync, []
        if self._fd < 0:  # closed meanwhile: close() synced everything
            for waiter in waiters:
                waiter.set_result(True)
            return
        self._syncing = True
        self._unsynced = False
        done = self._loop.run_in_executor(self._syncer, self._sync, self._fd)

        def synced(_: object) -> None:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(True)
            self._syncing = False
            if self._awaiting_sync:  # groups written while this sync ran
                self._start_sync()

        done.add_done_callback(synced)

    async def _sync_periodically(self) -> None:
        assert self._loop is not None
        while True:
            await asyncio.sleep(self.fsync_ms / 1000)
            if self._unsynced and self._fd >= 0:
                self._unsynced = False
                await self._loop.run_in_executor(self._syncer, self._sync, self._fd)

    def _sync(self, fd: int) -> None:
        try:
            os.fdatasync(fd)
        except OSError as exc:
            self.stats.sync_errors += 1
            log.error("syncing the click log failed: %s", exc)

    def _sync_and_close(self, fd: int) -> None:
        self._sync(fd)
        os.close(fd)

    def _sync_folder(self) -> None:
        try:
            sync_directory(self.folder)
        except OSError as exc:
            self.stats.sync_errors += 1
            log.error("syncing the click log's folder failed: %s", exc)

    # -- what the reader needs -----------------------------------------------------------

    @property
    def end(self) -> Position:
        """How far whole events are written: (current segment, its size)."""
        return Position(self._segment, self._size)

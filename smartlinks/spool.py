"""An append-only spool of encoded events on local disk.

When the event bus cannot keep up (or Kafka is down), events overflow here instead of
being dropped or blocking a redirect. Each line is one JSON event. The current segment
stays open and each event is one unbuffered ``write``: once it returns, the event is in
the kernel and survives a crash of the process. Segments rotate on size; a reader takes
whole segments (closing the current one), so a crash loses at most a half-written last
line, and ``done`` removes a segment only once its events are safely handed on.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

SEGMENT_BYTES = 16 * 1024 * 1024


class Spool:
    def __init__(self, folder: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.folder = folder
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._fd = -1
        self._current: Path | None = None
        self._current_size = 0
        folder.mkdir(parents=True, exist_ok=True)
        # Segments on disk, oldest first; kept in memory so the hot path never lists a folder.
        self._segments = sorted(folder.glob("*.jsonl"), key=lambda p: int(p.stem))
        self._next = int(self._segments[-1].stem) + 1 if self._segments else 1

    def append(self, line: bytes) -> None:
        with self._lock:
            if self._fd < 0 or self._current_size >= self.segment_bytes:
                self._open_segment()
            self._current_size += os.write(self._fd, line + b"\n")

    def append_many(self, lines: list[bytes]) -> None:
        if lines:
            with self._lock:
                if self._fd < 0 or self._current_size >= self.segment_bytes:
                    self._open_segment()
                self._current_size += os.write(self._fd, b"\n".join(lines) + b"\n")

    def _open_segment(self) -> None:
        self._close_segment()
        self._current = self.folder / f"{self._next:012d}.jsonl"
        self._next += 1
        self._fd = os.open(self._current, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._current_size = 0
        self._segments.append(self._current)

    def _close_segment(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = -1
        self._current = None

    def close(self) -> None:
        with self._lock:
            self._close_segment()

    def size_bytes(self) -> int:
        with self._lock:
            segments = list(self._segments)
        return sum(p.stat().st_size for p in segments if p.exists())

    def pending(self, skip: list[Path] | None = None) -> bool:
        with self._lock:
            return any(not skip or p not in skip for p in self._segments)

    def take_segment(self, skip: list[Path] | None = None) -> tuple[Path, list[bytes]] | None:
        """The oldest segment's lines (closing the current one if it is that one),
        passing over the segments in ``skip`` (taken but not yet done).

        Call ``done(path)`` once its events are safely handed on."""
        with self._lock:
            segments = [p for p in self._segments if not skip or p not in skip]
            if not segments:
                return None
            oldest = segments[0]
            if oldest == self._current:
                self._close_segment()  # later appends start a new segment
        lines = [line for line in oldest.read_bytes().split(b"\n") if line]
        return oldest, lines

    def done(self, segment: Path) -> None:
        with self._lock:
            if segment in self._segments:
                self._segments.remove(segment)
        segment.unlink(missing_ok=True)
        # make the unlink durable before we forget about the events
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

"""An append-only spool of encoded events on local disk.

When the event bus cannot keep up (or, later, Kafka is down), events overflow here instead
of being dropped or blocking a redirect. Each line is one JSON event. Segments rotate on
size; a reader takes whole closed segments, so a crash loses at most the half-written
last line and never a shipped event twice from the same process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

SEGMENT_BYTES = 16 * 1024 * 1024


class Spool:
    def __init__(self, folder: Path, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.folder = folder
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._current: Path | None = None
        self._current_size = 0
        folder.mkdir(parents=True, exist_ok=True)
        existing = self._segments()
        self._next = (int(existing[-1].stem) + 1) if existing else 1

    def _segments(self) -> list[Path]:
        return sorted(self.folder.glob("*.jsonl"), key=lambda p: int(p.stem))

    def append(self, line: bytes) -> None:
        with self._lock:
            if self._current is None or self._current_size >= self.segment_bytes:
                self._current = self.folder / f"{self._next:012d}.jsonl"
                self._next += 1
                self._current_size = 0
            with open(self._current, "ab") as fh:
                fh.write(line + b"\n")
            self._current_size += len(line) + 1

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self._segments())

    def pending(self, skip: list[Path] | None = None) -> bool:
        return any(not skip or p not in skip for p in self.folder.glob("*.jsonl"))

    def take_segment(self, skip: list[Path] | None = None) -> tuple[Path, list[bytes]] | None:
        """The oldest segment's lines (closing the current one if it is the only one),
        passing over the segments in ``skip`` (taken but not yet done).

        Call ``done(path)`` once its events are safely handed on."""
        with self._lock:
            segments = [p for p in self._segments() if not skip or p not in skip]
            if not segments:
                return None
            oldest = segments[0]
            if oldest == self._current:
                self._current = None  # later appends start a new segment
        lines = [line for line in oldest.read_bytes().split(b"\n") if line]
        return oldest, lines

    def done(self, segment: Path) -> None:
        segment.unlink(missing_ok=True)
        # make the unlink durable before we forget about the events
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def __iter__(self) -> Iterator[Path]:
        return iter(self._segments())

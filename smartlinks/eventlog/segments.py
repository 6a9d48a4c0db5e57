"""The on-disk layout of the edge log: numbered segment files of JSON lines, and the one
reader's committed position.

``<folder>/00000000000000000042.log`` holds events, one JSON object a line, in the order
they were answered. A writer never appends to a segment it did not create, so every segment
below the writer's current one is sealed: complete but for a line torn by a power loss.
``<folder>/position`` says how far the reader has handed events on (segment, byte offset).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import NamedTuple

SUFFIX = ".log"
POSITION_FILE = "position"
# Where the bounded in-memory bus of earlier versions spilled its events: still unsent
# clicks there are taken into the log at start, so an upgrade loses none.
LEGACY_SPOOL_SUFFIX = ".jsonl"


class Position(NamedTuple):
    segment: int
    offset: int


def segment_path(folder: Path, number: int) -> Path:
    return folder / f"{number:020d}{SUFFIX}"


def segment_numbers(folder: Path) -> list[int]:
    """The segments in ``folder``, oldest first (none when it cannot be read)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    stems = (name[: -len(SUFFIX)] for name in names if name.endswith(SUFFIX))
    return sorted(int(stem) for stem in stems if stem.isdigit())


def read_position(folder: Path) -> Position | None:
    try:
        segment, offset = (folder / POSITION_FILE).read_text().split()
        return Position(int(segment), int(offset))
    except (OSError, ValueError):
        # Missing or damaged: the reader starts at the oldest segment and events are
        # handed on again, which the consumer's de-duplication by event id absorbs.
        return None


class PositionFile:
    """The committed position, rewritten in place by one ``pwrite`` of a fixed-width record.

    A busy reader commits hundreds of times a second (after every batch Kafka or ClickHouse
    took); writing a temporary file and renaming it over the old one cost a quarter of a
    loaded redirector's CPU on Kafka (py-spy, bench/redirect_bench.py conditions). One
    42-byte write at offset 0 is all or nothing for a killed process; a power cut that
    tears it leaves a record ``read_position`` refuses, and the reader starts again at the
    oldest segment: events handed on twice, which de-duplication absorbs, never one lost.
    Not synced, for the same reason."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / POSITION_FILE
        self._fd = -1  # opened at the first commit: a log that cannot be written still starts

    def write(self, position: Position) -> None:
        if self._fd < 0:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        # Never shorter than an earlier record (the longest this format allows), so no
        # stale tail can follow it.
        os.pwrite(self._fd, b"%020d %020d\n" % position, 0)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def adopt_legacy_spool(spool: Path, folder: Path, first_number: int) -> int:
    """Move an old spool's segments into the log as segments ``first_number``, ``first_number
    + 1``, …, oldest first; return the next free number. The formats are the same JSON lines."""
    with contextlib.suppress(OSError):
        for old in sorted(spool.glob("*" + LEGACY_SPOOL_SUFFIX), key=lambda p: p.stem):
            old.replace(segment_path(folder, first_number))
            first_number += 1
    return first_number


def sync_directory(folder: Path) -> None:
    """Make created and removed segment names durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""The progress bar of ``smartlinks import``, drawn by rich on standard error (so a
script that reads the summary on standard output is not disturbed); none when standard
error is not a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[int], None]]:
    """A bar of ``total`` rows; the callable it gives advances it by that many rows."""
    console = Console(stderr=True)
    with Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("import", total=total)
        yield lambda rows: progress.advance(task, rows)

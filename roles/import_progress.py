"""The progress bars of the long commands (``smartlinks import``, ``smartlinks demo``),
drawn by rich on standard error (so a script that reads the summary on standard output is
not disturbed); none when standard error is not a terminal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

# ``phase(name, total)`` adds a bar and gives the callable that sets how far it is.
Phase = Callable[[str, int], Callable[[int], None]]


@contextmanager
def phases(label: str = "{task.description:<22}", *, remaining: bool = False) -> Iterator[Phase]:
    """Bars one under the other, each headed by ``label`` (a rich format of the task), with
    the time left (``remaining``) or the time spent so far."""
    console = Console(stderr=True)
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn() if remaining else TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as progress:

        def phase(name: str, total: int) -> Callable[[int], None]:
            task = progress.add_task(name, total=total)
            return lambda done: progress.update(task, completed=done)

        yield phase


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[int], None]]:
    """A bar of ``total`` rows; the callable it gives advances it by that many rows."""
    with phases("importing", remaining=True) as phase:
        moved_to = phase("import", total)
        done = 0

        def advance(rows: int) -> None:
            nonlocal done
            done += rows
            moved_to(done)

        yield advance

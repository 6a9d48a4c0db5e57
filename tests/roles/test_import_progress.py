"""The long commands' progress bars: drawn on standard error when it is a terminal, never
on standard output, and not at all when standard error is not a terminal."""

from __future__ import annotations

import pytest

from roles.import_progress import phases, progress_bar


def test_the_import_bar_counts_the_rows_it_is_told_of(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    with progress_bar(10) as advance:
        advance(3)
        advance(7)
    drawn = capsys.readouterr()
    assert drawn.out == ""
    assert "importing" in drawn.err
    assert "10/10" in drawn.err


def test_the_demo_bars_stand_one_under_the_other_at_how_far_each_is(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    with phases() as phase:
        phase("clicks written", 5)(5)
        phase("clicks stored", 5)(2)
    drawn = capsys.readouterr()
    assert drawn.out == ""
    last = drawn.err.rsplit("\x1b[1A", 1)[-1]  # the final frame: both bars
    assert "clicks written" in last and "5/5" in last
    assert "clicks stored" in last and "2/5" in last


def test_no_bar_when_standard_error_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    with progress_bar(4) as advance, phases() as phase:
        advance(4)
        phase("clicks written", 4)(4)
    assert capsys.readouterr() == ("", "")

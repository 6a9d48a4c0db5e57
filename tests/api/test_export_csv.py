"""The cells of an exported CSV: a spreadsheet must never read one as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from api.export_csv import cell, lines


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\r=x"])
def test_a_cell_a_spreadsheet_would_run_is_text(text: str) -> None:
    assert cell(text) == "'" + text


def test_other_values_are_as_they_are() -> None:
    assert [cell(v) for v in ("a=b", "", None, True, False, 0, -5, -23.53289985, 13.4)] == [
        "a=b", "", "", "true", "false", "0", "-5", "-23.5329", "13.4000",
    ]  # fmt: skip


def test_lines_are_rfc_4180() -> None:
    text = lines([("a,b", 'say "hi"', "two\nlines", "=x")]).decode()
    assert text == '"a,b","say ""hi""","two\nlines",\'=x\r\n'
    assert next(csv.reader(io.StringIO(text))) == ["a,b", 'say "hi"', "two\nlines", "'=x"]

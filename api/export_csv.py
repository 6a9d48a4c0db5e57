"""CSV as the export endpoints write it: RFC 4180 (CRLF, quotes where needed), UTF-8
without a byte-order mark, and every cell made safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
some spreadsheets skip before reading a formula) is a formula to Excel, LibreOffice and
Google Sheets: a title or a destination someone else chose could run one. Such a cell gets
a leading ``'`` (OWASP's advice), which spreadsheets show as text and hide. Numbers the
export writes itself (coordinates, counts) are never text a client chose and are left as
they are, so ``-23.5`` stays a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | bool | None


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def cell(value: Cell) -> str:
    """A value as the CSV shows it: None empty, booleans true/false, text made safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Coordinates, stored as Float32: four decimals (about 11 m) is all they hold.
        return f"{value:.4f}"
    if isinstance(value, int):
        return str(value)
    return safe_text(value)


def lines(rows: Iterable[Sequence[Cell]]) -> bytes:
    """Rows as CSV lines, encoded: one chunk of the streamed body."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode()


def attachment(filename: str) -> dict[str, str]:
    """The headers of a CSV download named ``filename`` (plain ASCII, no quotes)."""
    return {"Content-Disposition": f'attachment; filename="{filename}"'}

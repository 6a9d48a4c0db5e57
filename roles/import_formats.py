"""The link files ``smartlinks import`` reads: a row of each format as the body of a
link create (``POST /api/v1/links``), which the importer then checks exactly as the API
does.

Header names are matched without regard to case, spaces, dashes or underscores
(``Long URL`` = ``long_url`` = ``longUrl``). Columns not named here are ignored; so are
creation times and click counts, which a new link cannot carry over.

- ``csv``: ``url`` (or ``destination_url``), ``code``, ``title``; optional ``campaign``,
  ``contact_id``, ``tags``, ``expires_at`` (RFC 3339). ``smartlinks``'s own link export
  (``GET /api/v1/links/export``) reads back as this format.
- ``shlink``: Shlink's CSV export: ``longUrl``, ``shortCode`` (else the last segment of
  ``shortUrl``), ``title``, ``tags``, ``validUntil``.
- ``yourls``: YOURLS's export: ``keyword``, ``url``, ``title`` (then ``timestamp``,
  ``ip``, ``clicks``); with or without its header row.
- ``bitly``: Bitly's CSV export: ``long_url``, the custom back-half (``custom_bitlinks``
  or ``custom back-half``; the first one) else the back-half of ``link``/``bitlink``,
  ``title``, ``tags``.

``tags`` is split on ``|`` (as the export writes it), or on ``,`` when there is no ``|``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

FORMATS = ("csv", "shlink", "yourls", "bitly")
_NOT_NAME = re.compile(r"[\s_-]+")
YOURLS_COLUMNS = ("keyword", "url", "title", "timestamp", "ip", "clicks")


class FileError(ValueError):
    """The file as a whole cannot be read as the format says (a required column missing)."""


@dataclass(frozen=True, slots=True)
class SourceRow:
    number: int  # as a spreadsheet numbers it: the header is row 1
    body: dict[str, Any]  # a link create's body; "code" None when the file has none

    @property
    def code(self) -> str:
        return str(self.body.get("code") or "")


def _key(name: str) -> str:
    return _NOT_NAME.sub("", name).lower()


def _tags(raw: str) -> list[str] | None:
    raw = raw.strip()
    if not raw:
        return None
    parts = raw.split("|") if "|" in raw else raw.split(",")
    return [part.strip() for part in parts if part.strip()]


def _back_half(link: str) -> str:
    """The code of a short URL as a file names it: ``bit.ly/3abcXYZ`` or ``https://s.example/abc``."""
    link = link.strip()
    if not link:
        return ""
    path = urlsplit(link if "//" in link else "//" + link).path
    return path.rstrip("/").rsplit("/", 1)[-1]


def _first(row: dict[str, str], *names: str) -> str:
    for name in names:
        value = row.get(_key(name), "")
        if value.strip():
            return value.strip()
    return ""


def _body(url: str, code: str, title: str, **optional: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"destination_url": url, "code": code or None, "title": title or None}
    body.update({name: value for name, value in optional.items() if value})
    return body


def _csv_row(row: dict[str, str]) -> dict[str, Any]:
    return _body(
        _first(row, "url", "destination_url"),
        _first(row, "code"),
        _first(row, "title"),
        campaign=_first(row, "campaign"),
        contact_id=_first(row, "contact_id"),
        tags=_tags(_first(row, "tags")),
        expires_at=_first(row, "expires_at"),
    )


def _shlink_row(row: dict[str, str]) -> dict[str, Any]:
    return _body(
        _first(row, "longUrl"),
        _first(row, "shortCode") or _back_half(_first(row, "shortUrl")),
        _first(row, "title"),
        tags=_tags(_first(row, "tags")),
        expires_at=_first(row, "validUntil"),
    )


def _yourls_row(row: dict[str, str]) -> dict[str, Any]:
    return _body(_first(row, "url"), _first(row, "keyword"), _first(row, "title"))


def _bitly_row(row: dict[str, str]) -> dict[str, Any]:
    custom = _first(row, "custom_bitlinks", "custom back-half", "custom_back_half", "custom bitlink")
    custom = custom.replace("|", ",").split(",")[0]
    return _body(
        _first(row, "long_url"),
        _back_half(custom) or _back_half(_first(row, "link", "bitlink")),
        _first(row, "title"),
        tags=_tags(_first(row, "tags")),
    )


# Per format: the row reader, and the columns a file must have (any one of each group).
_READERS: dict[str, tuple[Callable[[dict[str, str]], dict[str, Any]], tuple[tuple[str, ...], ...]]] = {
    "csv": (_csv_row, (("url", "destination_url"), ("code",), ("title",))),
    "shlink": (_shlink_row, (("longUrl",),)),
    "yourls": (_yourls_row, (("keyword",), ("url",))),
    "bitly": (_bitly_row, (("long_url",),)),
}


def read_rows(file: TextIO, fmt: str) -> Iterator[SourceRow]:
    """The rows of an opened file, one at a time; raises FileError before the first if the
    header lacks a required column."""
    reader, required = _READERS[fmt]
    rows = csv.reader(file)
    header = next(rows, None)
    if header is None:
        return
    first_data: list[str] | None = None
    if fmt == "yourls" and _key(header[0]) != "keyword":
        first_data, header = header, list(YOURLS_COLUMNS)  # an export without its header row
    names = [_key(name) for name in header]
    missing = [group[0] for group in required if not any(_key(name) in names for name in group)]
    if missing:
        raise FileError(f"the {fmt} format needs the column(s) {', '.join(missing)}; the file has {header}")
    number = 1
    pending = [first_data] if first_data is not None else []
    for values in _chain(pending, rows):
        number += 1
        if not any(value.strip() for value in values):
            continue  # a blank line, as spreadsheets leave at the end
        yield SourceRow(number, reader(dict(zip(names, values, strict=False))))


def _chain(first: list[list[str]], rest: Iterator[list[str]]) -> Iterator[list[str]]:
    yield from first
    yield from rest


def count_rows(path: Path) -> int:
    """How many data rows a file has, for the progress bar (a quick first pass)."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        return max(sum(1 for _ in csv.reader(file)) - 1, 0)

"""A set of links as query parameters: how thousands of link ids reach ClickHouse.

The SQL names a set of links as ``{links:Array(String)}`` (see ``sql.py``); ``LinkSet.bind``
puts the set's ids in its place, formatted once for all the queries of a request:

- Ids that need no escaping (ours are hex) go as one comma-separated ``String`` that the
  statement splits: clickhouse-connect escapes strings character by character in Python
  (20 ms for 10,000 ids), which it skips for any other type (formatted with ``str()``),
  and the server parses one string in 5 ms where an ``Array(String)`` of 10,000 takes 20.
  Other ids go as an ``Array(String)`` the usual way.
- A ClickHouse server refuses an HTTP parameter over 128 KiB (``http_max_field_value_size``,
  read from the server's defaults, not per query), about 3,700 of our ids. A bigger set
  is split over several parameters that the statement joins with ``arrayConcat``.

Either way ClickHouse folds the expression into one constant set, and the primary key
still selects the granules of the set's links (``EXPLAIN indexes = 1``). Building that
set costs about 10 ms per 10,000 ids in each ``IN`` of a statement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from smartlinks.query_parameters import MAX_PARAMETER_CHARS

PLACEHOLDER = "{links:Array(String)}"
_PLAIN = re.compile(r"[0-9A-Za-z_-]+")


class LinkSet:
    def __init__(self, link_ids: Sequence[str]) -> None:
        self.ids = list(link_ids)
        self.params: dict[str, Any] = {}
        parts = []
        for n, (plain, part) in enumerate(_parts(self.ids)):
            name = f"links_{n}"
            if plain:
                self.params[name] = _Unescaped(",".join(part))
                parts.append(f"splitByChar(',', {{{name}:String}})")
            else:
                self.params[name] = part
                parts.append(f"{{{name}:Array(String)}}")
        if not parts:
            parts.append("CAST([], 'Array(String)')")
        self.expression = parts[0] if len(parts) == 1 else f"arrayConcat({', '.join(parts)})"

    def __len__(self) -> int:
        return len(self.ids)

    def bind(self, query: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """``query`` and its parameters with this set in place of every placeholder."""
        if len(self.ids) == 1:
            # One link (a link's own page): an equality, which ClickHouse checks on the
            # rows it reads for less than a one-element IN (about 5 ms less per statement
            # over the 175,000 rows of a 15-minute rollup).
            query = query.replace(f"link_id IN {PLACEHOLDER}", "link_id = {link_0:String}")
            params = {**params, "link_0": self.ids[0]}
        return query.replace(PLACEHOLDER, self.expression), {**params, **self.params}


class _Unescaped:
    """Text clickhouse-connect passes on as it is (it needs no escaping)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


def _parts(ids: list[str]) -> list[tuple[bool, list[str]]]:
    """The ids in runs of one kind (plain or not) of at most ``MAX_PARAMETER_CHARS`` characters
    once formatted (an id that needs escaping is counted at twice its length, the worst
    case, plus quotes and a comma)."""
    parts: list[tuple[bool, list[str]]] = []
    size = MAX_PARAMETER_CHARS
    for link_id in ids:
        plain = _PLAIN.fullmatch(link_id) is not None
        cost = len(link_id) + 1 if plain else 2 * len(link_id) + 3
        if size + cost > MAX_PARAMETER_CHARS or parts[-1][0] != plain:
            parts.append((plain, []))
            size = 0
        parts[-1][1].append(link_id)
        size += cost
    return parts

"""Lists sent to ClickHouse as one query parameter, split to fit a server's limit.

A ClickHouse server refuses an HTTP query parameter over 128 KiB
(``http_max_field_value_size``, read from the server's defaults, not per query). A list
of ids sent as one ``Array`` parameter passes that at a few thousand ids: a funnel batch
or a ``POST /events`` of 10,000 events with ids of 13 characters is 170 KiB. Refused, the
query would fail the request, or stall the consumer retrying the same batch for ever.
chDB has no such limit, so only a server shows it; callers send each list in the batches
``parameter_batches`` makes, one query each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

# Characters of one parameter: 128 KiB less room for the brackets and a margin.
MAX_PARAMETER_CHARS = 120_000
# A UUID in an Array(UUID): 36 characters, its quotes and ", ".
UUID_CHARS = 40


def string_chars(text: str) -> int:
    """The most a string takes in an ``Array(String)`` parameter: its UTF-8 bytes, quotes
    and separator, and as much again when it holds what is escaped (quotes, backslashes,
    control characters)."""
    size = len(text) if text.isascii() else len(text.encode())
    if "'" in text or "\\" in text or not text.isprintable():
        size *= 2
    return size + 4


def pair_chars(pair: tuple[str, str]) -> int:
    """A ``(String, String)`` tuple in an ``Array(Tuple(String, String))``."""
    return string_chars(pair[0]) + string_chars(pair[1]) + 2


def parameter_batches(values: Iterable[T], chars: Callable[[T], int]) -> Iterator[list[T]]:
    """``values``, in order, in batches whose parameter text (``chars`` of each value)
    stays under ``MAX_PARAMETER_CHARS``; a value bigger than that alone goes alone."""
    batch: list[T] = []
    used = 0
    for value in values:
        size = chars(value)
        if batch and used + size > MAX_PARAMETER_CHARS:
            yield batch
            batch, used = [], 0
        batch.append(value)
        used += size
    if batch:
        yield batch

"""Finding the links in a campaign message: where each http(s) URL starts and ends.

A message is written for people, so a URL is often followed by punctuation that is not
part of it ("see https://x.com/a." or "(https://x.com/a)"), or wrapped in WhatsApp
formatting ("*https://x.com*", "_https://x.com/a_b_"). The rules, like those of chat apps
that make links clickable:

- a URL starts at ``http://`` or ``https://`` (any case) and runs to whitespace or one of
  ``<>"`` and the backtick;
- trailing characters that end a sentence or close formatting are not part of it:
  ``.,;:!?'*_~`` and non-ASCII punctuation and symbols (``…``, ``»``, ``”``, ``。``, emoji);
- a closing ``)``, ``]`` or ``}`` is part of it only when the URL opened one too, so a
  Wikipedia link ``.../Foo_(bar)`` keeps its parenthesis and ``(see https://x.com)`` does not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

_CANDIDATE = re.compile(r"https?://[^\s<>\"`]+", re.IGNORECASE)
_TRAILING = frozenset(".,;:!?'*_~")
_CLOSERS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True, slots=True)
class FoundURL:
    start: int
    end: int
    url: str


def find_urls(text: str) -> Iterator[FoundURL]:
    for match in _CANDIDATE.finditer(text):
        url = _trim(match.group())
        if len(url) > url.index("://") + 3:  # something after the scheme
            yield FoundURL(match.start(), match.start() + len(url), url)


def _trim(url: str) -> str:
    while url and _ends_outside(url):
        url = url[:-1]
    return url


def _ends_outside(url: str) -> bool:
    """Whether the last character belongs to the text around the URL, not to the URL."""
    last = url[-1]
    if last in _CLOSERS:
        return url.count(_CLOSERS[last]) < url.count(last)
    return last in _TRAILING or (not last.isascii() and _is_punctuation_or_symbol(last))


def _is_punctuation_or_symbol(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"

"""Field types shared by the API's bodies: an id, a timestamp, a count, free text."""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from msgspec import Meta

# The decoder's patterns end in \Z: Python's $ also matches before a final newline, which
# would let "title\n" through. The document shows them ending in $ (ECMA's $ is the true
# end): api.bodies.components rewrites the ending.
END = r"\Z"
# Control characters break CSV exports and terminal output: free text refuses them.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS = CONTROL.pattern[1:-1]
NO_CONTROL = f"^[^{_CONTROLS}]*{END}"
# ... with at least one character that is not white space (str.isspace, less the controls
# above): what a field that must say something (a key's name, an event's id) requires.
_SPACE = r"\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK = f"^[^{_CONTROLS}]*[^{_CONTROLS}{_SPACE}][^{_CONTROLS}]*{END}"
ID_PATTERN = f"^[0-9a-f]{{32}}{END}"


class Body(msgspec.Struct, forbid_unknown_fields=True):
    """Base of every body: a closed object, in the document as in the decoder."""


Id = Annotated[str, Meta(pattern=ID_PATTERN, description="32 lowercase hex characters.")]
# Written by the server from a datetime as RFC 3339 in UTC to the millisecond
# (smartlinks.models.rfc3339), so a string: msgspec would write microseconds.
Time = Annotated[
    str,
    Meta(
        description="RFC 3339 in UTC, e.g. 2030-01-31T12:00:00.000Z.",
        extra_json_schema={"format": "date-time"},
    ),
]
Count = Annotated[int, Meta(ge=0)]
NextCursor = Annotated[
    str | None, Meta(description="Pass as `cursor` for the next page; null on the last page.")
]


def text(max_length: int, description: str = "No control characters.", **extra: Any) -> Meta:
    """The constraints of a free-text field: at most ``max_length`` characters, no control
    characters (``Annotated[str, text(200)]``)."""
    return Meta(max_length=max_length, pattern=NO_CONTROL, description=description, **extra)


def documented(description: str, **schema: Any) -> Meta:
    """Constraints the document states but the decoder leaves to a check of its own, which
    answers with a code more precise than a type can (a URL's, a date's)."""
    return Meta(description=description, extra_json_schema=schema)


def schema_ref(shape: type) -> dict[str, str]:
    """The document's reference to a body's schema, for a field whose items the decoder
    leaves to a check of their own (each decoded on its own, or a union msgspec cannot tag)."""
    return {"$ref": f"#/components/schemas/{shape.__name__}"}


def date_or_time(description: str) -> Meta:
    """A date or an RFC 3339 timestamp, parsed by api.validation.timestamp (a date means
    midnight UTC at its start), whose codes say more than a format's failure could."""
    return documented(description, anyOf=[{"format": "date"}, {"format": "date-time"}])


def batch_of(shape: type, most: int, what: str) -> Meta:
    """A batch's items (``Annotated[list[Any], batch_of(...)]``), left undecoded: each is
    decoded on its own, so one bad item gets its own error and the others go through. The
    endpoint tells an empty or too long batch (no_items, too_many_items) from a wrong type."""
    return documented(f"1 to {most:,} {what}.", items=schema_ref(shape), minItems=1, maxItems=most)

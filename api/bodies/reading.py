"""Decoding a request body into its Struct, with msgspec's refusal turned into the API's
machine code.

msgspec names what failed in a message of a fixed form ("Expected `str` of length <= 500
- at `$.title`", "Object missing required field `url`"); ``refusal`` maps that form to a
code and the path to the field at fault. A Struct may name, in ``refusals``, the code a
field's own constraint earns (``invalid_code`` rather than the generic one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

import msgspec

from api.bodies.fields import CONTROL, NO_CONTROL, NOT_BLANK, Body
from api.errors import ERROR_CODES, ApiError, ErrorCode

Shape = TypeVar("Shape", bound=msgspec.Struct)


class RequestBody(Body):
    """Base of the bodies a client sends: unknown fields are refused, not ignored, so a
    misspelt field name is an error instead of a silent no-op."""

    # The code each constrained field earns when a constraint other than its maximum length
    # fails (a pattern, a minimum length, a range, an enum): {"code": "invalid_code"}; the
    # items of a list field under "name[]". A text pattern's failure is control_characters
    # where the value holds one.
    refusals: ClassVar[Mapping[str, ErrorCode]] = {}
    # What the client is told when such a constraint fails, by field: the dashboard shows it
    # next to the field. Left out: the code's meaning (api.errors.ERROR_CODES).
    explanations: ClassVar[Mapping[str, str]] = {}
    # Whether a field sent as null counts as left out: an optional one takes its default,
    # a required one is missing_field (the funnel events, whose senders write null for
    # "none"; a message's text).
    nulls_left_out: ClassVar[bool] = False


_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_FIELD_NAMED = re.compile(r"^Object (?P<what>missing required|contains unknown) field `(?P<name>[^`]*)`")
_TOO_LONG = "Expected `str` of length <="
# How msgspec names a failed text pattern (fields.NO_CONTROL, fields.NOT_BLANK).
_TEXT_PATTERNS = tuple(f"Expected `str` matching regex {pattern!r}" for pattern in (NO_CONTROL, NOT_BLANK))


# What a failed pattern means, where the pattern itself would say it badly.
_MESSAGES = {
    "too_long": "{field} may be at most {limit} characters.",
    "control_characters": "{field} must not contain control characters.",
    "blank": "{field} must not be empty.",
    "invalid_value": "{field} is not one of the values the API document allows.",
}
_LIMIT = re.compile(r"<= (\d+)")
_WRONG_TYPE = re.compile(r"^Expected `(?P<wanted>[^`]*)`, got `(?P<got>[^`]*)`")
_JSON_NAMES = {
    "str": "a string", "int": "a whole number", "float": "a number", "bool": "true or false", "null": "null",
    "object": "an object", "array": "an array",
}  # fmt: skip


def decode(raw: Any, body_type: type[Shape]) -> Shape:
    """``raw`` (JSON already parsed) as ``body_type``, or the ApiError naming what is wrong."""
    raw = _whole_numbers(raw)
    if getattr(body_type, "nulls_left_out", False) and isinstance(raw, dict):
        raw = {name: value for name, value in raw.items() if value is not None}
    try:
        return msgspec.convert(raw, body_type)
    except msgspec.ValidationError as exc:
        raise refusal(str(exc), body_type, raw) from None


def _whole_numbers(raw: Any) -> Any:
    # JSON has one kind of number: 30.0 is the whole number 30, as JSON Schema's "integer"
    # says, while msgspec takes only 30 for an int. Fields and the objects inside list
    # fields (a variant's weight): where a body has whole-number fields.
    if isinstance(raw, dict) and any(type(value) in (float, list) for value in raw.values()):
        return {name: _whole(value) for name, value in raw.items()}
    return raw


def _whole(value: Any) -> Any:
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is list:
        return [_whole_numbers(item) for item in value]
    return value


def refusal(message: str, body_type: type[msgspec.Struct], raw: Any = None) -> ApiError:
    """The ApiError for msgspec's ``message`` about a ``body_type`` decoded from ``raw``."""
    at = _AT.search(message)
    path = at.group("path").lstrip(".") if at else ""
    what = message[: at.start()] if at else message
    named = _FIELD_NAMED.match(what)
    if named:
        field = f"{path}.{named['name']}" if path else named["name"]
        if named["what"] == "missing required":
            return ApiError(422, "missing_field", f"{field} is required.", field)
        return ApiError(422, "unknown_field", f"Unknown field {named['name']!r}.", field)
    field = path or None
    if wrong := _WRONG_TYPE.match(what):
        wanted = " or ".join(_JSON_NAMES.get(name, name) for name in wrong["wanted"].split(" | "))
        got = _JSON_NAMES.get(wrong["got"], wrong["got"])
        return ApiError(422, "invalid_type", f"{field or 'The body'} must be {wanted}, not {got}.", field)
    code = _constraint_code(what, path, body_type, raw)
    return ApiError(422, code, _explained(code, path, body_type, what), field)


def _explained(code: ErrorCode, path: str, body_type: type[msgspec.Struct], what: str) -> str:
    explanations: Mapping[str, str] = getattr(body_type, "explanations", {})
    if path in explanations and code not in ("too_long", "control_characters"):
        return explanations[path]
    if code in _MESSAGES:
        limit = _LIMIT.search(what)
        return _MESSAGES[code].format(field=path, limit=limit.group(1) if limit else "")
    return ERROR_CODES[code]


def _constraint_code(what: str, path: str, body_type: type[msgspec.Struct], raw: Any) -> ErrorCode:
    if what.startswith(_TOO_LONG):
        return "too_long"
    if what.startswith(_TEXT_PATTERNS):
        # A text field refuses control characters first: say so whatever else it wants.
        value = _value_at(raw, path)
        if not isinstance(value, str) or CONTROL.search(value):
            return "control_characters"
    refusals: Mapping[str, ErrorCode] = getattr(body_type, "refusals", {})
    # An item of a list field is named as "tags[2]"; its code, as "tags[]".
    return refusals.get(_ITEM.sub(r"\g<name>[]", path), "invalid_value")


_ITEM = re.compile(r"^(?P<name>[^\[]+)\[(?P<index>[0-9]+)\]$")


def _value_at(raw: Any, path: str) -> Any:
    """The value at ``path``: a top-level field ("title") or an item of one ("tags[2]")."""
    if not isinstance(raw, dict):
        return None
    item = _ITEM.match(path)
    if item is None:
        return raw.get(path)
    values = raw.get(item["name"])
    index = int(item["index"])
    return values[index] if isinstance(values, list) and index < len(values) else None

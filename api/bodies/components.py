"""The OpenAPI components, generated from the bodies' Structs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from api.bodies.fields import END


def components(types: Iterable[Any]) -> dict[str, Any]:
    """The JSON Schema of each type, and of every Struct they hold, by name."""
    _, schemas = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    return {name: _for_document(schema) for name, schema in schemas.items()}


def _for_document(schema: Any) -> Any:
    if isinstance(schema, dict):
        # A schema's "title" is the class name again; a property named title is a dict.
        cleaned = {
            key: _for_document(value)
            for key, value in schema.items()
            if not (key == "title" and isinstance(value, str))
        }
        pattern = cleaned.get("pattern")
        if isinstance(pattern, str) and pattern.endswith(END):
            cleaned["pattern"] = pattern[: -len(END)] + "$"
        return cleaned
    if isinstance(schema, list):
        return [_for_document(item) for item in schema]
    return schema

"""The link store's schema as ordered SQL migrations, one folder per database engine.

``sqlite/`` and ``postgres/`` hold the same numbered steps written for each engine, so a
change to the schema is one new file in each folder with the same number and name.
"""

from __future__ import annotations

from importlib import resources


def migrations(dialect: str) -> list[tuple[int, str, str]]:
    """The ordered (version, name, sql) migrations for ``dialect`` ("sqlite" or "postgres")."""
    folder = resources.files(__name__).joinpath(dialect)
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name.removesuffix(".sql"), entry.read_text()))
    if not found:
        raise LookupError(f"no {dialect!r} link-store migrations in {folder}")
    return sorted(found)

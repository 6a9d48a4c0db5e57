"""The link store on SQLite: the embedded default (see ``sqlite_database``)."""

from __future__ import annotations

from pathlib import Path

from smartlinks.store.link_store import LinkStore
from smartlinks.store.sqlite_database import SQLiteDatabase


class SQLiteLinkStore(LinkStore):
    def __init__(self, path: Path, threads: int = 4) -> None:
        super().__init__(SQLiteDatabase(path, threads))
        self.path = path

"""``open_store`` picks the engine from SMARTLINKS_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartlinks.settings import Settings, SettingsError
from smartlinks.store import open_store
from smartlinks.store.postgres import PostgresLinkStore
from smartlinks.store.sqlite import SQLiteLinkStore


def test_sqlite_by_default_and_for_sqlite_urls(tmp_path: Path) -> None:
    default = open_store(Settings(data_dir=tmp_path))
    assert isinstance(default, SQLiteLinkStore) and default.path == tmp_path / "links.sqlite3"
    named = open_store(Settings(database_url=f"sqlite:///{tmp_path}/x.sqlite3"))
    assert isinstance(named, SQLiteLinkStore) and named.path == tmp_path / "x.sqlite3"


@pytest.mark.parametrize(
    "url",
    ["postgresql://app@db.example:5432/links", "postgres://app:secret@db.example/links?sslmode=require"],
)
def test_postgresql_for_postgres_urls(url: str) -> None:
    store = open_store(Settings(database_url=url))
    assert isinstance(store, PostgresLinkStore) and store.dsn == url


def test_other_urls_are_a_configuration_error() -> None:
    with pytest.raises(SettingsError, match="'mysql'"):
        open_store(Settings(database_url="mysql://db.example/links"))

"""Link stores: pick one from the settings."""

from __future__ import annotations

from pathlib import Path

from smartlinks.settings import Settings, SettingsError
from smartlinks.store.link_store import LinkStore


def open_store(settings: Settings) -> LinkStore:
    """The store the settings name (not yet opened): SQLite in the data directory by default,
    PostgreSQL for a ``postgresql://`` (or ``postgres://``) URL."""
    url = settings.database_url
    if not url:
        from smartlinks.store.sqlite import SQLiteLinkStore

        return SQLiteLinkStore(settings.sqlite_path)
    if url.startswith("sqlite:///"):
        from smartlinks.store.sqlite import SQLiteLinkStore

        return SQLiteLinkStore(Path(url.removeprefix("sqlite:///")))
    if url.startswith(("postgresql://", "postgres://")):
        from smartlinks.store.postgres import PostgresLinkStore

        return PostgresLinkStore(url)
    raise SettingsError(f"SMARTLINKS_DATABASE_URL: unsupported database {url.split(':', 1)[0]!r}")

"""Throwaway ClickHouse databases for tests, on whatever engine the run uses."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from smartlinks.clickhouse import connect


def default_url(scratch_dir: str) -> str:
    """A ClickHouse server if SMARTLINKS_TEST_CLICKHOUSE_URL names one, else chDB in ``scratch_dir``."""
    return os.environ.get("SMARTLINKS_TEST_CLICKHOUSE_URL", "") or f"chdb://{scratch_dir}"


@contextmanager
def new_database(url: str) -> Iterator[str]:
    """The name of a database nobody else uses, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    try:
        yield name
    finally:
        cleanup = connect(url, name)
        cleanup.command(f"DROP DATABASE IF EXISTS {name} SYNC")
        cleanup.close()

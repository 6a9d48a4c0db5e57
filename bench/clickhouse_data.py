"""Generating benchmark data inside chDB: settings for the big INSERT … SELECT statements
and waiting for the merges they start."""

from __future__ import annotations

import os
import time
from typing import Any

from smartlinks.clickhouse import Client


def heavy() -> dict[str, Any]:
    """Settings for generating millions of rows: big window sorts spill instead of failing
    on a small machine."""
    return {"max_bytes_before_external_sort": 4_000_000_000, "max_threads": os.cpu_count() or 2}


def settle(client: Client, timeout: float = 120.0) -> None:
    """Wait for background merges to finish, so they do not compete with the timings."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.query("SELECT count() FROM system.merges").result_rows[0][0] == 0:
            break
        time.sleep(1)
    time.sleep(5)

"""What the end-to-end tests share: a ``smartlinks up`` of their own, on a fresh data directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.product import Running, start, stop


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    process, info = start(tmp_path / "data")
    try:
        yield info
    finally:
        stop(process)

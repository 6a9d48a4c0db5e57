"""Fixtures of the click-trigger tests: a webhook receiver over real HTTP for the module,
and, borrowed from their own folders, the API server and tenants of ``tests/api``, the
chDB database of ``tests/clickhouse`` and the enricher of ``tests/consumer``."""

from __future__ import annotations

import faulthandler
from collections.abc import Iterator

import pytest

from tests.api.conftest import a, api, b, server
from tests.clickhouse.conftest import clickhouse, clickhouse_database
from tests.consumer.conftest import enricher, geo
from tests.webhooks.receiver import Receiver, receiving

__all__ = [
    "a",
    "api",
    "b",
    "clickhouse",
    "clickhouse_database",
    "enricher",
    "geo",
    "server",
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


@pytest.fixture(autouse=True)
def _no_silent_hang() -> Iterator[None]:
    """A delivery test once hung in CI after a dead endpoint; if one ever hangs again, end
    the run within minutes with every thread's stack instead of at the CI time limit."""
    faulthandler.dump_traceback_later(300, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()

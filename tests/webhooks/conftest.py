"""Fixtures of the click-trigger tests: a webhook receiver over real HTTP for the module,
and, borrowed from their own folders, the API server and tenants of ``tests/api``, the
chDB database of ``tests/clickhouse`` and the enricher of ``tests/consumer``."""

from __future__ import annotations

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

"""ClickHouse fixtures: one chDB engine for the whole pytest process, a fresh database per test.

chDB opens one data path per process, so the path is session-scoped (``clickhouse_url``, in
tests/conftest.py, where the API tests find it too) and every test gets its own migrated
database inside it. Set SMARTLINKS_TEST_CLICKHOUSE_URL (e.g.
``http://default:@127.0.0.1:8123``) to run the same tests against a ClickHouse server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from consumer.enrich.row import ClickRow
from consumer.ingest import ClickIngest
from smartlinks.clickhouse import Client, connect, migrate
from tests.clickhouse import truth
from tests.clickhouse.databases import new_database


@pytest.fixture
def clickhouse_database(clickhouse_url: str) -> Iterator[tuple[str, str]]:
    """(url, name) of an empty database of this test's own."""
    with new_database(clickhouse_url) as name:
        yield clickhouse_url, name


@pytest.fixture
def clickhouse(clickhouse_database: tuple[str, str]) -> Iterator[Client]:
    """A client on a fresh database with every migration applied."""
    client = connect(*clickhouse_database)
    migrate(client)
    yield client
    client.close()


@pytest.fixture(scope="module")
def rows() -> list[ClickRow]:
    """The generated clicks the analytics are checked against (tests/clickhouse/truth.py)."""
    return truth.generate()


@pytest.fixture(scope="module")
def loaded(clickhouse_url: str, rows: list[ClickRow]) -> Iterator[Client]:
    """One database with the generated clicks for the whole module: the tests only read."""
    with new_database(clickhouse_url) as name:
        client = connect(clickhouse_url, name)
        migrate(client)
        sink = ClickIngest(client)
        for batch in truth.batches(rows, 500):
            sink.insert(batch)
        yield client
        client.close()

"""The real servers the whole session shares: one Kafka broker, one PostgreSQL server, and
the one chDB data path this process may open.

Each starts on the first test that asks for it (a run that needs neither starts neither)
and stops when the session ends. Tests keep out of each other's way on them: a test that
needs a database to itself makes one (``postgres.create_database()``), one that needs
topics to itself names them, and one that kills the broker brings it back before it returns.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.clickhouse.databases import default_url
from tests.support.kafka import KafkaBroker, local_kafka
from tests.support.postgres import PostgresServer, local_postgres


# A server that cannot start fails the tests that need it, with the script's message.
@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    with local_kafka(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker


@pytest.fixture(scope="session")
def clickhouse_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The ClickHouse of this test run; the chDB path is the only one this process opens
    (chDB allows one), so every test that needs ClickHouse shares it, in a database of its own."""
    return default_url(str(tmp_path_factory.mktemp("chdb").resolve()))


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    with local_postgres(tmp_path_factory.mktemp("postgres")) as server:
        yield server

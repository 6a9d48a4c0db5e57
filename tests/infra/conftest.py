"""The real servers the infrastructure tests exercise: one Kafka broker, one PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.kafka import KafkaBroker, local_kafka
from tests.support.postgres import PostgresServer, local_postgres


# Module scope: a broker start costs ~5 s, and the fault test brings it back when done.
@pytest.fixture(scope="module")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    with local_kafka(tmp_path_factory.mktemp("kafka")) as broker:
        yield broker


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    with local_postgres(tmp_path_factory.mktemp("postgres")) as server:
        yield server

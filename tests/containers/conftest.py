"""Kafka, PostgreSQL and a ClickHouse server in Docker, through testcontainers.

Opt-in: the tests that use ``docker_services`` run only with ``SMARTLINKS_TEST_DOCKER=1``,
the ``testcontainers`` package and a Docker engine that answers; otherwise they skip, the
only tests in the project allowed to. Without Docker the same code runs against the local
broker and PostgreSQL (tests/distributed, tests/infra) and chDB (tests/clickhouse).

The images are the ones deploy/docker-compose.yml runs, except Kafka: testcontainers'
Kafka module drives Confluent's image, and cp-kafka 7.9 is Apache Kafka 3.9.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pytest

KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"
POSTGRES_IMAGE = "postgres:15"
CLICKHOUSE_IMAGE = "clickhouse/clickhouse-server:25.8"
ANALYST_XML = Path(__file__).resolve().parents[2] / "deploy" / "clickhouse" / "users.d" / "analyst.xml"
ANALYST_PASSWORD = "analyst-test"


@dataclass(frozen=True)
class DockerServices:
    kafka: str  # bootstrap servers, host:port
    postgres: str  # postgresql://user:password@host:port/database
    clickhouse: str  # http://user:password@host:port (the server's admin user)
    clickhouse_analyst: str  # the read-only user of deploy/clickhouse/users.d/analyst.xml


def docker_unavailable() -> str | None:
    """Why the Docker tests cannot run here, or None when they can."""
    if os.environ.get("SMARTLINKS_TEST_DOCKER") != "1":
        return "Docker tests are opt-in: set SMARTLINKS_TEST_DOCKER=1 (and have a Docker engine)"
    if importlib.util.find_spec("testcontainers") is None:
        return "testcontainers not installed"
    return _engine_unreachable(os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"))


def _engine_unreachable(docker_host: str) -> str | None:
    """Ask the engine's /_ping ourselves: the docker SDK leaks a socket (a ResourceWarning,
    an error under our pytest settings) when nothing answers."""
    url = urlparse(docker_host)
    request = b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n"
    try:
        if url.scheme == "unix":
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5)
                sock.connect(url.path)
                sock.sendall(request)
                status = sock.recv(64).split(b"\r\n", 1)[0]
        elif url.scheme in ("tcp", "http") and not os.environ.get("DOCKER_TLS_VERIFY"):
            with socket.create_connection((url.hostname or "localhost", url.port or 2375), timeout=5) as sock:
                sock.sendall(request)
                status = sock.recv(64).split(b"\r\n", 1)[0]
        else:
            return None  # TLS, ssh://, npipe://: testcontainers finds out itself
    except OSError as exc:
        return f"no Docker engine answers at {docker_host} ({exc})"
    if b" 200" not in status:
        return f"the Docker engine at {docker_host} answered {status.decode(errors='replace')!r} to /_ping"
    return None


@pytest.fixture(scope="session")
def docker_services() -> Iterator[DockerServices]:
    reason = docker_unavailable()
    if reason:
        pytest.skip(reason)
    # Imported only here: the folder's other tests run without the package.
    from testcontainers.community.clickhouse import ClickHouseContainer
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    with ExitStack() as stack:
        kafka = stack.enter_context(KafkaContainer(KAFKA_IMAGE).with_kraft())
        postgres = stack.enter_context(PostgresContainer(POSTGRES_IMAGE, driver=None))
        clickhouse = stack.enter_context(
            ClickHouseContainer(CLICKHOUSE_IMAGE, username="smartlinks", password="smartlinks")
            .with_volume_mapping(str(ANALYST_XML), "/etc/clickhouse-server/users.d/analyst.xml", "ro")
            .with_env("CLICKHOUSE_ANALYST_PASSWORD", ANALYST_PASSWORD)
        )
        host, port = clickhouse.get_container_host_ip(), clickhouse.get_exposed_port(8123)
        yield DockerServices(
            kafka=kafka.get_bootstrap_server(),
            postgres=postgres.get_connection_url(),
            clickhouse=f"http://smartlinks:smartlinks@{host}:{port}",
            clickhouse_analyst=f"http://analyst:{ANALYST_PASSWORD}@{host}:{port}",
        )

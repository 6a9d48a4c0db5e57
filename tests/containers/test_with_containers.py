"""A smoke run on Kafka, PostgreSQL and a ClickHouse server in Docker (see conftest.py):
the services' own topic creation and migrations, the read-only analyst user, the
PostgreSQL link store, and a click from a redirector process to the analytics of an
analytics process. Skipped unless SMARTLINKS_TEST_DOCKER=1 and Docker answers.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import clickhouse_connect
import httpx
import psycopg
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError
from psycopg import sql

from schemas.clickhouse import TABLES, migrations
from schemas.events import CLICKS_TOPIC, DEAD_LETTER_TOPIC, LINKS_TOPIC
from smartlinks.clickhouse import connect, migrate
from smartlinks.kafka.topics import ensure_topics
from smartlinks.models import NewLink
from smartlinks.store.postgres import PostgresLinkStore
from tests.containers.conftest import DockerServices
from tests.support.product import Running, start, stop

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.clickhouse]

DATABASE = "smartlinks"  # the database deploy/clickhouse/users.d/analyst.xml grants
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, timeout=60))


def test_the_services_create_their_topics(docker_services: DockerServices) -> None:
    created = run(ensure_topics(docker_services.kafka, click_partitions=3))
    assert set(created) <= {CLICKS_TOPIC, LINKS_TOPIC, DEAD_LETTER_TOPIC}
    assert run(ensure_topics(docker_services.kafka, click_partitions=3)) == []


def test_migrations_over_http_give_the_declared_tables(docker_services: DockerServices) -> None:
    client = connect(docker_services.clickhouse, DATABASE)
    try:
        assert migrate(client) in ([name for _, name, _ in migrations()], [])
        assert migrate(client) == []
        for table, columns in TABLES.items():
            live = client.query(
                "SELECT name, type FROM system.columns WHERE database = currentDatabase()"
                " AND table = {table:String} ORDER BY position",
                parameters={"table": table},
            ).result_rows
            assert dict(live) == columns, table
    finally:
        client.close()


def test_the_analyst_user_reads_the_database_and_nothing_else(docker_services: DockerServices) -> None:
    admin = connect(docker_services.clickhouse, DATABASE)
    migrate(admin)
    admin.command("CREATE DATABASE IF NOT EXISTS other")
    admin.command("CREATE TABLE IF NOT EXISTS other.secrets (x UInt8) ENGINE = Memory")
    admin.close()
    analyst = clickhouse_connect.get_client(dsn=docker_services.clickhouse_analyst)
    try:
        assert analyst.command(f"SELECT count() FROM {DATABASE}.clicks") == 0
        refused = [
            f"INSERT INTO {DATABASE}.dead_letters (reason) VALUES ('x')",
            f"ALTER TABLE {DATABASE}.links DELETE WHERE 1",
            f"CREATE TABLE {DATABASE}.mine (x UInt8) ENGINE = Memory",
            f"DROP TABLE {DATABASE}.clicks",
            "SELECT * FROM other.secrets",
        ]
        for sql in refused:
            with pytest.raises(DatabaseError):
                analyst.command(sql)
    finally:
        analyst.close()


def test_the_postgres_link_store(docker_services: DockerServices) -> None:
    async def scenario() -> None:
        store = PostgresLinkStore(docker_services.postgres)
        await store.open()
        try:
            tenant = await store.create_tenant("docker")
            link = await store.create_link(NewLink(tenant.id, "https://example.com/docker"))
            resolved = await store.resolve(link.code)
            assert resolved is not None
            assert resolved.location == "https://example.com/docker"
        finally:
            await store.close()

    run(scenario())


def fresh_database(dsn: str) -> str:
    """A new, empty PostgreSQL database on the server of ``dsn``; its DSN."""
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dsn, autocommit=True) as conn:  # CREATE DATABASE: not in a transaction
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlparse(dsn)._replace(path=f"/{name}").geturl()


@pytest.fixture
def processes(docker_services: DockerServices, tmp_path: Path) -> Iterator[tuple[Running, Running]]:
    """An analytics process (consumer + API on the ClickHouse server) and a redirector,
    on a link store of their own (its first start prints the default tenant's key)."""
    env = {
        "SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS": docker_services.kafka,
        "SMARTLINKS_DATABASE_URL": fresh_database(docker_services.postgres),
        "SMARTLINKS_CLICKHOUSE_URL": docker_services.clickhouse,
        "SMARTLINKS_SECRET_KEY": "docker-test-secret",
        "SMARTLINKS_KAFKA_CLICK_PARTITIONS": "3",
        "SMARTLINKS_CONSUMER_MAX_WAIT_MS": "200",
    }
    started: list[subprocess.Popen[bytes]] = []
    try:
        process, analytics = start(tmp_path / "analytics", "analytics", ready="/readyz", **env)
        started.append(process)
        process, redirector = start(tmp_path / "redirector", "redirector", ready="/readyz", **env)
        started.append(process)
        yield analytics, redirector
    finally:
        for process in started:
            stop(process)


def test_a_click_reaches_the_analytics(processes: tuple[Running, Running]) -> None:
    analytics, redirector = processes
    assert analytics.key, "the analytics process printed no API key"
    headers = {"Authorization": f"Bearer {analytics.key}"}
    created = httpx.post(
        f"{analytics.url}/api/v1/links", headers=headers, json={"destination_url": "https://example.com/"}
    )
    assert created.status_code == 201, created.text
    link = created.json()
    response = httpx.get(f"{redirector.url}/{link['code']}", headers={"User-Agent": UA})
    assert response.status_code == 302
    deadline = time.monotonic() + 60
    total = 0
    while time.monotonic() < deadline and total < 1:
        page = httpx.get(f"{analytics.url}/api/v1/links/{link['id']}/analytics", headers=headers)
        total = page.json()["totals"]["total"] if page.status_code == 200 else 0
        time.sleep(0.2)
    assert total == 1

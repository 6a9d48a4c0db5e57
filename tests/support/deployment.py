"""The distributed deployment in tests: the settings every process of one deployment
(redirectors, the analytics process, the demo) is started with."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.support.kafka import KafkaBroker
    from tests.support.postgres import PostgresServer


def deployment_env(kafka: KafkaBroker, postgres: PostgresServer, secret: str) -> dict[str, str]:
    """As the README deploys it: Kafka and PostgreSQL (a fresh database on the session's
    server, so the deployment starts empty), one secret key for all its processes; with
    three click partitions, and consumers that insert what they hold after 200 ms (not
    500), so a test waits less for its clicks."""
    return {
        "SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "SMARTLINKS_DATABASE_URL": postgres.create_database(),
        "SMARTLINKS_SECRET_KEY": secret,
        "SMARTLINKS_KAFKA_CLICK_PARTITIONS": "3",
        "SMARTLINKS_CONSUMER_MAX_WAIT_MS": "200",
    }

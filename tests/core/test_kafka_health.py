"""The Kafka outage reporter: one log line when a process loses Kafka, one when it is back,
readiness and ``smartlinks_kafka_up`` per client, and the probe loop behind them."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from smartlinks.backoff import Backoff
from smartlinks.kafka import health as health_module
from smartlinks.kafka.health import KAFKA_HEALTH_METRICS, KafkaHealth
from smartlinks.metrics import render

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def servers() -> str:
    # Clients of the same servers share an outage; every test gets servers of its own.
    return f"broker-{uuid.uuid4().hex[:8]}:9092"


def outage_lines(caplog: pytest.LogCaptureFixture, servers: str) -> list[tuple[int, str]]:
    return [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name == "smartlinks.kafka.health" and servers in record.getMessage()
    ]


def metrics_text() -> str:
    return render(KAFKA_HEALTH_METRICS).decode()


async def test_one_line_when_the_process_loses_kafka_and_one_when_all_clients_have_it_back(
    servers: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "smartlinks.kafka.health")
    consumer, producer = KafkaHealth("t-consumer", servers), KafkaHealth("t-producer", servers)
    try:
        consumer.failed(ConnectionError("connection refused"))
        consumer.failed(ConnectionError("connection refused"))  # every retry reports again
        producer.failed(TimeoutError())
        assert not consumer.up and not producer.up
        with pytest.raises(
            ConnectionError, match=r"unreachable \(t-consumer: ConnectionError: connection refused\)"
        ):
            consumer.check()
        assert 'smartlinks_kafka_up{client="t-consumer"} 0.0' in metrics_text()

        consumer.ok()
        consumer.check()  # ready again, while the producer is still cut off
        producer.ok()
        producer.ok()
    finally:
        await consumer.close()
        await producer.close()

    lines = [(level, message) for level, message in outage_lines(caplog, servers) if level > logging.DEBUG]
    assert len(lines) == 2, lines
    assert lines[0][0] == logging.WARNING
    assert lines[0][1] == (
        f"Kafka at {servers} is unreachable (t-consumer: ConnectionError: connection refused); "
        "retrying with backoff"
    )
    assert lines[1][0] == logging.INFO
    assert lines[1][1].startswith(f"Kafka at {servers} is reachable again, after ")
    assert consumer.outages == producer.outages == 1


async def test_the_gauge_shows_each_client_and_leaves_with_it(servers: str) -> None:
    listener = KafkaHealth("t-listener", servers)
    assert 'smartlinks_kafka_up{client="t-listener"} 1.0' in metrics_text()
    listener.failed(OSError("no route to host"))
    text = metrics_text()
    assert 'smartlinks_kafka_up{client="t-listener"} 0.0' in text
    assert 'smartlinks_kafka_outages_total{client="t-listener"} 1.0' in text
    await listener.close()
    assert 't-listener"' not in metrics_text()


async def test_a_client_stopped_during_an_outage_ends_it_without_a_back_line(
    servers: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "smartlinks.kafka.health")
    first = KafkaHealth("t-first", servers)
    first.failed(ConnectionError("refused"))
    await first.close()
    second = KafkaHealth("t-second", servers)
    second.failed(ConnectionError("refused"))  # a new outage of the process: said again
    await second.close()
    assert [level for level, _ in outage_lines(caplog, servers)] == [logging.WARNING, logging.WARNING]


async def test_the_probe_finds_the_outage_and_the_return(
    servers: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "smartlinks.kafka.health")
    monkeypatch.setattr(health_module, "PROBE_EVERY", 0.02)
    monkeypatch.setattr(health_module, "PROBE_FIRST_RETRY", 0.01)
    monkeypatch.setattr(health_module, "PROBE_TIMEOUT", 0.05)
    answers = ["ok", "refused", "hang", "refused", "ok", "ok"]
    seen: list[bool] = []
    health = KafkaHealth("t-probed", servers)

    async def probe() -> None:
        seen.append(health.up)  # the state before this probe
        answer = answers.pop(0) if answers else "ok"
        if answer == "refused":
            raise ConnectionRefusedError("refused")
        if answer == "hang":  # a broker that never answers: the probe's timeout ends it
            await asyncio.sleep(10)

    health.watch(probe)
    try:
        async with asyncio.timeout(5):
            while answers or len(seen) < 7:
                await asyncio.sleep(0.01)
    finally:
        await health.close()
    assert seen[:7] == [True, True, False, False, False, True, True]
    assert health.outages == 1
    assert [level for level, _ in outage_lines(caplog, servers)] == [logging.WARNING, logging.INFO]


def test_backoff_doubles_up_to_its_cap_with_jitter_and_starts_over_after_reset() -> None:
    backoff = Backoff(0.5, 4)
    delays = [backoff.next() for _ in range(6)]
    for delay, exact in zip(delays, [0.5, 1, 2, 4, 4, 4], strict=True):
        assert exact * 0.75 <= delay <= exact * 1.25
    backoff.reset()
    assert backoff.next() <= 0.5 * 1.25
    with pytest.raises(ValueError, match="first <= cap"):
        Backoff(2, 1)

"""A real single-node Kafka broker for tests, run through deploy/kafka/kafka.sh.

The broker is the one users run (same script, same jars), started on free ports with a
fresh data dir, so parallel test sessions never collide. The ports lie outside the
ephemeral range (see ``tests.support.ports``): clients retrying a stopped broker could
otherwise take its port by connecting to themselves, and the restart would fail.

    with local_kafka(tmp_path) as broker:
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers)
        ...
        broker.kill()      # SIGKILL: a crash, no clean shutdown
        broker.restart()   # same data dir and ports, back when clients can bootstrap

The first use on a machine downloads Kafka from Maven Central (about 50 MB, once; cached in
~/.cache/smartlinks). Missing tools are an error, never a skip: a test that needs Kafka and
quietly does not run is a test that does not exist.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.commands import run_script
from tests.support.ports import free_port

KAFKA_SH = Path(__file__).resolve().parents[2] / "deploy" / "kafka" / "kafka.sh"

_BUILD_HINT = (
    "run `bash deploy/kafka/kafka.sh build` to see why; it needs a JDK 17+ and Maven 3.8+ "
    "(as root it apt-get installs them) and access to Maven Central"
)


class KafkaBroker:
    """One broker process on its own data dir and ports; kill and restart it at will."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.controller_port = free_port()  # never the same port twice
        self.bootstrap_servers = f"127.0.0.1:{self.port}"
        self.log = data_dir / "kafka.log"

    def _run(self, command: str, timeout: float, hint: str = "") -> str:
        env = {
            "KAFKA_HOST": "127.0.0.1",
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(self.controller_port),
            "KAFKA_DATA_DIR": str(self.data_dir),
            "KAFKA_LOG": str(self.log),
            # Interpreted + quick JIT only: the broker is ready ~1.5 s sooner, and a test's
            # few thousand messages never need the optimising compiler's peak speed.
            "KAFKA_JVM_OPTS": os.environ.get("KAFKA_JVM_OPTS", "-XX:TieredStopAtLevel=1"),
            # The broker dies with this test process even if it is killed outright and
            # never reaches teardown: no stray JVMs holding ports on CI machines.
            "KAFKA_OWNER_PID": str(os.getpid()),
        }
        return run_script(KAFKA_SH, command, env, timeout, hint=hint, log=self.log)

    def build(self) -> None:
        """Fetch the broker's jars if this machine has not yet (a no-op afterwards)."""
        self._run("build", timeout=900, hint=_BUILD_HINT)

    def start(self) -> None:
        """Start the broker and return once a client can bootstrap from it."""
        self._run("start", timeout=120, hint=_BUILD_HINT)
        self._run("wait", timeout=120)

    def stop(self) -> None:
        """Clean shutdown (SIGTERM, SIGKILL after 30 s)."""
        self._run("stop", timeout=60)

    def kill(self) -> None:
        """Crash the broker: SIGKILL, no shutdown hooks, no flush of its own."""
        self._run("kill", timeout=30)

    def restart(self) -> None:
        """Bring the broker back on the same data dir and ports, after kill() or stop().

        A running broker is stopped cleanly first. After a kill the controller first has
        to expire the dead broker's session (3 s, see kafka.sh), so this takes a few
        seconds longer than the first start.
        """
        self.stop()
        self.start()

    def is_running(self) -> bool:
        try:
            self._run("status", timeout=30)
        except RuntimeError:
            return False
        return True


@contextmanager
def local_kafka(tmp_dir: Path) -> Iterator[KafkaBroker]:
    """Build if needed, start a broker with its data in ``tmp_dir``; stop it after."""
    broker = KafkaBroker(tmp_dir / "kafka")
    broker.build()
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()

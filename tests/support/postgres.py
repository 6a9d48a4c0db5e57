"""A private PostgreSQL server for tests, run through deploy/postgres/pg.sh.

One server per ``local_postgres`` block, on a free port with a throwaway cluster (fsync off:
nothing in it has to survive the machine crashing); each test can take a fresh database:

    with local_postgres(tmp_path) as server:
        dsn = server.dsn                  # a database made for this block
        other = server.create_database()  # another empty one, e.g. per test

PostgreSQL comes from Debian's packages (pg.sh installs it as root when missing). A missing
server is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from tests.support.commands import run_script
from tests.support.server import free_port

PG_SH = Path(__file__).resolve().parents[2] / "deploy" / "postgres" / "pg.sh"
_INSTALL_HINT = "run `bash deploy/postgres/pg.sh install` as root (Debian's postgresql package)"


class PostgresServer:
    """One PostgreSQL cluster on its own data dir and port."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.log = data_dir / "server.log"
        # The maintenance database: for creating and dropping the others.
        self.admin_dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.dsn = ""

    def _run(self, command: str, timeout: float) -> str:
        env = {"PG_PORT": str(self.port), "PG_DATA_DIR": str(self.data_dir), "PG_FSYNC": "off"}
        return run_script(PG_SH, command, env, timeout, hint=_INSTALL_HINT, log=self.log)

    def start(self) -> None:
        # Installing takes a minute on a bare machine; once installed, a start is ~1 s.
        self._run("install", timeout=900)
        self._run("start", timeout=120)

    def stop(self) -> None:
        self._run("stop", timeout=120)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (a random name unless given) and return its DSN."""
        name = name or f"test_{uuid.uuid4().hex[:12]}"
        # CREATE DATABASE cannot run inside a transaction.
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"


@contextmanager
def local_postgres(tmp_dir: Path) -> Iterator[PostgresServer]:
    """Start a server with its cluster in ``tmp_dir`` and a fresh database; stop it after."""
    owned_dir: Path | None = None
    if os.geteuid() == 0:
        # As root the server runs as the `postgres` user, who cannot enter pytest's tmp
        # dirs (they are 0700 under /tmp/pytest-of-root); its cluster lives beside them.
        owned_dir = Path(tempfile.mkdtemp(prefix="smartlinks-pg-"))
        server = PostgresServer(owned_dir)
    else:
        server = PostgresServer(tmp_dir / "postgres")
    try:
        server.start()
        server.dsn = server.create_database()
        yield server
    finally:
        try:
            server.stop()
        finally:
            if owned_dir is not None:
                # Keep the server log with the test's other files, for a failure's post-mortem.
                if server.log.exists():
                    tmp_dir.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(server.log, tmp_dir / "postgres-server.log")
                shutil.rmtree(owned_dir, ignore_errors=True)

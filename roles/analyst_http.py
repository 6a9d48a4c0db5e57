"""The analyst part: ClickHouse's HTTP interface, read-only, in the process that owns chDB.

Two listeners, one app (smartlinks.analyst):

- always, a Unix socket ``DATA_DIR/analyst.sock`` (mode 0600) without a password: only the
  data directory's owner can open it, the same person who could read the chDB files if
  the process were stopped. ``smartlinks sql`` talks to it.
- with ``SMARTLINKS_ANALYST_PASSWORD``, TCP on ``SMARTLINKS_HOST:SMARTLINKS_ANALYST_PORT``
  for clickhouse-connect, curl and Grafana, as user ``analyst``.

They are extra uvicorn servers on this process's event loop (started and stopped with
it, no signal handlers of their own); their sockets are bound here so a taken port fails
the start with a clear error instead of uvicorn's exit.

A process on a ClickHouse server serves neither: analysts use the server itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket

import uvicorn

from roles.process import Process
from smartlinks import http_server
from smartlinks.analyst import SOCKET_NAME, AnalystHttp, QueryRunner, make_readonly, socket_path
from smartlinks.settings import SettingsError

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 64


class AnalystPart:
    needs_topics = False

    def __init__(self, process: Process) -> None:
        self.process = process

    async def open(self) -> None:
        pass

    async def start(self) -> None:
        process = self.process
        settings = process.settings
        if settings.clickhouse_url:
            return
        client = await process.clickhouse()
        await asyncio.to_thread(make_readonly, client, settings.analyst_query_timeout)
        runner = await asyncio.to_thread(QueryRunner, client, settings.clickhouse_database)
        try:
            with socket_path(settings.data_dir) as path:
                local = _unix_socket(path)
        except OSError as exc:
            # A convenience for `smartlinks sql`: its absence must not stop the product.
            log.warning(
                "no local analyst socket in %s (smartlinks sql will not reach this process): %s",
                settings.data_dir,
                exc,
            )
        else:
            await self._serve(AnalystHttp(runner, None), local)
            process.exit.callback((settings.data_dir / SOCKET_NAME).unlink, missing_ok=True)
        if settings.analyst_password:
            listener = _tcp_socket(settings.host, settings.analyst_port)
            await self._serve(AnalystHttp(runner, settings.analyst_password), listener)
            log.info("analyst ClickHouse HTTP interface on %s:%s", settings.host, settings.analyst_port)

    async def _serve(self, app: AnalystHttp, sock: socket.socket) -> None:
        settings = self.process.settings
        # The product's own deadlines for slow clients, under a cap of a few connections:
        # analysts are few, and the port must not take the files the redirects need.
        limits = http_server.limits_for(settings.header_timeout, settings.body_timeout, MAX_CONNECTIONS)
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            http=http_server.http_protocol(http_server.ConnectionTable(limits)),
            timeout_keep_alive=math.ceil(settings.header_timeout),
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        try:
            await server.startup(sockets=[sock])
        except BaseException:
            sock.close()
            raise

        async def stop() -> None:
            server.force_exit = False
            await server.shutdown(sockets=[sock])

        self.process.exit.push_async_callback(stop)


def _unix_socket(path: str) -> socket.socket:
    # A socket left by a process that died: chDB's lock, taken before this, proves no
    # other process serves this data directory now.
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)  # created 0600, never readable by others for a moment
    try:
        sock.bind(path)
    except OSError:
        sock.close()
        raise
    finally:
        os.umask(old)
    sock.listen(64)
    sock.setblocking(False)
    return sock


def _tcp_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SettingsError(f"SMARTLINKS_ANALYST_PORT {port} on {host} cannot be used: {exc}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock

"""``smartlinks sql "SELECT …"``: an analyst's read-only query from the command line.

Where the query goes, in order:

1. the running process that owns chDB (``smartlinks up``, or ``smartlinks analytics`` on
   chDB), through its local socket ``DATA_DIR/analyst.sock`` (smartlinks.analyst);
2. nothing answers there: chDB in the data directory, opened here read-only (chDB allows
   one process, so this works only while no process runs on it);
3. with ``SMARTLINKS_CLICKHOUSE_URL``: that server, read-only.

Exit status: 0 with the result on stdout; 1 with ClickHouse's message when the query
fails; 2 when there is nothing to ask (no data yet, or chDB held by a process that does
not answer).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from smartlinks.analyst import (
    SOCKET_NAME,
    QueryError,
    as_query_error,
    format_to_add,
    make_readonly,
    socket_path,
)
from smartlinks.settings import Settings

if TYPE_CHECKING:
    from smartlinks.clickhouse import Client

# The local channel waits as long as the query may run, and a little more.
_SLACK = 10.0


def cmd_sql(settings: Settings, query: str, fmt: str) -> int:
    try:
        if settings.clickhouse_url:
            body = _direct(settings, query, fmt)
        else:
            answered = _through_socket(settings, query, fmt)
            body = answered if answered is not None else _embedded(settings, query, fmt)
    except QueryError as error:
        print(error.message, file=sys.stderr)
        return 1
    except _NotRunning as exc:
        print(f"smartlinks sql: {exc}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(body)
    sys.stdout.flush()
    return 0


class _NotRunning(Exception):
    pass


def _through_socket(settings: Settings, query: str, fmt: str) -> bytes | None:
    """The running process's answer; None when no process answers on the socket."""
    if not (settings.data_dir / SOCKET_NAME).exists():
        return None
    timeout = settings.analyst_query_timeout + _SLACK
    try:
        with (
            socket_path(settings.data_dir) as path,
            httpx.Client(transport=httpx.HTTPTransport(uds=path), timeout=timeout) as client,
        ):
            response = client.post(
                "http://smartlinks/", params={"default_format": fmt}, content=query.encode()
            )
    except (httpx.ConnectError, httpx.RemoteProtocolError):
        return None  # a socket left behind by a process that is gone
    if response.status_code != 200:
        code = response.headers.get("x-clickhouse-exception-code", "1000")
        raise QueryError(int(code) if code.isdigit() else 1000, response.text.strip())
    return response.content


def _embedded(settings: Settings, query: str, fmt: str) -> bytes:
    from smartlinks import clickhouse

    dsn = settings.clickhouse_dsn
    if not Path(dsn.removeprefix("chdb://")).exists():
        raise _NotRunning(
            f"smartlinks up is not running and {settings.data_dir.resolve()} has no analytics data "
            "yet: start `smartlinks up` with SMARTLINKS_DATA_DIR set as it is here"
        )
    try:
        client = clickhouse.connect(dsn, settings.clickhouse_database)
    except Exception as exc:
        raise _NotRunning(
            f"smartlinks up is not running on {settings.data_dir.resolve()}, or does not answer on "
            f"{SOCKET_NAME}, and its chDB is held by another process ({exc}). Start `smartlinks up` "
            "(or restart it), then run this again."
        ) from None
    try:
        make_readonly(client, settings.analyst_query_timeout)
        return _query(client, query, fmt)
    finally:
        client.close()


def _direct(settings: Settings, query: str, fmt: str) -> bytes:
    from smartlinks import clickhouse

    client = clickhouse.connect(settings.clickhouse_url, settings.clickhouse_database)
    try:
        return _query(client, query, fmt, {"readonly": 1})
    finally:
        client.close()


def _query(client: Client, query: str, fmt: str, settings: dict[str, int] | None = None) -> bytes:
    try:
        return client.raw_query(query, fmt=format_to_add(query, fmt), settings=settings)
    except Exception as exc:  # ClickHouse's refusal is the answer
        raise as_query_error(exc) from exc

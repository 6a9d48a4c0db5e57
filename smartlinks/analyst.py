"""Analysts' read-only ClickHouse, served by the process that owns chDB.

chDB allows one process per data directory, so while ``smartlinks up`` (or a
``smartlinks analytics`` node on chDB) runs, nobody else can open it. This process then
answers the part of ClickHouse's HTTP interface that clickhouse-connect, curl and
Grafana's ClickHouse data source use, so the same notebook works here and on a server:

- ``POST /`` with the query in the body, ``GET``/``POST /?query=…`` (a query parameter
  and a body are joined as ClickHouse joins them), ``FORMAT`` in the query, the
  ``default_format`` and ``database`` parameters, ``GET /ping`` → ``Ok.``;
- credentials as ClickHouse takes them: basic auth, ``X-ClickHouse-User``/``-Key``, or
  the ``user``/``password`` parameters; the only user is ``analyst``;
- the response headers clickhouse-connect reads; every other parameter (the settings it
  sends) is ignored, since a read-only session may not change them anyway.

Read-only is ClickHouse's own: the analysts' queries run on a connection of their own
whose session has ``readonly=1`` (set once, and ``readonly=1`` forbids changing any
setting afterwards, including with ``SET`` or a query's ``SETTINGS``), so they cannot
write, nor touch the settings of the connections the API and the consumer use. Errors
are ClickHouse's text and exception code, with the HTTP status ClickHouse gives them.

Queries run one at a time in a worker thread: chDB calls block, and on a small machine a
second heavy query would take the CPU the redirects need.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import json
import os
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from smartlinks.clickhouse import Client
    from smartlinks.types import Receive, Scope, Send

USER = "analyst"
DEFAULT_FORMAT = "TabSeparated"
SOCKET_NAME = "analyst.sock"
MAX_BODY = 1 << 20

_TRAILING_FORMAT = re.compile(r"\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$", re.IGNORECASE)
_FIRST_WORD = re.compile(r"[\s(]*([A-Za-z]+)")
_RETURNS_ROWS = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "EXISTS", "CHECK"})
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}
_CODE = re.compile(r"Code: (\d+)\.")
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
# ClickHouse's own mapping of exception codes to HTTP statuses (HTTPHandler.cpp), for
# the codes an analyst meets; the rest are 500 there too.
_STATUS = {
    **dict.fromkeys((6, 27, 36, 38, 41, 46, 47, 53, 62, 69, 70, 72, 80, 130, 168, 190), 400),
    **dict.fromkeys((60, 81, 83), 404),
    164: 403,
    516: 401,
}
_CONTENT_TYPES = {
    "TabSeparated": "text/tab-separated-values; charset=UTF-8",
    "TSV": "text/tab-separated-values; charset=UTF-8",
    "CSV": "text/csv; charset=UTF-8; header=absent",
    "CSVWithNames": "text/csv; charset=UTF-8; header=present",
    "JSON": "application/json; charset=UTF-8",
    "JSONCompact": "application/json; charset=UTF-8",
    "JSONEachRow": "application/x-ndjson; charset=UTF-8",
}


class QueryError(Exception):
    """ClickHouse refused or failed a query: its exception code and text."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return _STATUS.get(self.code, 500)


@dataclass(frozen=True, slots=True)
class Result:
    body: bytes
    format: str
    query_id: str


@contextlib.contextmanager
def socket_path(data_dir: Path) -> Iterator[str]:
    """The local socket's path as bind() and connect() can take it. A Unix socket's path
    has at most 107 bytes; a deeper data directory is reached through /proc/self/fd (Linux),
    while the directory stays open."""
    path = str(data_dir.resolve() / SOCKET_NAME)
    if len(path.encode()) <= 100 or not os.path.isdir("/proc/self/fd"):
        yield path
        return
    fd = os.open(data_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{SOCKET_NAME}"
    finally:
        os.close(fd)


def result_format(query: str, default: str) -> str:
    """The format ClickHouse answers in: the query's own ``FORMAT``, else the default."""
    found = _TRAILING_FORMAT.search(query)
    return found[1] if found else default


def format_to_add(query: str, default: str) -> str | None:
    """The format clause a client adds to the query: none when the query names one, or
    when it returns no rows (``SET``, ``INSERT``…: a ``FORMAT`` there is a syntax error
    that would hide ClickHouse's real answer, the read-only refusal)."""
    if _TRAILING_FORMAT.search(query) is not None:
        return None
    first = _FIRST_WORD.match(query)
    return default if first and first[1].upper() in _RETURNS_ROWS else None


def unescape(value: str) -> str:
    """A ``param_`` value as written in ClickHouse's escaped text (``\\t``, ``\\'``…),
    back to the value itself: the client used here escapes it again when binding."""
    return _ESCAPE.sub(lambda found: _ESCAPES.get(found[1], found[1]), value)


def as_query_error(exc: Exception) -> QueryError:
    """A ClickHouse exception as ClickHouse's HTTP interface words it."""
    text = str(exc)
    start = text.find("Code: ")
    message = (text[start:] if start >= 0 else text).strip()
    found = _CODE.search(message)
    return QueryError(int(found[1]) if found else 1000, message)


def make_readonly(client: Client, timeout: float) -> None:
    """Make this connection's session read-only for good: after ``readonly=1`` no setting
    may change, so the query timeout is set first."""
    client.command(f"SET max_execution_time = {int(max(timeout, 1))}")
    client.command("SET readonly = 1")


class QueryRunner:
    """Analyst queries on one read-only connection, one at a time, off the event loop."""

    def __init__(self, client: Client, database: str) -> None:
        self.client = client
        self.database = database
        self.timezone = str(client.command("SELECT timezone()"))
        self.display_name = socket.gethostname()
        self._one = asyncio.Semaphore(1)

    async def run(
        self,
        query: str,
        default_format: str,
        database: str | None,
        query_id: str,
        parameters: dict[str, str] | None = None,
    ) -> Result:
        fmt = result_format(query, default_format)
        if database is not None and not _NAME.match(database):
            message = f"Code: 81. DB::Exception: Database {database} does not exist. (UNKNOWN_DATABASE)"
            raise QueryError(81, message)
        async with self._one:
            body = await asyncio.to_thread(self._run, query, fmt, database or self.database, parameters)
        return Result(body, fmt, query_id)

    def _run(self, query: str, fmt: str, database: str, parameters: dict[str, str] | None) -> bytes:
        try:
            if self.client.database != database:
                self.client.database = database
            return self.client.raw_query(query, parameters or None, fmt=format_to_add(query, fmt))
        except Exception as exc:  # every ClickHouse failure is the analyst's answer
            raise as_query_error(exc) from exc


class AnalystHttp:
    """ClickHouse's HTTP interface (the subset above) over a QueryRunner.

    ``password`` None: no credentials asked (the local socket, which only the data
    directory's owner can open)."""

    def __init__(self, runner: QueryRunner, password: str | None) -> None:
        self.runner = runner
        self.password = password

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        body = await _read_body(receive)
        if body is None:
            error = QueryError(62, "Code: 62. DB::Exception: Max query size exceeded. (SYNTAX_ERROR)")
            await self._error(send, error, 413, str(uuid.uuid4()))
            return
        if path in ("/ping", "/replicas_status"):
            await _respond(send, 200, b"Ok.\n", {"content-type": "text/plain; charset=UTF-8"})
            return
        if path not in ("/", "/query"):
            error = QueryError(0, f"Code: 0. DB::Exception: There is no handle {path}. (NOT_FOUND)")
            await self._error(send, error, 404, str(uuid.uuid4()))
            return
        query_id = params.get("query_id") or str(uuid.uuid4())
        if not self._authenticated(headers, params):
            error = QueryError(
                516,
                f"Code: 516. DB::Exception: {self._user(headers, params) or USER}: Authentication failed: "
                "password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)",
            )
            await self._error(send, error, error.status, query_id)
            return
        query = "\n".join(part for part in (params.get("query", ""), body.decode()) if part)
        if not query.strip():
            await _respond(send, 200, b"Ok.\n", {"content-type": "text/plain; charset=UTF-8"})
            return
        default_format = params.get("default_format") or DEFAULT_FORMAT
        try:
            # ``{name:Type}`` in the query takes ``param_name`` (clickhouse-connect, Grafana).
            bound = {key[6:]: unescape(value) for key, value in params.items() if key.startswith("param_")}
            result = await self.runner.run(query, default_format, params.get("database"), query_id, bound)
        except QueryError as error:
            await self._error(send, error, error.status, query_id)
            return
        await _respond(
            send,
            200,
            result.body,
            {
                "content-type": _CONTENT_TYPES.get(result.format, "application/octet-stream"),
                **self._clickhouse_headers(query_id),
                "x-clickhouse-format": result.format,
            },
        )

    def _user(self, headers: dict[str, str], params: dict[str, str]) -> str:
        return self._credentials(headers, params)[0]

    def _credentials(self, headers: dict[str, str], params: dict[str, str]) -> tuple[str, str]:
        if "x-clickhouse-user" in headers or "x-clickhouse-key" in headers:
            return headers.get("x-clickhouse-user", "default"), headers.get("x-clickhouse-key", "")
        auth = headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return "", ""
            return user, password
        return params.get("user", "default"), params.get("password", "")

    def _authenticated(self, headers: dict[str, str], params: dict[str, str]) -> bool:
        if self.password is None:
            return True
        user, password = self._credentials(headers, params)
        # Both compared whatever the first gives, in constant time.
        return hmac.compare_digest(user.encode(), USER.encode()) & hmac.compare_digest(
            password.encode(), self.password.encode()
        )

    def _clickhouse_headers(self, query_id: str) -> dict[str, str]:
        summary = {"read_rows": "0", "read_bytes": "0", "written_rows": "0", "written_bytes": "0"}
        return {
            "x-clickhouse-query-id": query_id,
            "x-clickhouse-summary": json.dumps(summary, separators=(",", ":")),
            "x-clickhouse-timezone": self.runner.timezone,
            "x-clickhouse-server-display-name": self.runner.display_name,
        }

    async def _error(self, send: Send, error: QueryError, status: int, query_id: str) -> None:
        headers = {
            "content-type": "text/plain; charset=UTF-8",
            "x-clickhouse-exception-code": str(error.code),
            **self._clickhouse_headers(query_id),
        }
        await _respond(send, status, (error.message + "\n").encode(), headers)


async def _read_body(receive: Receive) -> bytes | None:
    """The request's body; None past MAX_BODY (a query, not data: inserts are refused)."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_BODY:
            return None
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _respond(send: Send, status: int, body: bytes, headers: dict[str, str]) -> None:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})

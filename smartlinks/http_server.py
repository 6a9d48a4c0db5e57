"""How the product's HTTP server treats connections: deadlines for slow clients, and a cap
on open connections below the process's open-file limit.

uvicorn 0.55 has neither: no deadline for a request whose headers or body never finish,
no cap on connections. 21,000 clients that each send half a request fill a process's
20,000 open files; from then on accept() fails with EMFILE (libuv then accepts and drops
whatever waits), and redirects, the API and ``/readyz`` all fail for as long as the
clients stay (measured: every fresh request for the 16 s they stayed). Here uvicorn's
httptools protocol gets, per connection:

- a header deadline: a request's headers must be complete ``header_timeout`` after the
  connection opened or the previous response ended (so it also ends idle keep-alive);
- a body deadline: a request body that pauses for ``body_timeout`` gets a 408;
- a place under a cap. At the cap a new connection takes the place of the oldest idle
  keep-alive connection, else of the oldest connection still waiting for a request's
  headers (a client that takes seconds for a few hundred bytes is the likeliest attacker;
  a real client needs milliseconds); when every connection has a request being answered,
  the new one gets a 503 and is closed.

Per request this costs what ``on_response_complete`` adds: one reading of the loop's clock
and two dict stores, 0.6 to 0.8 µs over runs of bench/http_server_bench.py, where uvicorn's
protocol alone takes about 12 µs and a whole redirect 30 µs or more. Deadlines are checked
by one timer per connection that re-arms itself lazily from uvicorn's own state, never by
a timer per request.

Accepting stays in uvloop (libuv accepts in C, then calls us): a connection's file is open
before we see it, and libuv accepts until the kernel's queue is empty before our code
runs. So the cap leaves room for that queue (the listen backlog) and for the process's own
files (SQLite, chDB, Kafka, log segments).
"""

from __future__ import annotations

import asyncio
import logging
import resource
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from smartlinks.metrics import Sample, StatsCollector

log = logging.getLogger(__name__)

# Files the process opens besides connections: ~60 when idle (SQLite and its WAL, chDB's
# threads and parts, Kafka sockets, the event log, pipes); 1,024 leaves room for merges.
OWN_FILES = 1024
BACKLOG = 2048  # uvicorn's default: how many finished handshakes wait in the kernel for accept()

BUSY = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
TOO_SLOW = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


@dataclass(frozen=True, slots=True)
class Limits:
    max_connections: int
    backlog: int
    header_timeout: float
    body_timeout: float


def limits_for(
    header_timeout: float,
    body_timeout: float,
    max_connections: int | None = None,
    open_files: int | None = None,
) -> Limits:
    """The limits for a process that may open ``open_files`` files (default: its RLIMIT_NOFILE).

    The cap is the open-file limit less the backlog and the process's own files, each at most
    a quarter of the limit (so a small limit such as 1,024 still serves 512 connections); a
    configured ``max_connections`` above that ceiling is lowered to it.
    """
    if open_files is None:
        open_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if open_files == resource.RLIM_INFINITY:
            open_files = 1 << 20  # Linux's default fs.nr_open
    backlog = max(min(BACKLOG, open_files // 4), 1)
    ceiling = max(open_files - backlog - min(OWN_FILES, open_files // 4), 1)
    cap = ceiling if max_connections is None else min(max_connections, ceiling)
    if max_connections is not None and max_connections > ceiling:
        log.warning(
            "at most %d connections, not %d: the process may open %d files", cap, max_connections, open_files
        )
    else:
        log.info("at most %d connections (the process may open %d files)", cap, open_files)
    return Limits(cap, backlog, header_timeout, body_timeout)


@dataclass(slots=True)
class ConnectionStats:
    refused: int = 0
    evicted_idle: int = 0
    evicted_waiting: int = 0
    header_timeouts: int = 0
    body_timeouts: int = 0


class ConnectionTable:
    """The open connections of one server, and the order they give way in at the cap."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.count = 0
        self.stats = ConnectionStats()
        # Connections oldest first (a dict keeps insertion order; adding or removing one is
        # O(1)): in ``waiting`` from their opening, in ``idle`` from their first response.
        # One is not taken out when a request begins, nor moved back when it ends (either
        # would cost every request); one found busy when the table looks for a connection
        # to close is dropped from the order then, and enters again at its next response.
        self.idle: dict[LimitedHttpProtocol, None] = {}
        self.waiting: dict[LimitedHttpProtocol, None] = {}

    def admit(self) -> bool:
        """Count one more connection, closing another to make room; False if none can go."""
        if self.count >= self.limits.max_connections:
            if victim := self._oldest(self.idle, idle=True):
                self.stats.evicted_idle += 1
            elif victim := self._oldest(self.waiting, idle=False):
                self.stats.evicted_waiting += 1
            else:
                self.stats.refused += 1
                return False
            victim.evict()
        self.count += 1
        return True

    @staticmethod
    def _oldest(order: dict[LimitedHttpProtocol, None], idle: bool) -> LimitedHttpProtocol | None:
        while order:
            connection = next(iter(order))
            if connection.is_idle() if idle else connection.awaits_headers():
                return connection
            del order[connection]
        return None

    def forget(self, connection: LimitedHttpProtocol) -> None:
        self.count -= 1
        self.idle.pop(connection, None)
        self.waiting.pop(connection, None)

    def metrics(self) -> StatsCollector:
        s, limits = self.stats, self.limits

        def closed() -> dict[str, float]:
            return {
                "refused": s.refused,
                "evicted_idle": s.evicted_idle,
                "evicted_waiting": s.evicted_waiting,
                "header_timeout": s.header_timeouts,
                "body_timeout": s.body_timeouts,
            }

        return StatsCollector(
            [
                Sample("http_connections_open", "Open HTTP connections.", "gauge", lambda: self.count),
                Sample(
                    "http_connections_max",
                    "Cap on open HTTP connections.",
                    "gauge",
                    lambda: limits.max_connections,
                ),
                Sample(
                    "http_connections_closed_total",
                    "HTTP connections closed by the server's limits, by reason.",
                    "counter",
                    closed,
                    label="reason",
                ),
            ]
        )


class LimitedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with deadlines and a place under the cap (see the module).

    Per request it only notes when a response ended (``on_response_complete``); what a
    connection is doing is read from uvicorn's own state when its timer fires.
    """

    table: ClassVar[ConnectionTable]  # set by ``http_protocol``
    admitted = False
    headers_since = 0.0  # loop time since when the connection waits for a request's headers
    body_since = 0.0  # loop time of the last progress of a request body
    body_of: object = None  # the request (uvicorn's cycle) whose body ``body_since`` is about
    watch: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        table = self.table
        if not table.admit():
            transport.write(BUSY)
            transport.close()
            return
        self.admitted = True
        self.headers_since = self.loop.time()
        table.waiting[self] = None
        self.watch = self.loop.call_later(table.limits.header_timeout, self.check)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.admitted:
            self.admitted = False
            self.table.forget(self)
        if self.watch is not None:
            self.watch.cancel()
            self.watch = None
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        # Not super(): making the super object took 0.3 µs a request, a third of this
        # override's cost (bench/http_server_bench.py).
        HttpToolsProtocol.on_response_complete(self)
        if self.admitted:
            self.headers_since = self.loop.time()
            table = self.table
            table.idle[self] = None  # where it was, if it is there still
            table.waiting[self] = None

    def on_body(self, body: bytes) -> None:
        self.body_since = self.loop.time()
        super().on_body(body)

    def awaits_headers(self) -> bool:
        """No request is being read past its headers or answered, and every response has
        left (not only been handed to the transport: closing now would cut it short)."""
        cycle = self.cycle
        return (cycle is None or cycle.response_complete) and not self.transport.get_write_buffer_size()

    def is_idle(self) -> bool:
        """Between two requests: a response ended, and not a byte of the next has come
        (uvicorn makes a new scope at a request's first byte)."""
        cycle = self.cycle
        return cycle is not None and cycle.response_complete and cycle.scope is self.scope

    def check(self) -> None:
        """The connection's timer: close it if a deadline passed, else look again at the next one."""
        now = self.loop.time()
        limits = self.table.limits
        cycle = self.cycle
        if self.flow.read_paused or self.transport.get_write_buffer_size():
            # Behind, not late: the app on reading the request, or the client on reading a
            # response (uvicorn calls a response complete once it is handed to the transport).
            self.headers_since = self.body_since = now
        if cycle is None or cycle.response_complete:
            due = self.headers_since + limits.header_timeout
            if now >= due:
                self.table.stats.header_timeouts += 1
                self.close_now()
                return
        elif cycle.more_body:
            if self.body_of is not cycle:  # a request this timer has not seen
                self.body_of = cycle
                if self.body_since <= self.headers_since:  # not a byte of its body yet: start now
                    self.body_since = now
            due = self.body_since + limits.body_timeout
            if now >= due:
                self.table.stats.body_timeouts += 1
                if not cycle.response_started:
                    # As connection_lost would: the app's receive() hears of a disconnect and
                    # its send() writes nothing after our 408.
                    cycle.disconnected = True
                    cycle.message_event.set()
                    self.transport.write(TOO_SLOW)
                self.close_now()
                return
        else:  # being answered: no deadline of ours
            due = now + limits.header_timeout
        self.watch = self.loop.call_later(due - now, self.check)

    def evict(self) -> None:
        """Close at once to make room for a new connection."""
        self.admitted = False
        self.table.forget(self)
        self.close_now()

    def close_now(self) -> None:
        # abort(), not close(): close() waits until the write buffer drains, and a client
        # that reads nothing would keep the file open.
        if self.watch is not None:
            self.watch.cancel()
            self.watch = None
        self.transport.abort()


def http_protocol(table: ConnectionTable) -> type[LimitedHttpProtocol]:
    """The protocol class to pass to uvicorn (``http=``), bound to one server's ``table``."""
    attributes: dict[str, Any] = {"table": table}
    return cast(type[LimitedHttpProtocol], type("LimitedHttpProtocol", (LimitedHttpProtocol,), attributes))

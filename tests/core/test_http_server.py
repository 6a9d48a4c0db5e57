"""The HTTP server's deadlines and connection cap, with small limits, over real sockets."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from typing import Any

import pytest

from smartlinks.http_server import ConnectionTable, Limits, http_protocol, limits_for
from smartlinks.settings import Settings, SettingsError
from tests.support.server import serve

HEADERS_HALF = b"GET / HTTP/1.1\r\nHost: t\r\n"
REQUEST = b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"
BIG = b"b" * 16_000_000  # more than the kernel buffers on both ends


class App:
    """GET: 200 ``ok``; POST: 200 with the body's length; ``/hold``: answers when released;
    ``/big``: 16 MB."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.release = asyncio.Event()
        self.disconnects = 0

    def let_go(self) -> None:
        """Let the held requests answer (from the test's thread)."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.release.set)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] == "lifespan.startup":
                self.loop = asyncio.get_running_loop()
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b"ok"
        if scope["method"] == "POST":
            size = 0
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    self.disconnects += 1
                    return
                size, more = size + len(message["body"]), message["more_body"]
            body = str(size).encode()
        if scope["path"] == "/hold":
            await self.release.wait()
        if scope["path"] == "/big":
            body = BIG
        length = str(len(body)).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", length)]})
        await send({"type": "http.response.body", "body": body})


@contextmanager
def limited_server(**limits: Any) -> Iterator[tuple[int, ConnectionTable, App]]:
    table = ConnectionTable(Limits(**{"max_connections": 100, "backlog": 64, **limits}))
    app = App()
    with serve(app, http=http_protocol(table), ws="none", loop="uvloop") as url:
        try:
            yield int(url.rsplit(":", 1)[1]), table, app
        finally:
            app.let_go()  # uvicorn's shutdown waits for requests in progress


def connect(port: int, send: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if send:
        sock.sendall(send)
    return sock


def read_response(sock: socket.socket) -> bytes:
    """One response (they are all ``content-length`` ones here), or what came before the close."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            return data
        data += chunk
    head, _, start = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    rest = bytearray(start)
    while len(rest) < length and (chunk := sock.recv(1 << 20)):
        rest += chunk
    return head + b"\r\n\r\n" + rest


def closed_after(sock: socket.socket, started: float) -> tuple[float, bytes]:
    """Seconds from ``started`` until the server closed ``sock``, and what it sent before."""
    received = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return time.monotonic() - started, received
        received += chunk


def is_open(sock: socket.socket) -> bool:
    """Nothing to read and no end of stream: the server has not closed it."""
    sock.settimeout(0.2)
    try:
        return sock.recv(1) != b""
    except TimeoutError:
        return True
    except ConnectionResetError:
        return False
    finally:
        sock.settimeout(5)


def close_times(socks: list[socket.socket], started: float) -> list[tuple[float, bytes]]:
    """``closed_after`` for each of ``socks``, all watched at once."""
    with ThreadPoolExecutor(len(socks)) as pool:
        return list(pool.map(lambda sock: closed_after(sock, started), socks))


def test_headers_that_never_finish_are_cut_at_the_header_timeout() -> None:
    with limited_server(header_timeout=0.5, body_timeout=10) as (port, table, _), ExitStack() as stack:
        started = time.monotonic()
        silent = stack.enter_context(connect(port))
        half = stack.enter_context(connect(port, HEADERS_HALF))
        dripping = stack.enter_context(connect(port, b"GET / HTTP/1.1\r\n"))
        with ThreadPoolExecutor(1) as pool:
            watched = pool.submit(close_times, [silent, half, dripping], started)
            # A byte every 0.1 s keeps a connection busy, but its deadline does not move.
            with suppress(OSError):
                while not watched.done():
                    time.sleep(0.1)
                    dripping.send(b"X")
            for elapsed, received in watched.result():
                assert 0.45 <= elapsed < 1.5, elapsed
                assert received == b""
        assert table.stats.header_timeouts == 3
        assert table.count == 0


def test_the_header_deadline_of_a_keep_alive_connection_starts_at_its_last_response() -> None:
    with limited_server(header_timeout=1.0, body_timeout=10) as (port, _, _), connect(port) as sock:
        for _ in range(3):  # requests 0.5 s apart: each within the deadline of the one before
            sock.sendall(REQUEST)
            assert read_response(sock).endswith(b"\r\n\r\nok")
            answered = time.monotonic()
            time.sleep(0.5)
        time.sleep(0.2)
        sock.sendall(HEADERS_HALF)  # 0.7 s after the response: 0.3 s left, not a new second
        elapsed, received = closed_after(sock, answered)
        assert 0.95 <= elapsed < 1.5, elapsed
        assert received == b""


def test_a_response_the_client_reads_slowly_is_not_cut_by_the_header_deadline() -> None:
    with limited_server(header_timeout=0.5, body_timeout=0.5) as (port, table, _), socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(5)
        sock.connect(("127.0.0.1", port))
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        time.sleep(1.5)  # three header deadlines with most of the response still unsent
        body = read_response(sock).partition(b"\r\n\r\n")[2]
        assert len(body) == len(BIG)
        assert table.stats.header_timeouts == 0


def test_a_body_that_stops_gets_a_408_and_the_app_hears_of_a_disconnect() -> None:
    with limited_server(header_timeout=0.3, body_timeout=0.6) as (port, table, app), connect(port) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        for _ in range(4):  # progress every 0.3 s keeps it going past several body timeouts
            time.sleep(0.3)
            sock.sendall(b"x" * 10)
        stalled = time.monotonic()
        elapsed, received = closed_after(sock, stalled)
        assert received.startswith(b"HTTP/1.1 408 "), received
        assert 0.2 <= elapsed < 1.5, elapsed
        assert table.stats.body_timeouts == 1
        deadline = time.monotonic() + 2
        while app.disconnects == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert app.disconnects == 1


def test_a_slow_but_steady_body_is_not_cut() -> None:
    with limited_server(header_timeout=0.3, body_timeout=0.6) as (port, table, _), connect(port) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 60\r\n\r\n")
        for _ in range(6):  # 1.5 s in all, several times each deadline
            time.sleep(0.25)
            sock.sendall(b"y" * 10)
        assert read_response(sock).endswith(b"\r\n\r\n60")
        assert table.stats.body_timeouts == table.stats.header_timeouts == 0


def test_at_the_cap_idle_keep_alive_goes_first_then_the_longest_waiting_for_headers() -> None:
    limits = {"max_connections": 3, "header_timeout": 30, "body_timeout": 30}
    with limited_server(**limits) as (port, table, _), ExitStack() as stack:
        idle = stack.enter_context(connect(port, REQUEST))
        assert read_response(idle).endswith(b"ok")
        first_half = stack.enter_context(connect(port, HEADERS_HALF))
        time.sleep(0.05)
        second_half = stack.enter_context(connect(port, HEADERS_HALF))
        time.sleep(0.1)
        assert table.count == 3
        # Its idle elder is older than both half requests, but idle goes first anyway.
        newcomer = stack.enter_context(connect(port, REQUEST))
        assert read_response(newcomer).endswith(b"ok")
        assert not is_open(idle)
        assert is_open(first_half) and is_open(second_half)
        assert table.stats.evicted_idle == 1
        # The newcomer is idle now: the next one takes its place...
        other = stack.enter_context(connect(port, REQUEST))
        assert read_response(other).endswith(b"ok")
        assert not is_open(newcomer)
        # ...and with the last idle one busy, the oldest half request gives way.
        other.sendall(b"GET /hold HTTP/1.1\r\nHost: t\r\n\r\n")
        time.sleep(0.1)
        last = stack.enter_context(connect(port, REQUEST))
        assert read_response(last).endswith(b"ok")
        assert not is_open(first_half)
        assert is_open(second_half)
        assert table.stats.evicted_waiting == 1
        assert table.count == 3


def test_when_every_connection_is_answering_a_new_one_gets_503() -> None:
    limits = {"max_connections": 2, "header_timeout": 30, "body_timeout": 30}
    with limited_server(**limits) as (port, table, app), ExitStack() as stack:
        hold = b"GET /hold HTTP/1.1\r\nHost: t\r\n\r\n"
        held = [stack.enter_context(connect(port, hold)) for _ in range(2)]
        time.sleep(0.2)
        refused = stack.enter_context(connect(port))
        elapsed, received = closed_after(refused, time.monotonic())
        assert received.startswith(b"HTTP/1.1 503 "), received
        assert elapsed < 1
        assert table.stats.refused == 1
        app.let_go()
        for sock in held:
            assert read_response(sock).endswith(b"ok")


def test_the_cap_leaves_the_backlog_and_the_process_s_own_files_out_of_the_open_file_limit() -> None:
    assert limits_for(5, 10, open_files=20_000) == Limits(16_928, 2048, 5, 10)
    assert limits_for(5, 10, open_files=1024) == Limits(512, 256, 5, 10)
    assert limits_for(5, 10, max_connections=100, open_files=20_000).max_connections == 100
    assert limits_for(5, 10, max_connections=50_000, open_files=20_000).max_connections == 16_928


def test_settings_of_the_limits() -> None:
    settings = Settings.from_env({})
    assert (settings.header_timeout, settings.body_timeout, settings.max_connections) == (5.0, 10.0, None)
    settings = Settings.from_env(
        {
            "SMARTLINKS_HEADER_TIMEOUT": "2.5",
            "SMARTLINKS_BODY_TIMEOUT": "30",
            "SMARTLINKS_MAX_CONNECTIONS": "900",
        }
    )
    assert (settings.header_timeout, settings.body_timeout, settings.max_connections) == (2.5, 30.0, 900)
    for name, value in (("HEADER_TIMEOUT", "0"), ("BODY_TIMEOUT", "soon"), ("MAX_CONNECTIONS", "0")):
        with pytest.raises(SettingsError, match=f"SMARTLINKS_{name}"):
            Settings.from_env({f"SMARTLINKS_{name}": value})

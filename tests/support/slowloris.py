"""A slowloris client: many connections that each send half a request's headers and wait.

Run as ``python -m tests.support.slowloris PORT COUNT SOURCE_ADDRESS`` (one process holds
at most its open-file limit, so a test runs several). It opens COUNT non-blocking
connections from SOURCE_ADDRESS (a loopback address of its own gives it a whole ephemeral
port range) to 127.0.0.1:PORT, sends each half a request once connected, then holds them;
a connection the server closes stays closed. It prints one JSON line when every
connection has connected or failed, and another when a line (or the end) on stdin tells
it to stop: counts, and the seconds at which the server closed connections.
"""

from __future__ import annotations

import errno
import json
import resource
import select
import socket
import sys
import time

WINDOW = 400
HALF_REQUEST = b"GET /readyz HTTP/1.1\r\nHost: slowloris\r\nUser-Agent: slowloris\r\n"


def report(**fields: object) -> None:
    print(json.dumps(fields), flush=True)


def send_half(sock: socket.socket) -> bool:
    try:
        return sock.send(HALF_REQUEST) == len(HALF_REQUEST)
    except OSError:
        return False


def main(port: int, count: int, source: str) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    poll = select.epoll()
    poll.register(sys.stdin.fileno(), select.EPOLLIN)
    started = time.monotonic()
    sockets: dict[int, socket.socket] = {}
    to_open, connecting, connected, failed = count, 0, 0, 0
    closed_at: list[float] = []  # seconds since the first connect

    def open_more() -> None:
        # A few hundred connects in flight, not all at once: a burst beyond the server's
        # listen backlog has its SYNs dropped and retried 1 s, then 3 s, later.
        nonlocal to_open, connecting, failed
        while to_open and connecting < WINDOW:
            to_open -= 1
            sock = socket.socket()
            sock.setblocking(False)
            sock.bind((source, 0))
            if sock.connect_ex(("127.0.0.1", port)) not in (0, errno.EINPROGRESS):
                sock.close()
                failed += 1
                continue
            sockets[sock.fileno()] = sock
            poll.register(sock, select.EPOLLOUT)
            connecting += 1

    open_more()
    stop = False
    while not stop:
        for fd, events in poll.poll(1.0):
            if fd == sys.stdin.fileno():
                stop = True
                continue
            sock, held = sockets[fd], False
            if events & select.EPOLLOUT:  # the connect finished
                connecting -= 1
                held = not events & (select.EPOLLERR | select.EPOLLHUP) and send_half(sock)
                if held:
                    connected += 1
                    poll.modify(sock, select.EPOLLIN | select.EPOLLRDHUP)
                else:
                    failed += 1
                open_more()
                if not to_open and not connecting:
                    report(connected=connected, failed=failed, seconds=round(time.monotonic() - started, 2))
            else:  # closed by the server (or answered, which here means refused)
                closed_at.append(round(time.monotonic() - started, 2))
            if not held:
                poll.unregister(sock)
                sock.close()
                del sockets[fd]
    report(connected=connected, failed=failed, closed_by_server=closed_at, held=len(sockets))
    for sock in sockets.values():
        sock.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])

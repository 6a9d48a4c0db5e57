"""Free TCP ports for the servers tests start, chosen outside the ephemeral range.

The kernel picks the local port of every outgoing connection from the ephemeral range
(``/proc/sys/net/ipv4/ip_local_port_range``). A client that keeps retrying a stopped
server whose port lies in that range eventually gets that very port as its own local
port, and the connect succeeds: a TCP self-connection (``ss`` shows 127.0.0.1:P ↔
127.0.0.1:P) that holds the port, so the server cannot bind it when it restarts. A port
the kernel never hands out for outgoing connections cannot be taken that way.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

PORT_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LINUX_DEFAULT_EPHEMERAL = (32768, 60999)
# Above the well-known services most machines run (databases, brokers, dev servers on
# 8000-9999) and, with Linux's default range, below the ephemeral ports.
PREFERRED = (20000, 32000)
_given: set[int] = set()  # never the same port twice in one test session


def ephemeral_range(path: Path = PORT_RANGE_FILE) -> tuple[int, int]:
    try:
        low, high = (int(part) for part in path.read_text().split())
    except (OSError, ValueError):
        return LINUX_DEFAULT_EPHEMERAL
    return low, high


def candidate_ports(ephemeral: tuple[int, int]) -> list[int]:
    """The preferred ports outside ``ephemeral``; failing that, any unprivileged one outside it."""
    low, high = ephemeral
    for first, last in (PREFERRED, (1024, 65535)):
        ports = [port for port in range(first, last + 1) if not low <= port <= high]
        if ports:
            return ports
    return []


def is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing uses now and the kernel does not hand out to clients.

    Random, not sequential: parallel test sessions draw from the same ports and rarely
    draw the same one. Where the ephemeral range covers every port, the kernel's choice."""
    candidates = candidate_ports(ephemeral_range())
    random.shuffle(candidates)
    for port in candidates[:1000]:
        if port not in _given and is_free(port):
            _given.add(port)
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

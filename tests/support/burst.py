"""A full-speed burst of redirects over keep-alive connections, counting what was sent and
what was answered, that ends by itself when the server goes away (a fault test kills it)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


@dataclass
class BurstCount:
    sent: int = 0  # requests written (an upper bound of the clicks the server can have seen)
    answered: int = 0  # complete 302 responses read (each one a promise to count the click)


async def _connection(host: str, port: int, request: bytes, count: BurstCount, deadline: float) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return
    try:
        while time.monotonic() < deadline:
            count.sent += 1  # counted before the write: a half-sent request may still count
            writer.write(request)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            if head.startswith(b"HTTP/1.1 302"):
                count.answered += 1  # no body: Content-Length is 0
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
        return
    finally:
        writer.close()


def burst(base_url: str, path: str, seconds: float, connections: int = 32) -> BurstCount:
    """Send ``GET path`` as fast as ``connections`` keep-alive connections allow for at most
    ``seconds``; stops early when the server stops answering."""
    host, port = base_url.removeprefix("http://").split(":")
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {FIREFOX}\r\n\r\n".encode()
    count = BurstCount()

    async def run() -> None:
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(_connection(host, int(port), request, count, deadline) for _ in range(connections))
        )

    asyncio.run(run())
    return count

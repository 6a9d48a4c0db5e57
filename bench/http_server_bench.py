"""What the connection limits (smartlinks/http_server.py) cost per request.

uvicorn's httptools protocol and ours answer the same keep-alive requests from an ASGI app
that redirects at once, on uvloop, through an in-memory transport: no sockets and no kernel,
so the difference is the protocol's own work. The two alternate over several rounds and the
best round of each counts, in CPU time of the thread (other work on the machine only ever
adds time, through caches and interruptions). Run it with
``.venv/bin/python bench/http_server_bench.py``; it writes bench/results/http_server.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import sys
import time
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import write  # noqa: E402

from smartlinks.http_server import ConnectionTable, http_protocol, limits_for  # noqa: E402

REQUEST = b"GET /x7Kp2Qa HTTP/1.1\r\nHost: sl.example\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
HEADERS = [(b"location", b"https://example.com/landing"), (b"content-length", b"0")]


async def redirect(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 302, "headers": HEADERS})
    await send({"type": "http.response.body", "body": b""})


class MemoryTransport(asyncio.Transport):
    """Enough of a transport for uvicorn's protocol: counts what it is given to send."""

    def __init__(self) -> None:
        super().__init__()
        self.responses = 0
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8080), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.responses += bytes(data[:12]) == b"HTTP/1.1 302"

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


async def round_of(protocol_class: type[HttpToolsProtocol], requests: int) -> float:
    """Seconds per request over ``requests`` keep-alive requests on one connection."""
    config = uvicorn.Config(redirect, log_level="warning", access_log=False, proxy_headers=False)
    config.load()
    transport = MemoryTransport()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(transport)
    started = time.thread_time()  # CPU time: a round the machine's other work interrupts still counts right
    for _ in range(requests):
        protocol.data_received(REQUEST)
        await asyncio.sleep(0)  # the request's task runs and answers
    elapsed = time.thread_time() - started
    assert transport.responses == requests, transport.responses
    protocol.connection_lost(None)
    return elapsed / requests


async def measure(rounds: int, requests: int) -> dict[str, float]:
    limited = http_protocol(ConnectionTable(limits_for(5.0, 10.0)))
    best = {"uvicorn": float("inf"), "limited": float("inf")}
    for _ in range(rounds):
        best["uvicorn"] = min(best["uvicorn"], await round_of(HttpToolsProtocol, requests))
        best["limited"] = min(best["limited"], await round_of(limited, requests))
    return {name: seconds * 1e6 for name, seconds in best.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=80)
    parser.add_argument("--requests", type=int, default=5_000, help="requests per round")
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/http_server.json")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    us = uvloop.run(measure(args.rounds, args.requests))
    extra = us["limited"] - us["uvicorn"]
    print(f"uvicorn's protocol: {us['uvicorn']:.2f} µs per request (best of {args.rounds} rounds)")
    print(f"with the limits:    {us['limited']:.2f} µs per request (+{extra:.2f} µs)")
    doc = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average_before": round(load, 2),
        "rounds": args.rounds,
        "requests_per_round": args.requests,
        "us_per_request": {name: round(value, 3) for name, value in us.items()},
        "extra_us_per_request": round(extra, 3),
    }
    write("http_server", doc, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A webhook receiver for tests: a real HTTP server (uvicorn in a thread) that records
every request it gets, per hook name (``/hook/<name>``), and answers as told."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from smartlinks.types import Receive, Scope, Send
from tests.support.server import serve


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


class Receiver:
    """Answers 200 unless ``answer(name, ...)`` queued other statuses for that hook."""

    def __init__(self) -> None:
        self.url = ""
        self._lock = threading.Lock()
        self._received: dict[str, list[Received]] = defaultdict(list)
        self._answers: dict[str, list[int]] = defaultdict(list)
        self._always: dict[str, int] = {}
        self._replies: dict[str, bytes] = {}

    def hook(self, name: str) -> str:
        return f"{self.url}/hook/{name}"

    def answer(
        self, name: str, *statuses: int, always: int | None = None, reply: bytes | None = None
    ) -> None:
        """Answer the hook's next requests with ``statuses``, then with ``always`` (200 by
        default), each with ``reply`` as the body (default ``answer <status>``)."""
        with self._lock:
            self._answers[name].extend(statuses)
            if always is not None:
                self._always[name] = always
            if reply is not None:
                self._replies[name] = reply

    def received(self, name: str) -> list[Received]:
        with self._lock:
            return list(self._received[name])

    def wait(self, name: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests of a hook, waiting for them; fails on timeout."""
        deadline = time.monotonic() + timeout
        while len(got := self.received(name)) < count:
            assert time.monotonic() < deadline, f"hook {name!r} got {len(got)} of {count} requests"
            time.sleep(0.02)
        return got

    async def arrived(self, name: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """``wait`` for a test running on an event loop (which must keep running)."""
        deadline = time.monotonic() + timeout
        while len(got := self.received(name)) < count:
            assert time.monotonic() < deadline, f"hook {name!r} got {len(got)} of {count} requests"
            await asyncio.sleep(0.02)
        return got

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        name = scope["path"].rsplit("/", 1)[-1]
        headers = {key.decode().lower(): value.decode() for key, value in scope["headers"]}
        with self._lock:
            self._received[name].append(Received(scope["path"], headers, body))
            queued = self._answers[name]
            status = queued.pop(0) if queued else self._always.get(name, 200)
            reply = self._replies.get(name, f"answer {status}".encode())
        extra: list[tuple[bytes, bytes]] = []
        if 300 <= status < 400:
            extra.append((b"location", self.hook(name + "-moved").encode()))
        await send({"type": "http.response.start", "status": status, "headers": extra})
        await send({"type": "http.response.body", "body": reply})


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    with serve(receiver) as url:
        receiver.url = url
        yield receiver

"""The ASGI ceiling for bench/redirect_bench.py: the least an ASGI app can do per request.

It answers every request with the redirect the product sends, from constants, and is
served the way the product is (uvicorn with httptools and uvloop), so the ratio of the
product's redirect rate to this one is what the product's own work costs.
"""

from __future__ import annotations

from typing import Any

_START = {
    "type": "http.response.start",
    "status": 302,
    "headers": [(b"location", b"https://example.com/landing?utm_source=x"), (b"content-length", b"0")],
}
_BODY = {"type": "http.response.body", "body": b""}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await send(_START)
        await send(_BODY)

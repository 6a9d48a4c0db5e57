"""The small HTML pages a person sees when a short link does not lead anywhere."""

from __future__ import annotations

from smartlinks.types import Send

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;color:#222;max-width:32rem;margin:15vh auto;padding:0 1rem}}
h1{{font-size:1.4rem}}p{{color:#555}}</style></head>
<body><h1>{title}</h1><p>{text}</p></body></html>
"""

NOT_FOUND = _PAGE.format(
    title="Link not found",
    text="This short link does not exist or has been removed. Check that it was copied completely.",
).encode()

GONE = _PAGE.format(
    title="Link expired",
    text="This short link has expired and no longer leads anywhere.",
).encode()

METHOD_NOT_ALLOWED = _PAGE.format(
    title="Method not allowed",
    text="Short links can only be opened (GET or HEAD).",
).encode()

_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
]


async def send_page(
    send: Send, status: int, body: bytes, method: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    """One of these pages as a complete response (headers only for HEAD)."""
    headers = [*_HEADERS, (b"content-length", str(len(body)).encode())]
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

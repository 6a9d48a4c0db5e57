"""The small HTML pages a person sees when a short link does not lead anywhere (yet)."""

from __future__ import annotations

from smartlinks.types import Send

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;color:#222;max-width:32rem;margin:15vh auto;padding:0 1rem}}
h1{{font-size:1.4rem}}p{{color:#555}}p.error{{color:#b00020}}
input,button{{font:inherit;padding:.4rem .6rem;margin:.2rem 0}}</style></head>
<body><h1>{title}</h1><p>{text}</p>{form}</body></html>
"""

NOT_FOUND = _PAGE.format(
    title="Link not found",
    text="This short link does not exist or has been removed. Check that it was copied completely.",
    form="",
).encode()

GONE = _PAGE.format(
    title="Link expired",
    text="This short link has expired and no longer leads anywhere.",
    form="",
).encode()

METHOD_NOT_ALLOWED = _PAGE.format(
    title="Method not allowed",
    text="Short links can only be opened (GET or HEAD).",
    form="",
).encode()

# No action attribute: the form posts to the page's own URL, query string included, so the
# redirect after the password forwards the same query as a plain click would.
_GATE_FORM = """<form method="post">
<input type="password" name="password" aria-label="Password" autocomplete="current-password"
 maxlength="{max_length}" required autofocus>
<button type="submit">Continue</button></form>"""
_GATE_TITLE = "Password required"
_GATE_TEXT = "This link is protected. Enter its password to continue."


def password_page(max_length: int, error: str = "") -> bytes:
    """The password form; ``error`` (plain text of ours, never user input) says why it is back."""
    form = _GATE_FORM.format(max_length=max_length)
    if error:
        form = f'<p class="error" role="alert">{error}</p>' + form
    return _PAGE.format(title=_GATE_TITLE, text=_GATE_TEXT, form=form).encode()


def bad_form_page(text: str) -> bytes:
    """A request the password form could not have sent (wrong type, too large, no field)."""
    return _PAGE.format(title="Bad request", text=text, form="").encode()


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

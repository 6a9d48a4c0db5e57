"""The password gate of a link with a password, on the redirect edge.

A visitor not yet admitted gets the password page (no click: nobody went anywhere). The
page's form posts the password to ``POST /{code}``; a right one earns a cookie that admits
this browser to this link for a day, and the edge then answers with the redirect and
records the click as for any other. The cookie is a MAC (keyed BLAKE2b, as the visitor
hash; faster than HMAC-SHA256 for these short messages), under a key derived from the
redirector's visitor key, over the link id, its expiry and the link's password hash: it
cannot be forged, admits to no other link, and a new password (a new hash, salted afresh)
turns every cookie of the old one away. Every redirector of a deployment shares the key,
so a cookie one of them set admits at all of them.

Checking a guess is an Argon2id hash (~20-40 ms of CPU, ``smartlinks.passwords``), so it
runs in a worker thread, at most ``verifiers`` at once per process: a flood of guesses
waits on the semaphore instead of taking every thread the redirects' store lookups need.
Guesses are limited per link and client (``redirector.guess_limit``). The password itself
is never logged, stored, counted under a label or put in an error; this module holds it
only while it is checked.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from redirector import pages
from redirector.guess_limit import GuessLimiter
from smartlinks.models import ResolvedLink
from smartlinks.passwords import MAX_PASSWORD_LENGTH, password_matches
from smartlinks.types import Receive, Scope, Send

COOKIE_NAME = "slp"
COOKIE_MAX_AGE = 86_400
MAX_BODY = 4096  # the form sends one field of at most MAX_PASSWORD_LENGTH characters
# Argon2 checks at once per process: half the usable cores, at least one. Measured on 2
# busy cores, sequential plain redirects while 16 clients posted wrong guesses: p99 was
# 5-14 ms with one check at a time (12 ms without the flood), 14-39 ms with two and 45-49 ms
# with four, for about the same guesses per second (24-37: the hashes are CPU-bound).
VERIFIERS = max(1, len(os.sched_getaffinity(0)) // 2)
FORM_TYPE = "application/x-www-form-urlencoded"

_COOKIE_PREFIX = COOKIE_NAME + "="
_KEY_LABEL = b"smartlinks password gate v1"
# The page's one inline style is all it loads; no other origin may frame the form. No
# form-action: Chromium applies it to the redirect after the POST too, and the destination
# is on another origin (tests/browser/test_password_page.py saw the redirect blocked).
_PAGE_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
]
PASSWORD_PAGE = pages.password_page(MAX_PASSWORD_LENGTH)
WRONG_PASSWORD_PAGE = pages.password_page(MAX_PASSWORD_LENGTH, "That password is not right. Try again.")


@dataclass(slots=True)
class GateStats:
    pages: int = 0  # password pages shown to visitors not yet admitted
    admitted: int = 0  # visits let through by the cookie of an earlier right guess
    right: int = 0
    wrong: int = 0
    limited: int = 0  # guesses refused with 429 before they were checked
    refused: int = 0  # bodies the form cannot have sent (type, size, fields)


class BadForm(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class PasswordGate:
    def __init__(
        self,
        visitor_key: bytes,
        secure: bool,
        limiter: GuessLimiter | None = None,
        verifiers: int = VERIFIERS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.stats = GateStats()
        self.limiter = limiter or GuessLimiter()
        self.clock = clock
        # A key of its own: a cookie's MAC can never be confused with a visitor hash.
        self._key = hashlib.blake2b(_KEY_LABEL, key=visitor_key[:64]).digest()
        self._verifying = asyncio.Semaphore(verifiers)
        self._cookie_flags = "; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    def admits(self, scope: Scope, link: ResolvedLink, password_hash: str) -> bool:
        """Whether the request carries this link's cookie, unexpired; counts the visit."""
        now = int(self.clock())
        for name, value in scope["headers"]:
            if name != b"cookie":
                continue
            for part in value.decode("latin-1").split(";"):
                part = part.strip()
                if part.startswith(_COOKIE_PREFIX) and self._valid(
                    part[len(_COOKIE_PREFIX) :], link, password_hash, now
                ):
                    self.stats.admitted += 1
                    return True
        return False

    async def show(self, send: Send, method: str) -> None:
        """The password page, for a GET or HEAD not yet admitted."""
        self.stats.pages += 1
        await pages.send_page(send, 200, PASSWORD_PAGE, method, _PAGE_HEADERS)

    async def check(
        self, scope: Scope, receive: Receive, send: Send, link: ResolvedLink, password_hash: str, ip: str
    ) -> bytes | None:
        """A posted guess: the ``set-cookie`` value that admits the visitor when it is right;
        otherwise None, the refusal having been answered here."""
        try:
            guess = await read_password(scope, receive)
        except BadForm as bad:
            self.stats.refused += 1
            await pages.send_page(send, bad.status, pages.bad_form_page(bad.text), "POST", _PAGE_HEADERS)
            return None
        if guess is None:  # the client went away: nobody to answer
            return None
        # Counted after the body is read and before any await, so parallel guesses are
        # counted one by one.
        key = (link.link_id, ip)
        wait = self.limiter.take(key)
        if wait > 0:
            self.stats.limited += 1
            minutes = math.ceil(wait / 60)
            text = f"Too many wrong passwords. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
            retry = [*_PAGE_HEADERS, (b"retry-after", str(math.ceil(wait)).encode())]
            await pages.send_page(send, 429, pages.password_page(MAX_PASSWORD_LENGTH, text), "POST", retry)
            return None
        if not await self._matches(password_hash, guess):
            self.stats.wrong += 1
            await pages.send_page(send, 403, WRONG_PASSWORD_PAGE, "POST", _PAGE_HEADERS)
            return None
        self.limiter.refund(key)
        self.stats.right += 1
        expires = int(self.clock()) + COOKIE_MAX_AGE
        value = f"{expires}.{self._mac(link, password_hash, expires)}"
        path = scope["path"]  # "/" + the code, as checked by the edge
        return f"{_COOKIE_PREFIX}{value}; Max-Age={COOKIE_MAX_AGE}; Path={path}{self._cookie_flags}".encode()

    async def _matches(self, password_hash: str, guess: str) -> bool:
        if not guess or len(guess) > MAX_PASSWORD_LENGTH:
            return False  # no password the API accepts: no need to spend a hash on it
        async with self._verifying:
            return await asyncio.to_thread(password_matches, password_hash, guess)

    def _mac(self, link: ResolvedLink, password_hash: str, expires: int) -> str:
        message = f"{link.link_id}\n{expires}\n{password_hash}".encode()
        digest = hashlib.blake2b(message, key=self._key, digest_size=16).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def _valid(self, value: str, link: ResolvedLink, password_hash: str, now: int) -> bool:
        expires_text, _, mac = value.partition(".")
        # isascii: str.isdigit also takes "²", which int() refuses.
        if not (expires_text.isascii() and expires_text.isdigit()) or len(expires_text) > 12:
            return False
        expires = int(expires_text)
        if expires <= now:
            return False
        return hmac.compare_digest(mac.encode(), self._mac(link, password_hash, expires).encode())


async def read_password(scope: Scope, receive: Receive) -> str | None:
    """The ``password`` field of a form body; None when the client left before sending it."""
    content_type = ""
    declared = -1
    for name, value in scope["headers"]:
        if name == b"content-type":
            content_type = value.decode("latin-1")
        elif name == b"content-length":
            declared = int(value) if value.isdigit() else -1
    if content_type.split(";", 1)[0].strip().lower() != FORM_TYPE:
        raise BadForm(415, "The password must be sent from the password form.")
    if declared > MAX_BODY:
        raise BadForm(413, "That is far longer than any password.")
    body = bytearray()
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        body += message.get("body", b"")
        if len(body) > MAX_BODY:
            raise BadForm(413, "That is far longer than any password.")
        more = message.get("more_body", False)
    try:
        fields = parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict", max_num_fields=8)
    except (UnicodeDecodeError, ValueError):  # raw non-ASCII bytes, bad percent-encoding, too many fields
        raise BadForm(400, "The form could not be read.") from None
    passwords = [value for name, value in fields if name == "password"]
    if len(passwords) != 1:
        raise BadForm(400, "The form must send one password.")
    return passwords[0]

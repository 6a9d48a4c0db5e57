"""A tenant's own domains as every part sees them: what a domain name may be, the short URL
of a link on one, and the key that names a (domain, code) pair in the redirector's cache
and in the store's lookups.

A link on the default domain is keyed by its code alone, as before domains existed, so
the default domain's hot path and cache entries do not change. A link on a domain is
keyed ``host/code``: no code holds a ``/``, so the two can never be confused.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from smartlinks.codes import short_url

# A host's labels: letters, digits and inner hyphens, 1-63 characters, at least two labels
# and a top-level label that is not all digits (so no IPv4 address); no final dot. Any case
# (kept in lower case). 240, not DNS's 253: the key host/code must fit the compact cache's
# one-byte code length (240 + 1 + 12 <= 255), or the link would never be cached. The API
# states the same rule in its document (api/bodies/domains.py).
MAX_HOST = 240
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_PATTERN = rf"(?:{_LABEL}\.)+(?![0-9]+$){_LABEL}"
_HOST = re.compile(HOST_PATTERN, re.ASCII)


class InvalidDomain(ValueError):
    """Not a domain a tenant may add; ``reason`` says why in words."""


def normalize_host(text: str) -> str:
    """``text`` as a domain, in lower case; raise ``InvalidDomain`` unless it is a plain
    DNS name (no scheme, port, path, address or final dot)."""
    host = text.lower()
    if not host.isascii():
        raise InvalidDomain("an internationalised name must be given in its ASCII (xn--) form")
    if len(host) > MAX_HOST or not _HOST.fullmatch(host):
        raise InvalidDomain(
            f"a domain is a DNS name of at most {MAX_HOST} characters such as go.example.com,"
            " without scheme, port or path"
        )
    return host


def public_host(base_url: str) -> str:
    """The host of the service's own short URLs, which no tenant may add as its domain."""
    return (urlsplit(base_url).hostname or "").lower()


def link_key(domain: str | None, code: str) -> str:
    """The cache and lookup key of ``code`` on ``domain`` (None or '': the default one)."""
    return f"{domain}/{code}" if domain else code


def split_key(key: str) -> tuple[str, str]:
    """(domain, code) of a key; the domain is '' for the default one."""
    domain, _, code = key.rpartition("/")
    return domain, code


def link_short_url(base_url: str, domain: str | None, code: str) -> str:
    """A link's short URL, wherever one is shown (link objects, rewritten messages, QR
    codes, webhook bodies): under ``base_url`` on the default domain; on its own domain
    always https, as a tenant's domain is served behind TLS (its DNS points at a
    TLS-terminating proxy in front of the redirector)."""
    return f"https://{domain}/{code}" if domain else short_url(base_url, code)

"""Referer header → the referring site's host, as a dashboard groups it.

``https://www.Example.com:443/a?b`` → ``example.com``. An Android app that opened the link
sends ``android-app://com.google.android.gm/``: its package name is the answer. Anything
else (other schemes, no host, control characters, garbage) is '', never an error.
"""

from __future__ import annotations

import re

MAX_HOST_LENGTH = 253  # the DNS limit

# scheme://[userinfo@]host[:port]... ; the host is an IPv6 literal or a run of host chars
# that ends where the authority does (a space or other stray character rejects it).
_AUTHORITY = re.compile(
    r"([A-Za-z][A-Za-z0-9+.-]{0,15})://(?:[^/?#@\s]*@)?(\[[0-9A-Fa-f:.]+\]|[^/?#:@\s\[\]]+)(?=[/?#:]|$)"
)
# After lowercasing: letters (IDN hosts arrive as Unicode), digits, dots, hyphens, and
# the underscores some hosts use. No spaces, no control characters.
_HOST = re.compile(r"[\w.-]+|\[[0-9a-f:.]+\]")


def referrer_host(referer: str) -> str:
    if not referer:
        return ""
    match = _AUTHORITY.match(referer)
    if match is None:
        return ""
    scheme = match.group(1).lower()
    if scheme not in ("http", "https", "android-app"):
        return ""
    host = match.group(2).lower().rstrip(".")
    if scheme != "android-app" and host.startswith("www."):
        host = host[4:]
    if not host or len(host) > MAX_HOST_LENGTH or _HOST.fullmatch(host) is None:
        return ""
    return host

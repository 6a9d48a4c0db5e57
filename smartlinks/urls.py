"""Destination URLs: what we accept, and the ASCII form we put in a ``Location`` header."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urlsplit, urlunsplit

MAX_URL_LENGTH = 4096
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What a host name in a Location header may hold: letters, digits, "-" and "_" in dotted
# labels. Everything else (space, "\\", "%", "^", "|", ...) either ends the host early in
# a browser's parser or makes the URL invalid there; IPv6 literals are checked apart.
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?", re.ASCII)
_UNSAFE_IN_LOCATION = re.compile(r"[\x00-\x20\x7f\\]")
# Characters that are legal in a URL but must be percent-encoded to be ASCII-only; already
# encoded sequences ("%20") and reserved delimiters are kept as they are.
_SAFE = "!#$%&'()*+,-./:;=?@[]~_"


class InvalidURL(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def validate_destination(url: str, field: str = "destination_url") -> str:
    """Check a destination URL and return it trimmed, or raise ``InvalidURL`` with a code
    and a message that names ``field`` (the request's field that holds the URL)."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidURL("invalid_url", f"{field} must be a non-empty absolute http(s) URL")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURL("url_too_long", f"{field} may be at most {MAX_URL_LENGTH} characters")
    if _CONTROL.search(url) or " " in url:
        raise InvalidURL("url_control_characters", f"{field} must not contain spaces or control characters")
    if "\\" in url:
        # Browsers read "\" as "/", so "https://a.com\@b.com" would go somewhere else than it says.
        raise InvalidURL("invalid_url", f"{field} must not contain backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a malformed port
    except ValueError:
        raise InvalidURL("invalid_url", f"{field} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidURL("unsupported_scheme", f"{field} must use http or https")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidURL("url_has_credentials", f"{field} must not contain a user name or password")
    host = parts.hostname
    if not host or host.startswith(".") or ".." in host:
        raise InvalidURL("invalid_url", f"{field} must have a host name")
    try:
        ascii_host = _idna_host(host).lower()
    except UnicodeError:
        raise InvalidURL("invalid_url", f"{field} has a host name that is not valid") from None
    if (host.isascii() and not _is_host(ascii_host)) or not _is_dns_name(ascii_host):
        raise InvalidURL("invalid_url", f"{field} has a host name that is not valid")
    if not url.isascii():  # else the Location header carries this very string, checked above
        _check_location(to_header_url(url), scheme, ascii_host, port, field)
    return url


def _is_host(host: str) -> bool:
    if ":" in host:  # only an IPv6 literal has a colon in its host
        if "%" in host:  # a zone id ("%25eth0") means nothing off this machine
            return False
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    return _HOST_NAME.fullmatch(host) is not None


def _is_dns_name(host: str) -> bool:
    """DNS's limits on a name (RFC 1035, RFC 1123): no browser reaches "-bad-.example", an
    empty label or one longer than 63 characters, nor a name longer than 253."""
    if ":" in host:  # an IPv6 literal, checked by _is_host
        return True
    name = host.removesuffix(".")
    return len(name) <= 253 and all(
        0 < len(label) <= 63 and label[0] != "-" and label[-1] != "-" for label in name.split(".")
    )


def _check_location(location: str, scheme: str, host: str, port: int | None, field: str) -> None:
    """Refuse a URL unless the ``Location`` value made of it leads where it was checked to.

    Making that value applies IDNA (with NFKC) to the host, which can turn harmless-looking
    characters into ones that change the URL: the full-width reverse solidus U+FF3C becomes
    "\\", which browsers read as "/", so "https://evil.com<U+FF3C>.example.com/" would lead
    to evil.com; U+00A0, U+2002 and U+3000 become spaces, the full-width U+FF05 a "%". So the
    very string the redirector sends is parsed again and must name the same scheme, host and
    port, with a plain host name."""
    try:
        sent = urlsplit(location)
        same = (sent.scheme.lower(), sent.hostname, sent.port) == (scheme, host, port)
    except ValueError:  # e.g. a full-width U+FF3B that became "[": an unclosed IPv6 literal
        same = False
    if not (same and _is_host(host) and location.isascii()) or _UNSAFE_IN_LOCATION.search(location):
        raise InvalidURL(
            "url_unsafe_normalisation",
            f"{field} changes once written as the Location header sends it (its host in"
            " ASCII, after IDNA and NFKC): it would hold a space, a backslash or another"
            " character a host name cannot have, or lead to another host",
        )


def _idna_host(host: str) -> str:
    if host.isascii():
        return host
    return ".".join(
        label.encode("idna").decode("ascii") if not label.isascii() else label for label in host.split(".")
    )


def to_header_url(url: str) -> str:
    """The URL as an ASCII-only ``Location`` value: punycode host, percent-encoded path and query."""
    if url.isascii():
        return url
    parts = urlsplit(url)
    host = _idna_host(parts.hostname or "")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=_SAFE),
            quote(parts.query, safe=_SAFE),
            quote(parts.fragment, safe=_SAFE),
        )
    )


def display_host(url: str) -> str:
    """The host as punycode, so look-alike (homograph) domains are visible as what they are."""
    host = urlsplit(url).hostname or ""
    return _idna_host(host)

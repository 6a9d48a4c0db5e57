"""Forwarding the short URL's query parameters to the destination."""

from __future__ import annotations

from urllib.parse import quote, unquote_plus


def _key(pair: str) -> str:
    return unquote_plus(pair.split("=", 1)[0])


def merge_query(location: str, incoming: bytes, pinned: str = "") -> str:
    """``location`` with ``incoming`` (a raw query string) merged in: parameters of the short
    URL replace the destination's of the same name, the others keep their order and their
    exact encoding, and a fragment stays last. ``pinned``, a ready ``name=value`` pair (the
    click id), comes last and replaces its name in both, so no visitor can forge it."""
    extra = incoming.decode("latin-1")
    if not extra.isascii():
        extra = quote(extra, safe="!$&'()*+,;=:@/?%")
    pairs = [pair for pair in extra.split("&") if pair]
    if pinned:
        name = _key(pinned)
        pairs = [pair for pair in pairs if _key(pair) != name]
        pairs.append(pinned)
    if not pairs:
        return location
    base, hash_mark, fragment = location.partition("#")
    path, _, query = base.partition("?")
    overridden = {_key(pair) for pair in pairs}
    kept = [pair for pair in query.split("&") if pair and _key(pair) not in overridden]
    return f"{path}?{'&'.join(kept + pairs)}{hash_mark}{fragment}"

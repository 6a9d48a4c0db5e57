"""Strings from clients, made safe for code that needs valid UTF-8.

A Python str can hold lone surrogates, which the Rust matchers and hashing reject with
UnicodeEncodeError. The redirector decodes headers as latin-1 and orjson refuses lone
surrogates, so none should arrive; if one does, it is replaced rather than crash a step.
"""

from __future__ import annotations

# Longer user agents are cut before parsing and caching. Real ones stay under ~500
# characters; a megabyte of garbage must cost no more than a real one, and must not
# sit in the cache as a megabyte key.
MAX_LENGTH = 1024


def scrub(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")

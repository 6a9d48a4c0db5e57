"""Who holds an API key, remembered for a moment: every API request asks.

The key's hash is cheap (SHA-256, see ``hash_api_key``); the store round trip is not: a
trip to a reader thread and back cost a single create ~0.1-0.2 ms of its ~1.4 ms of server
CPU (py-spy, embedded). A verified key is remembered for ``LIFETIME`` seconds, by its hash.

Revocation still takes effect: the store forgets everything it remembers whenever a key is
revoked or a tenant's settings change in this process, and a lookup that was already
under way when that happened does not put its (perhaps stale) answer back. A key revoked
by another process (several API processes on PostgreSQL) keeps working here for at most
``LIFETIME`` seconds. Unknown keys are never remembered: a flood of wrong keys cannot fill
the memory, and a key just created works at once.
"""

from __future__ import annotations

import time

from smartlinks.store.base import KeyHolder

LIFETIME = 1.0  # seconds: at 500 requests a second, one lookup where there were 500
MAX_KEYS = 1024  # more active keys than this in one second: start over rather than grow


class KeyCache:
    def __init__(self, lifetime: float = LIFETIME) -> None:
        self.lifetime = lifetime
        self._holders: dict[str, tuple[float, KeyHolder]] = {}
        self.generation = 0  # bumped by ``forget``: what a lookup started under is stale

    def get(self, digest: str) -> KeyHolder | None:
        found = self._holders.get(digest)
        if found is None:
            return None
        expires, holder = found
        if expires <= time.monotonic():
            del self._holders[digest]
            return None
        return holder

    def put(self, digest: str, holder: KeyHolder, generation: int) -> None:
        """Remember ``holder``, read from the store under ``generation``, unless keys or
        tenants changed meanwhile."""
        if generation != self.generation:
            return
        if len(self._holders) >= MAX_KEYS:
            self._holders.clear()
        self._holders[digest] = (time.monotonic() + self.lifetime, holder)

    def forget(self) -> None:
        self._holders.clear()
        self.generation += 1

"""How many wrong passwords one client may try on one link: a fixed window per (link, client).

A window opens at a client's first guess on a link; once ``limit`` guesses in it were
wrong (or are still being checked), further guesses are refused until it closes.

Memory is bounded: the least recently guessed pairs are forgotten beyond ``size`` (an
entry with its key measured ~380 bytes, so the default 16,384 pairs take ~6 MiB).
Forgetting only ever lets a client guess sooner, so an attacker that rotates through more
addresses than that gets its windows reset; each address still had only ``limit`` guesses
per window, and every guess costs an Argon2 hash behind the gate's semaphore. The count
lives in each redirector process: N redirectors allow N times the limit.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

GUESSES = 5
WINDOW_S = 300.0
SIZE = 16_384

Key = tuple[str, str]  # (link id, client address)


class GuessLimiter:
    def __init__(
        self,
        limit: int = GUESSES,
        window_s: float = WINDOW_S,
        size: int = SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.size = size
        self.clock = clock
        self._windows: OrderedDict[Key, list[float]] = OrderedDict()  # key -> [closes at, guesses]

    def __len__(self) -> int:
        return len(self._windows)

    def take(self, key: Key) -> float:
        """Count a guess by ``key`` before it is checked and return 0, or return the seconds
        it must wait. Counting first means guesses sent in parallel cannot all start before
        the first wrong one is counted; ``refund`` gives a right one back."""
        now = self.clock()
        window = self._windows.get(key)
        if window is None or window[0] <= now:
            self._windows[key] = [now + self.window_s, 1.0]
            self._windows.move_to_end(key)
            if len(self._windows) > self.size:
                self._windows.popitem(last=False)
            return 0.0
        self._windows.move_to_end(key)  # a refused client is still a recent one: keep it
        if window[1] >= self.limit:
            return window[0] - now
        window[1] += 1
        return 0.0

    def refund(self, key: Key) -> None:
        window = self._windows.get(key)
        if window is not None and window[1] > 0:
            window[1] -= 1

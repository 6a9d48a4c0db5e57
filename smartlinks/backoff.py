"""Delays between retries: exponential, bounded, jittered.

Jitter (±25 %) keeps the clients of one process, and the processes of a deployment, from
retrying in lockstep against a server that just came back.
"""

from __future__ import annotations

import random


def jittered(seconds: float) -> float:
    return seconds * random.uniform(0.75, 1.25)


class Backoff:
    """``next()`` gives ``first``, then twice that, and so on up to ``cap`` seconds (each
    ±25 %); ``reset()`` after a success starts over."""

    def __init__(self, first: float, cap: float) -> None:
        if not 0 < first <= cap:
            raise ValueError("need 0 < first <= cap")
        self.first = first
        self.cap = cap
        self._next = first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.cap)
        return jittered(delay)

    def reset(self) -> None:
        self._next = self.first

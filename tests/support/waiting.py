"""Waiting, in tests, for something that happens on its own time (another process, a
broker coming back), measured: a test can both wait and check how long it took."""

from __future__ import annotations

import time
from collections.abc import Callable


def seconds_until(
    condition: Callable[[], bool], timeout: float, what: str = "the condition", every: float = 0.02
) -> float:
    """Poll ``condition`` every ``every`` seconds; return the seconds until it held. Fails
    the test, naming ``what``, if it still does not hold after ``timeout`` seconds."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"{what}: not within {timeout:g} s")
        time.sleep(every)
    return time.monotonic() - started

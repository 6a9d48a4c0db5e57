"""The guess limiter on its own, on a clock the test moves: windows, refunds, the memory bound."""

from __future__ import annotations

from redirector.guess_limit import GuessLimiter


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_allows_the_limit_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = GuessLimiter(limit=3, window_s=300, clock=clock)
    key = ("link", "203.0.113.9")
    assert [limiter.take(key) for _ in range(3)] == [0, 0, 0]
    clock.now += 100
    assert limiter.take(key) == 200  # seconds until the window that opened at 1000 closes
    assert limiter.take(("link", "203.0.113.10")) == 0  # another client
    assert limiter.take(("other link", "203.0.113.9")) == 0  # another link
    clock.now += 200
    assert limiter.take(key) == 0  # a new window


def test_a_refund_gives_a_guess_back() -> None:
    limiter = GuessLimiter(limit=1, window_s=60, clock=Clock())
    key = ("link", "ip")
    assert limiter.take(key) == 0
    limiter.refund(key)
    assert limiter.take(key) == 0
    assert limiter.take(key) == 60


def test_memory_is_bounded_by_forgetting_the_least_recent_clients() -> None:
    limiter = GuessLimiter(limit=1, window_s=60, size=3, clock=Clock())
    for ip in ("a", "b", "c"):
        limiter.take(("link", ip))
    limiter.take(("link", "a"))  # refused, and now the most recent
    limiter.take(("link", "d"))  # b, the least recent, is forgotten
    assert len(limiter) == 3
    assert limiter.take(("link", "a")) > 0 and limiter.take(("link", "c")) > 0
    assert limiter.take(("link", "b")) == 0  # forgotten: it may guess again

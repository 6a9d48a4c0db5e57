"""Who waits in the funnel consumer's hold, and until when (consumer/funnel_hold.py); no
ClickHouse here, a clock the test moves."""

from __future__ import annotations

from consumer.funnel_hold import ClickHold, click_time_ms
from schemas.events import CONVERSION, FunnelEvent
from tests.support.funnel_events import funnel_event

NOW = 1_765_000_000_000  # ms
WAIT = 10.0  # s


class Clock:
    def __init__(self) -> None:
        self.now = NOW / 1000

    def __call__(self) -> float:
        return self.now


def minted(ts: int, serial: int = 1) -> str:
    return f"{ts:012x}7000{0x8 << 60 | serial:016x}"


def conversion(conversion_id: str, click_id: str) -> FunnelEvent:
    return funnel_event(CONVERSION, "t1", conversion_id, NOW, click_id=click_id, name="purchase")


def test_a_click_id_tells_its_time_when_it_is_a_uuid7() -> None:
    assert click_time_ms(minted(NOW)) == NOW
    assert click_time_ms("019af232b2007000800000000000000z") is None
    assert click_time_ms(minted(NOW).upper()) is None  # the API sends them lower-case
    assert click_time_ms("019af232b2004000800000000000000a") is None  # a UUIDv4's version
    assert click_time_ms("019af232b2007000000000000000000a") is None  # not RFC 9562's variant
    assert click_time_ms(minted(NOW)[:31]) is None
    assert click_time_ms(None) is None and click_time_ms("") is None


def test_a_conversion_waits_until_its_clicks_time_plus_the_wait() -> None:
    clock = Clock()
    hold = ClickHold(WAIT, clock)
    fresh, future = conversion("o-1", minted(NOW - 4_000)), conversion("o-2", minted(NOW + 3_600_000, 2))
    assert hold.may_wait(fresh) and hold.may_wait(future)
    assert not hold.may_wait(conversion("o-3", minted(NOW - 10_000)))  # its wait is over
    hold.add([fresh, future])
    clock.now += 5.5
    assert hold.ready(set()) == ([], [])
    clock.now += 0.5  # the click's time + 10 s
    assert hold.ready(set()) == ([], [fresh])
    clock.now += 4  # an id from the future counts from now
    assert hold.ready(set()) == ([], [fresh, future])
    assert hold.ready({future.click_id or ""}) == ([future], [fresh])
    hold.release([future], [fresh])
    assert len(hold) == 0
    assert (hold.stats.held, hold.stats.released_by_click, hold.stats.released_by_timeout) == (2, 1, 1)


def test_a_stretch_of_holding_ends_within_twice_the_wait() -> None:
    """Conversions that keep arriving to wait must not put the acknowledgement off for
    ever: the hold empties at most 2 * WAIT after it stopped being empty."""
    clock = Clock()
    hold = ClickHold(WAIT, clock)
    first = conversion("o-1", minted(NOW))
    hold.add([first])
    clock.now += 9
    second = conversion("o-2", minted(NOW + 9_000, 2))
    hold.add([second])
    clock.now += 6
    third = conversion("o-3", minted(NOW + 15_000, 3))
    hold.add([third])
    hold.release(*hold.ready(set()))  # o-1, at its own deadline
    assert len(hold) == 2
    clock.now += 5  # 2 * WAIT since the first: o-3 has waited 5 s of its 10
    assert hold.ready(set()) == ([], [second, third])
    hold.release(*hold.ready(set()))
    clock.now += 1
    fourth = conversion("o-4", minted(NOW + 21_000, 4))
    hold.add([fourth])  # a new stretch: the whole wait again
    clock.now += 9.9
    assert hold.ready(set()) == ([], [])


def test_a_full_hold_lets_conversions_through_and_counts_them() -> None:
    hold = ClickHold(WAIT, Clock(), max_held=2)
    hold.add([conversion("o-1", minted(NOW, 1)), conversion("o-2", minted(NOW, 2))])
    assert not hold.may_wait(conversion("o-3", minted(NOW, 3)))
    assert hold.stats.refused_full == 1


def test_a_wait_of_zero_holds_nothing() -> None:
    assert not ClickHold(0, Clock()).may_wait(conversion("o-1", minted(NOW)))


def test_held_conversions_are_looked_for_every_second_and_the_source_waited_on_no_longer() -> None:
    clock = Clock()
    hold = ClickHold(WAIT, clock)
    assert not hold.look_due() and hold.seconds_to_look(0.5) == 0.5
    hold.add([conversion("o-1", minted(NOW))])
    assert not hold.look_due() and hold.seconds_to_look(5) == 1.0
    clock.now += 1
    assert hold.look_due() and hold.seconds_to_look(5) == 0
    assert hold.click_ids() == [minted(NOW)]
    assert not hold.look_due()

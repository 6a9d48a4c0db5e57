"""Time buckets of an analytics range, in the viewer's time zone.

Buckets are calendar units in the zone (hour, day, week from Monday, month), so a day
is 23 or 25 hours long on a DST change, and every bucket overlapping the range is listed
even when it has no clicks. Python's zoneinfo makes the list; ClickHouse puts clicks in
buckets with its own zone functions, and ``Buckets.index`` tolerates any disagreement
between the two zone databases by placing a bucket start in the bucket that holds it.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = Literal["hour", "day", "week", "month"]
INTERVALS: tuple[str, ...] = get_args(Interval)
MAX_BUCKETS = 10_000

_HOUR = timedelta(hours=1)
# The names of UTC itself: a bucket there ends in Z. A zone that is at +00:00 only part of
# the year (Europe/London) keeps its offset, as every other zone does.
_UTC_KEYS = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"})


class RangeError(ValueError):
    """A request the queries cannot answer (range, interval, time zone, page size or
    cursor); the API maps it to a 4xx."""


@dataclass(frozen=True, slots=True)
class Buckets:
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    interval: Interval
    tz: ZoneInfo
    # Bucket starts as UTC instants (the first may precede start). Kept in UTC because
    # Python compares two datetimes of one zone by wall time, blind to DST folds.
    starts: tuple[datetime, ...]
    epochs: tuple[int, ...]  # the same as Unix seconds, for lookups

    def index(self, epoch: int) -> int:
        """The bucket holding a Unix time (clamped to the first bucket)."""
        return max(bisect_right(self.epochs, epoch) - 1, 0)

    def labels(self) -> list[str]:
        """RFC 3339 bucket starts with the zone's offset, e.g. 2025-03-30T00:00:00+01:00;
        in UTC with ``Z``, as every other time the API gives (smartlinks.models)."""
        if self.tz.key in _UTC_KEYS:
            return [start.isoformat().replace("+00:00", "Z") for start in self.starts]
        return [start.astimezone(self.tz).isoformat() for start in self.starts]

    @property
    def hour_aligned(self) -> bool:
        """Whether the range and every bucket boundary inside it are whole UTC hours,
        so that hourly rollups answer it exactly (not so in e.g. Asia/Kolkata, +05:30)."""
        return all(_whole_hour(value) for value in (self.start, self.end, *self.starts[1:]))

    @property
    def quarter_aligned(self) -> bool:
        """Whether the range and every bucket boundary inside it are whole quarter hours of
        UTC, so that 15-minute rollups answer it exactly: a range of dates or hours in any
        zone (every offset is whole quarter hours: Asia/Kolkata +05:30, Asia/Kathmandu +05:45)."""
        return all(value.timestamp() % 900 == 0 for value in (self.start, self.end, *self.starts[1:]))


def make_buckets(start: datetime, end: datetime, interval: str, tz: str) -> Buckets:
    """The buckets of [start, end). Naive datetimes are taken as UTC."""
    if interval not in INTERVALS:
        raise RangeError(f"interval must be one of {', '.join(INTERVALS)}")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise RangeError(f"unknown time zone {tz!r}") from None
    start, end = _utc(start), _utc(end)
    if end <= start:
        raise RangeError("the range must end after it starts")
    unit = cast(Interval, interval)
    starts = [_floor(start, unit, zone)]
    while True:
        following = _next(starts[-1], unit, zone)
        if following >= end:
            break
        starts.append(following)
        if len(starts) > MAX_BUCKETS:
            raise RangeError(f"more than {MAX_BUCKETS} {interval} buckets; choose a longer interval")
    epochs = tuple(int(value.timestamp()) for value in starts)
    return Buckets(start, end, unit, zone, tuple(starts), epochs)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _whole_hour(value: datetime) -> bool:
    return value.timestamp() % 3600 == 0


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """When ``day`` starts in ``zone``, in UTC. Where midnight does not exist (a DST jump
    at 00:00) zoneinfo's fold=0 reading lands on the instant of the jump, which is when
    that day really starts."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _floor(instant: datetime, unit: Interval, zone: ZoneInfo) -> datetime:
    """The start (UTC) of the bucket holding a UTC instant."""
    if unit == "hour":
        # Shift by the offset in force, floor, shift back: wall-clock hours repeat when
        # clocks go back, so the hour is found from the instant, not the wall time.
        offset = instant.astimezone(zone).utcoffset() or timedelta()
        return (instant + offset).replace(minute=0, second=0, microsecond=0) - offset
    day = instant.astimezone(zone).date()
    if unit == "week":
        day -= timedelta(days=day.weekday())
    elif unit == "month":
        day = day.replace(day=1)
    return _midnight(day, zone)


def _next(bucket: datetime, unit: Interval, zone: ZoneInfo) -> datetime:
    """The start (UTC) of the bucket after the one starting at ``bucket`` (UTC)."""
    if unit == "hour":
        step = bucket + _HOUR
        following = _floor(step, "hour", zone)
        # Where a local hour lasts longer than 60 minutes (a half-hour DST shift) step on.
        while following <= bucket:
            step += _HOUR / 2
            following = _floor(step, "hour", zone)
        return following
    day = bucket.astimezone(zone).date()
    if unit == "day":
        day += timedelta(days=1)
    elif unit == "week":
        day += timedelta(days=7)
    else:
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return _midnight(day, zone)


DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class DaySplit:
    """[start, end) as whole UTC days of a daily rollup plus signed raw windows."""

    first_day: int  # days since 1970-01-01, inclusive
    end_day: int  # exclusive; first_day == end_day means no rollup days
    windows: tuple[tuple[int, int, int], ...]  # (start ms, end ms, +1 or -1)


def split_days(start: int, end: int) -> DaySplit:
    """Cover [start, end) (Unix ms) with whole UTC days and as little raw time as can be.

    A partial day at either end is read raw when less than half of it is inside the
    range; otherwise the whole day comes from the rollup and the part outside the range
    is subtracted, read raw. So at most 12 hours per end are read raw: 0 for UTC, 1 to 3
    for most zones, 11 for Asia/Kolkata.
    """
    first, last = start // DAY_MS, end // DAY_MS
    if first == last:  # within one UTC day: raw is as cheap as anything
        return DaySplit(first, first, ((start, end, 1),))
    windows = []
    if start % DAY_MS:
        inside = (first + 1) * DAY_MS - start
        if inside * 2 <= DAY_MS:
            windows.append((start, (first + 1) * DAY_MS, 1))
            first += 1
        else:
            windows.append((first * DAY_MS, start, -1))
    if end % DAY_MS:
        inside = end - last * DAY_MS
        if inside * 2 <= DAY_MS:
            windows.append((last * DAY_MS, end, 1))
        else:
            windows.append((end, (last + 1) * DAY_MS, -1))
            last += 1
    return DaySplit(first, last, tuple(windows))

"""``smartlinks check-analytics``: do the rollups and lifetime counts agree with the raw
clicks? Prints the buckets that differ; with ``--repair`` rebuilds them from ``clicks``.

The comparison and the rebuild are consumer/reconcile.py's, the sink's own. Exit status:
0 when everything agrees (or was repaired), 1 when differences were found without
``--repair`` or remain after it, 2 when ClickHouse cannot be opened or checked.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO
from urllib.parse import unquote, urlparse

from consumer.reconcile import LIFETIME, Difference, Period, ReconcileError, Reconciler
from smartlinks import clickhouse
from smartlinks.settings import Settings

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
HEADERS = ("table", "tenant", "link", "bucket", "expected", "found")


class CheckError(Exception):
    """Why the check could not run: printed as it is, exit status 2."""


def instant(raw: str, end: bool) -> datetime:
    """A ``--from``/``--to`` value: a date (a whole UTC day, which ``--to`` includes) or an
    RFC 3339 time with an offset."""
    try:
        if _DATE.fullmatch(raw):
            day = date.fromisoformat(raw) + timedelta(days=1 if end else 0)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        flag = "--to" if end else "--from"
        raise CheckError(f"{flag} must be a date (YYYY-MM-DD) or an RFC 3339 time with an offset: {raw!r}")
    return value.astimezone(UTC)


def cmd_check_analytics(
    settings: Settings, repair: bool, start: str | None, end: str | None, out: TextIO = sys.stdout
) -> int:
    try:
        period = Period(
            instant(start, end=False) if start else None,
            instant(end, end=True) if end else None,
        )
        if period.start and period.end and period.end <= period.start:
            raise CheckError("--to must be after --from")
        return _check(settings, period, repair, out)
    except (CheckError, ReconcileError) as exc:
        print(f"smartlinks check-analytics: {exc}", file=sys.stderr)
        return 2


def _check(settings: Settings, period: Period, repair: bool, out: TextIO) -> int:
    client = _open(settings)
    try:
        reconciler = Reconciler(client)
        found = reconciler.differences(period)
        what = f"{len(reconciler.rollups())} rollups, {_describe(period)}"
        if not found:
            print(f"Analytics agree with the raw clicks ({what}).", file=out)
            return 0
        print(table(found), file=out)
        if not repair:
            print(
                f"{len(found)} bucket(s) disagree with the raw clicks ({what});"
                " run again with --repair to rebuild them from clicks.",
                file=out,
            )
            return 1
        cells = reconciler.rebuild(period, found)
        remaining = reconciler.differences(period)
        if remaining:
            print(f"Still disagreeing after the rebuild ({len(remaining)} bucket(s)):", file=out)
            print(table(remaining), file=out)
            return 1
        print(
            f"Repaired: {len(found)} bucket(s) ({cells} cell(s)) rebuilt from clicks; all agree ({what}).",
            file=out,
        )
        return 0
    finally:
        client.close()


def table(differences: Sequence[Difference]) -> str:
    """The differences as aligned columns; equal figures are marked (the rows differ in
    detail, e.g. a visitor's previous hour)."""
    rows = [
        (
            d.table,
            d.tenant_id,
            d.link_id,
            d.bucket,
            str(d.expected),
            str(d.found) + (" *" if d.found == d.expected else ""),
        )
        for d in differences
    ]
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS))]
    lines = []
    for row in [HEADERS, *rows]:
        cells = [value.ljust(width) for value, width in zip(row[:4], widths, strict=False)]
        cells += [value.rjust(width) for value, width in zip(row[4:], widths[4:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    if any(d.found == d.expected for d in differences):
        lines.append("* the same number of clicks, counted differently (visitors' hours or breakdown values)")
    return "\n".join(lines)


def _describe(period: Period) -> str:
    if period.start is None and period.end is None:
        return "all time"
    start = period.start.isoformat() if period.start else "the first click"
    end = period.end.isoformat() if period.end else "the last click"
    return f"buckets from {start} to {end}; {LIFETIME} counts of the links clicked then"


def _open(settings: Settings) -> clickhouse.Client:
    """A client on the analytics database, or a CheckError saying why there is none."""
    dsn = settings.clickhouse_dsn
    parsed = urlparse(dsn)
    path = Path(unquote(parsed.path)) if parsed.scheme == "chdb" else None
    if path is not None and not (path / "metadata").is_dir():
        raise CheckError(f"no ClickHouse data in {path}: nothing to check (is SMARTLINKS_DATA_DIR right?)")
    try:
        return clickhouse.connect(dsn, settings.clickhouse_database)
    except Exception as exc:
        if path is not None and _locked(path):
            raise CheckError(
                f"the ClickHouse data in {path} is in use by another process: chDB lets one process"
                " open it at a time. Stop `smartlinks up` (or `smartlinks analytics`/`consumer`)"
                " on this data directory, run check-analytics, then start it again."
            ) from None
        where = path if path is not None else "SMARTLINKS_CLICKHOUSE_URL"
        raise CheckError(f"cannot open ClickHouse ({where}): {exc}") from None


def _locked(path: Path) -> bool:
    """Whether a running engine holds the data directory (ClickHouse flocks its ``status``)."""
    try:
        fd = os.open(path / "status", os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)

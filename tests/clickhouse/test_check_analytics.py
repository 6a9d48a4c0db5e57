"""``smartlinks check-analytics`` on a damaged database (see damage.py): it reports the
buckets that disagree with the raw clicks, repairs them with --repair, and reports nothing
on a database that agrees."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest

from consumer.ingest import ClickIngest
from consumer.reconcile import Period, Reconciler
from roles.check_analytics import cmd_check_analytics
from smartlinks.clickhouse import Client
from smartlinks.settings import Settings
from tests.clickhouse.damage import assert_figures_agree, crash, deliver, snapshot, split, truth_figures
from tests.clickhouse.truth import LINK, OTHER_LINK, generate, ms

pytestmark = pytest.mark.clickhouse


def check(clickhouse_database: tuple[str, str], *args: str, **kwargs: Any) -> tuple[int, str]:
    """``smartlinks check-analytics`` in this process, on the test's database."""
    url, name = clickhouse_database
    settings = Settings.from_env({"SMARTLINKS_CLICKHOUSE_URL": url, "SMARTLINKS_CLICKHOUSE_DATABASE": name})
    out = io.StringIO()
    options = dict(zip(("repair", "start", "end"), (False, None, None), strict=True))
    options.update(kwargs)
    status = cmd_check_analytics(settings, options["repair"], options["start"], options["end"], out)
    return status, out.getvalue()


def test_check_analytics_reports_repairs_and_then_agrees(
    clickhouse: Client, clickhouse_database: tuple[str, str]
) -> None:
    rows = generate()
    before, cut_off, _ = split(rows)
    deliver(ClickIngest(clickhouse), before)
    crash(clickhouse, cut_off, ("clicks_hourly_mv", "link_visitors_mv"))
    stored = before + cut_off

    status, report = check(clickhouse_database)
    assert status == 1
    lines = report.splitlines()
    assert lines[0].split() == ["table", "tenant", "link", "bucket", "expected", "found"]
    hourly = [line.split() for line in lines if line.startswith("clicks_hourly ")]
    # One line per (link, hour) the cut-off batch fell in, expecting its clicks, finding none.
    assert len(hourly) == len({(row.link_id, row.ts // 3_600_000) for row in cut_off})
    assert all(line[-1] == "0" and int(line[-2]) > 0 for line in hourly)
    lifetime = [line.split() for line in lines if line.startswith("link_visitors ")]
    assert {(line[2], line[3], line[4]) for line in lifetime} == {
        (LINK, "all", "time"),
        (OTHER_LINK, "all", "time"),
    }
    figures = {link: truth_figures(stored, link) for link in (LINK, OTHER_LINK)}
    for line in lifetime:
        assert int(line[-2]) == figures[line[2]].clicks - figures[line[2]].bots  # every human click
    assert not [line for line in lines if line.startswith(("visitors_hourly", "campaign_daily_dims"))]
    assert "--repair" in lines[-1]
    assert Reconciler(clickhouse).differences(Period())  # reporting changed nothing

    status, report = check(clickhouse_database, repair=True)
    assert status == 0, report
    assert "Repaired" in report.splitlines()[-1]
    assert check(clickhouse_database) == (0, "Analytics agree with the raw clicks (8 rollups, all time).\n")
    assert_figures_agree(clickhouse, stored)


def test_check_analytics_on_a_consistent_database_reports_nothing(
    clickhouse: Client, clickhouse_database: tuple[str, str]
) -> None:
    deliver(ClickIngest(clickhouse), generate())
    stored = snapshot(clickhouse)
    for args in ({}, {"repair": True}, {"start": "2025-03-01", "end": "2025-03-31"}):
        status, report = check(clickhouse_database, **args)
        assert status == 0
        assert report.startswith("Analytics agree with the raw clicks")
    assert snapshot(clickhouse) == stored


def test_check_analytics_in_a_period_sees_only_its_buckets(
    clickhouse: Client, clickhouse_database: tuple[str, str]
) -> None:
    rows = generate()
    start, end = ms(datetime(2025, 3, 1, tzinfo=UTC)), ms(datetime(2025, 4, 1, tzinfo=UTC))
    deliver(ClickIngest(clickhouse), [row for row in rows if row.ts < start])
    crash(clickhouse, [row for row in rows if start <= row.ts < end], ("clicks_hourly_mv",))
    deliver(ClickIngest(clickhouse), [row for row in rows if row.ts >= end])

    assert check(clickhouse_database, start="2025-04-01")[0] == 0
    assert check(clickhouse_database, end="2025-02-28")[0] == 0
    assert check(clickhouse_database, start="2025-03-31T12:00:00Z", end="2025-04-01T00:00:00+00:00")[0] == 1
    status, report = check(clickhouse_database, start="2025-03-20", end="2025-03-20")
    assert status == 1
    buckets = {line.split()[3] for line in report.splitlines()[1:-1]}
    assert buckets == {"2025-03-20"}
    # Repairing one day leaves the rest of March to repair.
    assert check(clickhouse_database, repair=True, start="2025-03-20", end="2025-03-20")[0] == 0
    assert check(clickhouse_database)[0] == 1
    assert check(clickhouse_database, repair=True)[0] == 0
    assert_figures_agree(clickhouse, rows)


def test_check_analytics_refuses_a_bad_period(clickhouse_database: tuple[str, str]) -> None:
    assert check(clickhouse_database, start="yesterday")[0] == 2
    assert check(clickhouse_database, start="2025-03-01T00:00:00")[0] == 2  # no offset
    assert check(clickhouse_database, start="2025-03-02", end="2025-03-01")[0] == 2

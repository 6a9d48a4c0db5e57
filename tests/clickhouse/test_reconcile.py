"""Rollups that agree with the raw clicks after a consumer was cut off mid-insert: the
batch redelivered to a restarted sink completes what the views missed (see damage.py for
how the damage is made)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest

from consumer.ingest import ClickIngest
from consumer.reconcile import CELLS, load_rollups
from schemas.clickhouse import CLICK_DATA_TABLES
from smartlinks.clickhouse import Client, connect
from tests.clickhouse.damage import ROLLUP_VIEWS, assert_figures_agree, crash, deliver, snapshot, split
from tests.clickhouse.truth import LINK, OTHER_LINK, batches, generate

pytestmark = pytest.mark.clickhouse


@pytest.mark.parametrize(
    "missed",
    [
        ROLLUP_VIEWS,
        ("link_visitors_mv",),  # the visitors' history: new clicks would be miscounted as unique
        ("clicks_hourly_mv", "campaign_daily_dims_mv"),  # the figures of issue 10
    ],
    ids=["every-view", "link-visitors", "hourly-and-daily"],
)
def test_a_redelivered_batch_completes_the_rollups_it_missed(
    clickhouse: Client, missed: Sequence[str]
) -> None:
    rows = generate()
    before, cut_off, after = split(rows)
    deliver(ClickIngest(clickhouse), before)
    crash(clickhouse, cut_off, missed)

    # The restarted consumer gets the cut-off batch again, then new clicks (some of the
    # same visitors), batched differently from the first time.
    restarted = ClickIngest(clickhouse)
    assert deliver(restarted, [replace(row) for row in cut_off + after], size=700) == len(after)
    assert_figures_agree(clickhouse, rows)

    # A third delivery (another restart) changes nothing.
    stored = snapshot(clickhouse)
    assert deliver(ClickIngest(clickhouse), [replace(row) for row in cut_off + after]) == 0
    assert snapshot(clickhouse) == stored


def test_clicks_a_crash_left_out_of_clicks_are_inserted_on_redelivery(clickhouse: Client) -> None:
    # A batch spanning months is split into parts by partition: one part may be stored and
    # the other not. Redelivered, the stored part's cells are mended and the rest inserted.
    rows = generate()
    before, cut_off, after = split(rows)
    deliver(ClickIngest(clickhouse), before)
    crash(clickhouse, cut_off[: len(cut_off) // 2], ROLLUP_VIEWS)
    assert deliver(ClickIngest(clickhouse), [replace(row) for row in cut_off + after], size=1000) == (
        len(cut_off) - len(cut_off) // 2 + len(after)
    )
    assert_figures_agree(clickhouse, rows)


def test_mending_one_link_leaves_another_links_rollups_alone(clickhouse: Client) -> None:
    rows = generate()
    mine = [row for row in rows if row.link_id == LINK]
    others = [row for row in rows if row.link_id == OTHER_LINK]
    deliver(ClickIngest(clickhouse), others)
    theirs = snapshot(clickhouse)
    crash(clickhouse, mine, ROLLUP_VIEWS)
    # One batch: each damaged batch costs a synchronous DELETE per rollup (about a second
    # each on chDB), which the test need not pay seven times.
    assert ClickIngest(clickhouse).insert([replace(row) for row in mine]) == 0
    assert_figures_agree(clickhouse, rows)
    # The other link's rows were never rewritten: not a row more, less or changed.
    now = snapshot(clickhouse)
    for table, stored in theirs.items():
        assert [row for row in now[table] if OTHER_LINK in row] == stored


def test_mending_a_link_is_exact_while_another_link_is_written(
    clickhouse: Client, clickhouse_database: tuple[str, str]
) -> None:
    rows = generate()
    mine = [row for row in rows if row.link_id == LINK]
    crash(clickhouse, mine, ROLLUP_VIEWS)
    # Another consumer (its own client) writes the other link between every statement the
    # mending sink runs: between its comparison and its DELETE, its DELETE and its INSERT.
    other = ClickIngest(connect(*clickhouse_database))
    theirs = batches([row for row in rows if row.link_id == OTHER_LINK], 20)
    pending = list(theirs)
    command = clickhouse.command

    def interleaved(*args: Any, **kwargs: Any) -> Any:
        if pending:
            other.insert(pending.pop(0))
        return command(*args, **kwargs)

    clickhouse.command = interleaved  # type: ignore[method-assign]
    try:
        assert ClickIngest(clickhouse).insert([replace(row) for row in mine]) == 0
    finally:
        clickhouse.command = command  # type: ignore[method-assign]
    assert len(theirs) - len(pending) > 5  # written while the link was mended, not after
    for batch in pending:
        other.insert(batch)
    other.client.close()
    assert_figures_agree(clickhouse, rows)


def test_every_view_on_clicks_has_its_cells_defined(clickhouse: Client) -> None:
    rollups = load_rollups(clickhouse)
    assert {rollup.table for rollup in rollups} == set(CELLS) == set(CLICK_DATA_TABLES) - {"clicks"}
    views = clickhouse.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'"
    ).result_rows
    assert sorted(view for (view,) in views) == sorted(rollup.view for rollup in rollups)

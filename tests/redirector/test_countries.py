"""The edge's country lookup: known answers from the bundled database, the same answers
as a lookup of every address when the /24 memo serves them, and a missing database that
matches no country and says so once."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from redirector.countries import Countries


def test_known_answers_and_unplaceable_addresses() -> None:
    countries = Countries()
    assert [countries.country(ip) for ip in ("8.8.8.8", "81.2.69.142", "1.1.1.1")] == ["US", "GB", "AU"]
    assert [countries.country(ip) for ip in ("127.0.0.1", "10.0.0.1", "garbage", "")] == ["", "", "", ""]
    countries.close()


def test_the_memo_answers_as_every_lookup_would() -> None:
    rng = random.Random(3)
    networks = [f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}" for _ in range(300)]
    addresses = [f"{rng.choice(networks)}.{rng.randrange(256)}" for _ in range(3000)]
    memo, fresh = Countries(), Countries()
    for ip in addresses:
        fresh._memo.clear()
        fresh._blocks.clear()
        assert memo.country(ip) == fresh.country(ip), ip


def test_a_missing_database_matches_no_country_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    countries = Countries(str(tmp_path / "nope.mmdb"))
    with caplog.at_level(logging.WARNING, logger="redirector.countries"):
        assert countries.country("8.8.8.8") == ""
        assert countries.country("1.1.1.1") == ""
    assert len(caplog.records) == 1

"""The second look at the detector, on lists from outside the corpus
(bench/corpus/bots/fresh_check.py): read on a small fixtures folder made here, no download."""

from __future__ import annotations

import json
from pathlib import Path

from bench.bots_bench import held_out
from bench.corpus.bots.fresh_check import LISTS, check, read_list

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0.0.0 Safari/537.36"
)


def _fixtures(root: Path, by_list: dict[str, list[str]]) -> Path:
    for name in LISTS:
        uas = by_list.get(name, [])
        if name.endswith(".json"):
            (root / name).write_text(json.dumps(uas))
        else:  # the crate's text lists quote most lines
            (root / name).write_text("".join(f'"{ua}"\n' for ua in uas))
    return root


def test_text_lists_lose_their_quotes_and_blank_lines(tmp_path: Path) -> None:
    (tmp_path / "bots.txt").write_text('"curl/8.0"\n\nWget/1.21\n"Go-http-client/2.0"\n')
    assert read_list(tmp_path / "bots.txt") == {"curl/8.0", "Wget/1.21", "Go-http-client/2.0"}


def _taken_for_bots(figures: dict[str, dict[str, object]], name: str) -> tuple[int, int]:
    """(user agents, taken for bots) over both halves of ``name``."""
    seen = taken = 0
    for half in ("tune", "held_out"):
        part = figures[name][half]
        assert isinstance(part, dict)
        seen, taken = seen + part["user_agents"], taken + part["taken_for_bots"]
    return seen, taken


def test_each_list_is_scored_by_its_label_on_each_half(tmp_path: Path) -> None:
    # Made up here, so the corpus cannot hold them.
    bots = ["curl/8.99.1", "python-requests/9.9.9", "ExampleCrawler/1.0 (+https://crawler.example/bot)"]
    browsers = [CHROME.replace("120.0.0.0", version) for version in ("120.0.9999.1", "120.0.9999.2")]
    people = [*browsers, "Chrome 56.0.9999.87"]
    fixtures = _fixtures(tmp_path, {"bots.txt": bots, "browsers.txt": people})

    figures = check(fixtures, misses=0)

    assert figures["bots.txt"]["new_user_agents"] == 3
    assert _taken_for_bots(figures, "bots.txt") == (3, 3)
    # Of the people, only the name-only "Chrome 56..." (no browser sends one) is taken for a bot.
    assert _taken_for_bots(figures, "browsers.txt") == (3, 1)
    tune = figures["bots.txt"]["tune"]
    assert isinstance(tune, dict)
    assert tune["user_agents"] == sum(1 for ua in bots if not held_out(ua))
    assert tune["recall"] == (1.0 if tune["user_agents"] else None)
    assert figures["myip-ms-live-bots.json"]["new_user_agents"] == 0


def test_user_agents_the_corpus_holds_are_left_out(tmp_path: Path) -> None:
    in_corpus = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    fixtures = _fixtures(tmp_path, {"bots.txt": [in_corpus, "curl/8.4.0"]})
    assert check(fixtures, misses=0)["bots.txt"]["new_user_agents"] == 1

"""Nothing a client sends makes a step raise: random, huge, binary-ish and non-ASCII user
agents, referers, IPs and cookies all become a row."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from consumer.enrich import Enricher
from tests.consumer.conftest import MakeEvent

TABLE = json.loads((Path(__file__).parent / "user_agents.json").read_text())
ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/.;:()[]{}-_+",
    "".join(chr(c) for c in range(256)),  # what a latin-1 header decode can give
    "()[];/ \\\"'%*?+|^$.{}",  # regex and parser metacharacters
    "äöüßéèñçøå漢字日本語中文한국어العربيةעבריתрусский🚀🙂\u200b\u202e\ufeff",
    "\x00\x01\x02\x07\x08\x0b\x0c\x0e\x1b\x7f\x85\xa0\u2028\u2029\r\n\t",
]


def _garbage(rng: random.Random) -> str:
    alphabet = rng.choice(ALPHABETS)
    text = "".join(rng.choice(alphabet) for _ in range(rng.choice((0, 1, 5, 40, 300))))
    if rng.random() < 0.3:  # a real user agent, mangled
        ua = rng.choice(TABLE)["ua"]
        cut = rng.randrange(len(ua) + 1)
        text = ua[:cut] + text + ua[cut:]
    return text


def test_random_strings_never_raise(enricher: Enricher, make_event: MakeEvent) -> None:
    rng = random.Random(20240611)
    for _ in range(3000):
        row = enricher.enrich(
            make_event(
                user_agent=_garbage(rng),
                referer=rng.choice(("https://", "http://www.", "android-app://", "")) + _garbage(rng),
                ip=rng.choice(("", "1.2.3.", "::", "8.8.8.8")) + _garbage(rng)[:50],
                visitor_cookie=rng.choice((None, _garbage(rng)[:30])),
                method=rng.choice(("GET", "HEAD")),
                collect_metadata=rng.random() < 0.8,
            )
        )
        assert isinstance(row.is_bot, bool)
        assert row.visitor_id


@pytest.mark.parametrize(
    "ua",
    [
        "x" * 1_000_000,
        "Mozilla/5.0 (" * 50_000,
        "bot" * 300_000,
        "\x00" * 10_000,
        "\ud800 lone surrogates \udfff",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) \ud800 Instagram 1.2.3 (x)",
    ],
)
def test_pathological_user_agents(enricher: Enricher, make_event: MakeEvent, ua: str) -> None:
    row = enricher.enrich(make_event(user_agent=ua, referer="https://" + ua, visitor_cookie=ua[:22]))
    assert row.device in ("desktop", "mobile", "tablet", "other")


def test_huge_strings_cost_no_more_than_long_ones(enricher: Enricher, make_event: MakeEvent) -> None:
    import time

    started = time.perf_counter()
    for index in range(50):
        enricher.enrich(make_event(user_agent=f"{index} " + "q" * 1_000_000))
    # Every one is distinct (no cache help), yet each is cut to 1 KiB before matching.
    assert time.perf_counter() - started < 5

"""A click that was answered is never lost, and no two figures of a link ever disagree:
``smartlinks up`` SIGKILLed in the middle of full-speed bursts, three times, and an edge log
that cannot be written.

Each round sends a burst of redirects over 32 keep-alive connections, kills the process
with SIGKILL about a second in (no shutdown, nothing drained), and starts it again on the
same data directory. Once the restarted process has caught up, every figure of the link
(lifetime clicks, 7-day total, sum of the hourly buckets, campaign total, campaign list)
is the same number, and it lies between the 302s the client read and the requests it sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx

from tests.support.burst import BurstCount, burst
from tests.support.figures import LinkFigures, link_figures
from tests.support.product import Running, start, stop

CAMPAIGN = "crash-test"


def settled(running: Running, key: str, link_id: str, at_least: int, timeout: float = 60) -> LinkFigures:
    """The link's figures once the consumer has caught up: all equal, at least ``at_least``,
    and unchanged for a second."""
    deadline = time.monotonic() + timeout
    last: LinkFigures | None = None
    while time.monotonic() < deadline:
        figures = link_figures(running.url, key, link_id, CAMPAIGN)
        if figures == last and len(figures.values()) == 1 and figures.lifetime >= at_least:
            return figures
        last = figures
        time.sleep(1)
    raise AssertionError(f"figures did not settle at >= {at_least} within {timeout} s: {last}")


def kill_during_burst(process: subprocess.Popen[bytes], running: Running, path: str) -> BurstCount:
    killer = threading.Timer(1.0, os.kill, (process.pid, signal.SIGKILL))
    killer.start()
    count = burst(running.url, path, seconds=5)
    killer.join()
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    return count


def test_sigkill_mid_burst_loses_no_answered_click_and_figures_agree(tmp_path: Path) -> None:
    data = tmp_path / "data"
    process, running = start(data, ready="/readyz")
    key = running.key
    try:
        created = httpx.post(
            running.url + "/api/v1/links",
            headers={"Authorization": f"Bearer {key}"},
            json={"destination_url": "https://example.com/sale", "campaign": CAMPAIGN},
        )
        assert created.status_code == 201, created.text
        link = created.json()
        sent = answered = 0
        for round_ in range(3):
            count = kill_during_burst(process, running, f"/{link['code']}")
            assert count.answered > 500, f"round {round_}: the burst barely ran: {count}"
            assert count.sent > count.answered or count.sent == count.answered
            sent += count.sent
            answered += count.answered
            process, running = start(data, ready="/readyz")
            figures = settled(running, key, link["id"], at_least=answered)
            assert answered <= figures.lifetime <= sent, (round_, figures, answered, sent)
            print(f"round {round_}: answered {answered}, sent {sent}, counted {figures.lifetime}")
    finally:
        stop(process)


def test_an_unwritable_edge_log_still_answers_and_counts_the_dropped_clicks(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")  # the log's folder would have to be inside a file: even root cannot
    process, running = start(
        tmp_path / "data", ready="/readyz", SMARTLINKS_EVENT_LOG_DIR=str(blocker / "events")
    )
    try:
        auth = {"Authorization": f"Bearer {running.key}"}
        link = httpx.post(
            running.url + "/api/v1/links", headers=auth, json={"destination_url": "https://example.com/"}
        ).json()
        for _ in range(5):
            response = httpx.get(f"{running.url}/{link['code']}", follow_redirects=False, timeout=5)
            assert response.status_code == 302
        metrics = httpx.get(running.url + "/metrics").text
        assert "smartlinks_click_events_dropped_total 5.0" in metrics
        assert "smartlinks_click_events_published_total 0.0" in metrics
        assert httpx.get(running.url + "/readyz").status_code == 200
    finally:
        stop(process)
    log = (tmp_path / "data").parent.glob("data-up-*.log")
    assert any("cannot be written" in path.read_text() for path in log)

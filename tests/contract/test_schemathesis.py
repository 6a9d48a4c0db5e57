"""The OpenAPI document and the server proven against each other by schemathesis.

A real ``smartlinks up`` serves the document; ``schemathesis run`` (its CLI in a
subprocess, configured by ``schemathesis.toml`` at the repository root: fixed seed,
bounded examples, every check, the examples, coverage and fuzzing phases) generates
requests from it, valid and invalid, and judges every answer. The contract holds when no
request gets a 5xx, every response matches its schema and status, every request the
document allows is accepted and every request it forbids is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.cursors import encode_keyset
from smartlinks.models import to_ms, utcnow
from tests.support.product import Running, start, stop

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = [sys.executable, "-m", "schemathesis.cli"]
# The run takes about 3 minutes on 2 cores (182 s: coverage 143, fuzzing 36); the coverage
# phase's ~1,400 zone requests to a link's and a campaign's analytics are about 50 s of it,
# 25-45 ms each. A hang (a request the server never answers) fails at 15 minutes, five times
# the run, long before CI's limit.
TIMEOUT = 900


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    process, running = start(tmp_path_factory.mktemp("contract") / "data")
    try:
        yield running
    finally:
        stop(process)


def _fixtures(running: Running) -> dict[str, str]:
    """Links in two campaigns (one with a contact), a publishable key, and cursors the API
    handed out: what the operations on one link or campaign, the conversion beacon and the
    paged lists need to get past a 404, a 403 or a 400 invalid_cursor."""
    api = httpx.Client(base_url=running.url, headers={"Authorization": f"Bearer {running.key}"})
    with api:
        links = [
            api.post(
                "/api/v1/links",
                json={"destination_url": "https://example.com/", "campaign": campaign, "contact_id": "c1"},
            )
            for campaign in ("summer", "spring")
        ]
        assert all(link.status_code == 201 for link in links), [link.text for link in links]
        key = api.post("/api/v1/keys", json={"name": "beacon", "kind": "publishable"})
        assert key.status_code == 201, key.text
        links_cursor = api.get("/api/v1/links", params={"limit": 1}).json()["next_cursor"]
        campaigns_cursor = api.get("/api/v1/campaigns", params={"limit": 1}).json()["next_cursor"]
    assert links_cursor and campaigns_cursor
    return {
        "SMARTLINKS_CONTRACT_LINK_ID": links[-1].json()["id"],
        "SMARTLINKS_CONTRACT_CAMPAIGN": "spring",
        "SMARTLINKS_CONTRACT_PUBLISHABLE_KEY": key.json()["key"],
        "SMARTLINKS_CONTRACT_LINKS_CURSOR": links_cursor,
        "SMARTLINKS_CONTRACT_CAMPAIGNS_CURSOR": campaigns_cursor,
        # A click log's cursor is a position (a time and a click id): any such is one the
        # API may hand out, and no click is needed to make it.
        "SMARTLINKS_CONTRACT_CLICKS_CURSOR": encode_keyset((to_ms(utcnow()), "0" * 32)),
        # So is a deliveries or conversions page's (a time and an event id as sent).
        "SMARTLINKS_CONTRACT_EVENTS_CURSOR": encode_keyset((to_ms(utcnow()), "event-1")),
    }


def _figures(report: dict[str, Any], seconds: float) -> str:
    failures = ", ".join(f"{f['code']} {f['title']}: {f['count']}" for f in report["failures"]) or "none"
    return (
        f"schemathesis {report['schemathesis_version']}, seed {report['seed']}:"
        f" {report['operations']['tested']} operations, {report['test_cases']['generated']} requests"
        f" in {seconds:.0f} s; failures: {failures}; errors: {len(report['errors'])}"
    )


def test_the_server_keeps_the_documented_contract(product: Running, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    started = time.monotonic()
    result = subprocess.run(
        [
            *SCHEMATHESIS,
            "--config-file",
            str(ROOT / "schemathesis.toml"),
            "--no-color",
            "run",
            product.url + "/api/v1/openapi.json",
            "--url",
            product.url,
            "--header",
            f"Authorization: Bearer {product.key}",
            "--report",
            "json",
            "--report-json-path",
            str(reports / "run.json"),
        ],
        env={**os.environ, **_fixtures(product)},
        cwd=ROOT,  # where schemathesis.toml names its hooks file
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    seconds = time.monotonic() - started
    report = json.loads((reports / "run.json").read_text())
    phases = [line.strip() for line in result.stdout.splitlines() if "s)" in line and "(in " in line]
    figures = _figures(report, seconds) + "; " + ", ".join(phases)
    print(figures)
    details = f"{figures}\n{result.stdout[-20000:]}\n{result.stderr[-5000:]}"
    assert report["complete"], details
    assert report["operations"]["tested"] == report["operations"]["total"] > 25, details
    assert {phase: report["phases"][phase]["status"] for phase in ("coverage", "fuzzing")} == {
        "coverage": "success",
        "fuzzing": "success",
    }, details
    assert report["failures"] == [], details  # no 5xx, no schema break, no valid refused, no invalid accepted
    assert report["errors"] == [], details
    assert result.returncode == 0, details

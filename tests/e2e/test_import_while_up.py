"""``smartlinks import`` while ``smartlinks up`` runs on the same data directory: the
imported links redirect through the running process at once (its change relay picks the
new links up from the store's outbox), and an import run again changes nothing."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from tests.support.product import SMARTLINKS, Running


def _import(running: Running, file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SMARTLINKS, "import", str(file), "--tenant", "default"],
        env=running.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _redirect(url: str) -> httpx.Response:
    """The first answer that is no 404 within 2 s (the relay polls twice a second)."""
    deadline = time.monotonic() + 2
    while True:
        response = httpx.get(url, follow_redirects=False)
        if response.status_code != 404 or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def test_imported_links_redirect_through_the_running_process(running: Running, tmp_path: Path) -> None:
    # Asked for before the import: a cache that remembered the miss must still learn of it.
    assert httpx.get(running.url + "/Imp0rted1", follow_redirects=False).status_code == 404
    file = tmp_path / "links.csv"
    file.write_text(
        "url,code,title\n"
        "https://example.com/imported,Imp0rted1,Imported\n"
        "https://example.com/second,Imp0rted2,Second\n"
    )
    first = _import(running, file)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "2 rows: 2 links created (0 with a new code), 0 already there, 0 refused" in first.stdout

    started = time.monotonic()
    redirect = _redirect(running.url + "/Imp0rted1")
    assert redirect.status_code == 302 and redirect.headers["location"] == "https://example.com/imported"
    assert time.monotonic() - started < 2
    assert _redirect(running.url + "/Imp0rted2").headers["location"] == "https://example.com/second"

    again = _import(running, file)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2 rows: 0 links created (0 with a new code), 2 already there, 0 refused" in again.stdout
    listed = httpx.get(running.url + "/api/v1/links", headers={"Authorization": f"Bearer {running.key}"})
    assert sorted(link["code"] for link in listed.json()["items"]) == ["Imp0rted1", "Imp0rted2"]

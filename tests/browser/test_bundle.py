"""The committed dashboard build (``api/dashboard_static/``) is made from the committed
sources: ``dashboard/scripts/stamp.mjs`` records a hash of every build input, recomputed
here the same way, so a source change without ``make dashboard`` fails the suite even on
a machine without Node."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
SOURCE = ROOT / "dashboard"
BUILD = ROOT / "api" / "dashboard_static"
INPUTS = (
    "index.html",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "vite.config.ts",
    "public",
    "src",
)


def source_hash() -> str:
    files = sorted(
        path
        for name in INPUTS
        for path in ([SOURCE / name] if (SOURCE / name).is_file() else (SOURCE / name).rglob("*"))
        if path.is_file()
    )
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(SOURCE).as_posix().encode() + b"\n")
        digest.update(path.read_bytes())
        digest.update(b"\n")
    return digest.hexdigest()


def test_the_build_is_made_from_the_current_sources() -> None:
    stamp = (BUILD / "source.sha256").read_text().strip()
    assert stamp == source_hash(), "dashboard/ changed since the last build: run `make dashboard`"


def test_the_page_names_only_files_of_the_build() -> None:
    html = (BUILD / "index.html").read_text()
    named = re.findall(r'(?:src|href)="/dashboard/([^"]+)"', html)
    assert any(name.endswith(".js") for name in named) and any(name.endswith(".css") for name in named)
    for name in named:
        assert (BUILD / name).is_file(), name


def test_the_build_stays_small() -> None:
    total = sum(path.stat().st_size for path in BUILD.rglob("*") if path.is_file())
    assert total < 600_000, f"the dashboard build is {total} bytes"
    assert not list(BUILD.rglob("*.map"))  # no source maps in the package

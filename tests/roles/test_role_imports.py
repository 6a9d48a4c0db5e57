"""Each role loads only what it runs: building a process's app imports none of the parts it
does not run, nor their heavy libraries. A fresh interpreter per role, since a module once
imported by any test stays in ``sys.modules``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.role_imports import NOT_LOADED

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import json, sys
from roles import cli
from smartlinks.settings import Settings
app = cli.build_app(Settings.from_env(), cli.ROLES if sys.argv[1] == "up" else cli.PARTS[sys.argv[1]])
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
"""


def loaded_by(role: str, tmp_path: Path) -> set[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTLINKS_")}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
        SMARTLINKS_DATA_DIR=str(tmp_path),
        # Nothing connects while the app is built.
        SMARTLINKS_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:9",
        SMARTLINKS_CLICKHOUSE_URL="http://127.0.0.1:9",
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, role], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("role", sorted(NOT_LOADED))
def test_a_role_loads_only_the_parts_it_runs(role: str, tmp_path: Path) -> None:
    loaded = loaded_by(role, tmp_path)
    assert loaded & NOT_LOADED[role] == set()
    assert set(role.replace("analytics", "api consumer").split()) <= loaded


def test_the_embedded_process_loads_every_part(tmp_path: Path) -> None:
    assert {"redirector", "api", "consumer"} <= loaded_by("up", tmp_path)

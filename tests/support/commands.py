"""Running the deploy scripts (kafka.sh, pg.sh) from tests, with errors that say what to do."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path


def run_script(
    script: Path,
    command: str,
    env: Mapping[str, str],
    timeout: float,
    hint: str = "",
    log: Path | None = None,
) -> str:
    """Run ``bash SCRIPT COMMAND`` with ``env`` over this process's environment; return its
    output, stripped. A failure raises with the script's stderr and ``hint`` (how to fix
    it); a timeout raises naming ``log``, where the server writes."""
    try:
        done = subprocess.run(
            ["bash", str(script), command],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        where = "" if log is None else f" (log: {log})"
        raise RuntimeError(f"{script.name} {command} took over {timeout:.0f} s{where}") from exc
    if done.returncode != 0:
        raise RuntimeError(
            f"{script.name} {command} failed (exit {done.returncode}):\n{done.stderr.strip()}"
            + (f"\nTo fix: {hint}" if hint else "")
        )
    return done.stdout.strip()

"""The product as a user runs it: ``smartlinks up`` in a subprocess on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.server import free_port

SMARTLINKS = [sys.executable, "-m", "roles.cli"]


def env_for(data_dir: Path, port: int = 8080, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTLINKS_")}
    env.update({"SMARTLINKS_DATA_DIR": str(data_dir), "SMARTLINKS_PORT": str(port), **extra})
    return env


@dataclass
class Running:
    url: str
    key: str
    env: dict[str, str]
    output: list[str]  # what it printed until it was ready
    log: Path  # all it prints, to this day


def start(
    data_dir: Path, command: str = "up", ready: str = "/healthz", **extra_env: str
) -> tuple[subprocess.Popen[bytes], Running]:
    """Start ``smartlinks <command>``; return once it answers ``ready`` (its banner is printed before)."""
    port = free_port()
    env = env_for(data_dir, port, **extra_env)
    # Output goes to a file, never a pipe: a pipe nobody drains fills up, and then the
    # process blocks in the middle of writing a log line.
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}-{command}-{port}.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen([*SMARTLINKS, command], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise AssertionError(f"smartlinks {command} exited:\n" + log_path.read_text())
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(
                f"smartlinks {command} did not answer {ready} within 60 s:\n" + log_path.read_text()
            )
        try:
            if httpx.get(url + ready, timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    lines = log_path.read_text().splitlines()
    keys = [line.strip() for line in lines if line.strip().startswith("sl_")]
    return process, Running(url, keys[0] if keys else "", env, lines, log_path)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
        raise AssertionError(f"{process.args} did not stop within 30 s of SIGTERM") from None

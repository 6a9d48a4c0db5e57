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

SMARTLINKS = [sys.executable, "-m", "smartlinks.cli"]


def env_for(data_dir: Path, port: int = 8080, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTLINKS_")}
    env.update({"SMARTLINKS_DATA_DIR": str(data_dir), "SMARTLINKS_PORT": str(port), **extra})
    return env


@dataclass
class Running:
    url: str
    key: str
    env: dict[str, str]
    output: list[str]


def start(data_dir: Path, **extra_env: str) -> tuple[subprocess.Popen[str], Running]:
    """Start ``smartlinks up``; return once it answers /healthz (its banner is printed before)."""
    port = free_port()
    env = env_for(data_dir, port, **extra_env)
    process = subprocess.Popen(
        [*SMARTLINKS, "up"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)

    def available() -> str:
        try:
            return process.stdout.read() or ""  # type: ignore[union-attr]
        except TypeError:  # a non-blocking text pipe with nothing to read (Python 3.11)
            return ""

    url = f"http://127.0.0.1:{port}"
    output = ""
    deadline = time.monotonic() + 60
    while True:
        output += available()
        if process.poll() is not None:
            raise AssertionError("smartlinks up exited:\n" + output)
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("smartlinks up did not answer /healthz within 60 s:\n" + output)
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    output += available()
    lines = output.splitlines()
    keys = [line.strip() for line in lines if line.strip().startswith("sl_")]
    return process, Running(url, keys[0] if keys else "", env, lines)


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()

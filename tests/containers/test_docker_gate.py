"""When the Docker tests run, and the reason they give when they do not."""

from __future__ import annotations

import importlib.util
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.containers.conftest import docker_unavailable


@pytest.fixture
def fake_engine() -> Iterator[str]:
    """A unix socket answering every request with ``200 OK``, as an engine's /_ping does."""
    # AF_UNIX paths are short (108 bytes): pytest's tmp_path can be longer.
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "docker.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(path)
            server.listen(1)

            def answer() -> None:
                conn, _ = server.accept()
                with conn:
                    conn.recv(1024)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK")

            thread = threading.Thread(target=answer, daemon=True)
            thread.start()
            yield f"unix://{path}"
            thread.join(timeout=5)


def test_opt_in_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMARTLINKS_TEST_DOCKER", raising=False)
    assert "set SMARTLINKS_TEST_DOCKER=1" in (docker_unavailable() or "")


def test_without_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTLINKS_TEST_DOCKER", "1")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "testcontainers" else real(name)
    )
    assert docker_unavailable() == "testcontainers not installed"


def test_without_an_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SMARTLINKS_TEST_DOCKER", "1")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/nothing.sock")
    assert (docker_unavailable() or "").startswith(
        f"no Docker engine answers at unix://{tmp_path}/nothing.sock"
    )


def test_with_an_engine(monkeypatch: pytest.MonkeyPatch, fake_engine: str) -> None:
    monkeypatch.setenv("SMARTLINKS_TEST_DOCKER", "1")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())
    monkeypatch.setenv("DOCKER_HOST", fake_engine)
    assert docker_unavailable() is None

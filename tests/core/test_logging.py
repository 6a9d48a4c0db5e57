"""Every log line is one JSON object: in ``configure_logging`` with a captured stream, and on
the stderr of a real ``smartlinks up`` process, uvicorn's lines included."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartlinks.logs import FIELDS, configure_logging, uvicorn_log_config
from tests.support.ports import free_port
from tests.support.product import env_for, stop

# Quotes, a backslash, newlines, a tab and non-ASCII: each broke the old text template.
MESSAGE = 'a "quoted" message with a \\ backslash\nand a second line\tand \u00e9\u2192\n'
LIBRARIES = ("aiokafka", "httpx", "uvicorn", "uvicorn.error")


def parsed(text: str) -> list[dict[str, Any]]:
    """Each line of ``text`` as JSON, with the fields every line must have."""
    lines = text.splitlines()
    assert lines, "nothing was logged"
    entries = []
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except ValueError:
            raise AssertionError(f"line {number} is not JSON: {line!r}") from None
        assert isinstance(entry, dict), line
        assert list(entry)[: len(FIELDS)] == list(FIELDS), line
        ts = datetime.fromisoformat(entry["ts"])
        assert entry["ts"].endswith("Z") and ts.utcoffset() == timedelta(0), line
        assert abs(datetime.now(UTC) - ts) < timedelta(minutes=5), line
        assert entry["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), line
        assert isinstance(entry["logger"], str) and isinstance(entry["msg"], str), line
        entries.append(entry)
    return entries


@pytest.fixture
def restored() -> Iterator[None]:
    """Give the test process its logging back as it was: configure_logging changes it all."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    named = {
        name: (lg.level, lg.handlers[:], lg.propagate)
        for name in LIBRARIES
        for lg in [logging.getLogger(name)]
    }
    hooks = sys.excepthook, threading.excepthook
    try:
        yield
    finally:
        logging.captureWarnings(False)
        sys.excepthook, threading.excepthook = hooks
        for name, (lvl, hs, propagate) in named.items():
            lg = logging.getLogger(name)
            lg.setLevel(lvl)
            lg.handlers[:] = hs
            lg.propagate = propagate
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.mark.usefixtures("restored")
def test_a_message_extra_fields_and_a_traceback_make_one_json_line_each() -> None:
    stream = io.StringIO()
    configure_logging("info", stream)
    log = logging.getLogger("tests.logging")
    log.info(MESSAGE, extra={"webhook_id": "wh_1", "attempt": 3, "when": datetime(2026, 1, 2, tzinfo=UTC)})
    try:
        raise ValueError('bad "value"\nsecond line')
    except ValueError:
        log.exception("could not %s", "parse")
    log.warning("%s", "an extra= field never hides one of ours", extra={"level": "fake", "ts": "0"})

    message, failure, clash = parsed(stream.getvalue())
    assert message["msg"] == MESSAGE
    assert (message["level"], message["logger"]) == ("INFO", "tests.logging")
    assert (message["webhook_id"], message["attempt"]) == ("wh_1", 3)
    assert message["when"] == "2026-01-02T00:00:00+00:00"
    assert "exc_info" not in message
    assert (failure["level"], failure["msg"]) == ("ERROR", "could not parse")
    assert failure["exc_info"].startswith("Traceback (most recent call last):\n")
    assert failure["exc_info"].endswith('ValueError: bad "value"\nsecond line')
    assert clash["level"] == "WARNING" and clash["ts"] != "0"


@pytest.mark.usefixtures("restored")
def test_library_noise_is_held_back_unless_the_level_is_debug() -> None:
    def lines_at(level: str) -> list[tuple[str, str]]:
        stream = io.StringIO()
        configure_logging(level, stream)
        logging.getLogger("aiokafka.conn").error("Unable to connect to node 1")
        logging.getLogger("httpx").info('HTTP Request: POST http://hooks.example/ "HTTP/1.1 200 OK"')
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")
        logging.getLogger("smartlinks.outbox").info("relaying link changes works again")
        logging.getLogger("smartlinks.outbox").debug("a detail")
        logging.getLogger("smartlinks.outbox").error("relaying link changes failed")
        return [(entry["logger"], entry["level"]) for entry in parsed(stream.getvalue())]

    assert lines_at("info") == [
        ("uvicorn.error", "WARNING"),
        ("smartlinks.outbox", "INFO"),
        ("smartlinks.outbox", "ERROR"),
    ]
    assert lines_at("error") == [("smartlinks.outbox", "ERROR")]
    assert lines_at("debug") == [
        ("aiokafka.conn", "ERROR"),
        ("httpx", "INFO"),
        ("uvicorn.error", "INFO"),
        ("uvicorn.error", "WARNING"),
        ("smartlinks.outbox", "INFO"),
        ("smartlinks.outbox", "DEBUG"),
        ("smartlinks.outbox", "ERROR"),
    ]


@pytest.mark.usefixtures("restored")
def test_uvicorn_applying_the_config_again_keeps_one_handler_and_every_logger() -> None:
    stream = io.StringIO()
    configure_logging("info", stream)
    early = logging.getLogger("tests.logging.imported_before_uvicorn_started")
    # What uvicorn.run(log_config=...) does when it starts.
    logging.config.dictConfig(uvicorn_log_config("info", stream))
    early.info("still here")
    logging.getLogger("uvicorn.error").warning("once")
    assert [entry["msg"] for entry in parsed(stream.getvalue())] == ["still here", "once"]


@pytest.mark.usefixtures("restored")
def test_warnings_and_uncaught_exceptions_are_log_lines() -> None:
    stream = io.StringIO()
    configure_logging("info", stream)
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # pytest makes warnings errors; here one is only shown
        warnings.warn("careful", UserWarning, stacklevel=1)
    try:
        raise RuntimeError("nobody caught me")
    except RuntimeError as exc:
        sys.excepthook(RuntimeError, exc, exc.__traceback__)
    thread = threading.Thread(target=lambda: 1 / 0, name="doomed")
    thread.start()
    thread.join()
    warned, uncaught, in_thread = parsed(stream.getvalue())
    assert warned["logger"] == "py.warnings" and "UserWarning: careful" in warned["msg"]
    assert uncaught["level"] == "CRITICAL"
    assert uncaught["exc_info"].endswith("RuntimeError: nobody caught me")
    assert in_thread["thread_name"] == "doomed"
    assert in_thread["exc_info"].endswith("ZeroDivisionError: division by zero")


def test_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="log level must be one of"):
        uvicorn_log_config("verbose")


# ``smartlinks up`` exactly as the command runs it, plus a thread that logs what the test
# needs once the test asks for it: the product itself has no reason to log a traceback.
INJECTING_UP = """
import logging, os, pathlib, sys, threading, time
from roles import cli

def inject():
    asked, done = pathlib.Path(os.environ["TEST_ASK"]), pathlib.Path(os.environ["TEST_DONE"])
    while not asked.exists():
        time.sleep(0.05)
    log = logging.getLogger("tests.injected")
    log.warning(os.environ["TEST_MESSAGE"], extra={"webhook_id": "wh_test", "attempt": 2})
    try:
        raise ValueError('bad "value"\\nsecond line')
    except ValueError:
        log.exception("it failed")
    doomed = threading.Thread(target=lambda: 1 / 0, name="doomed")
    doomed.start()
    doomed.join()
    done.touch()

threading.Thread(target=inject, daemon=True).start()
sys.exit(cli.main(["up"]))
"""


def test_every_stderr_line_of_smartlinks_up_is_json(tmp_path: Path) -> None:
    port = free_port()
    asked, done = tmp_path / "ask", tmp_path / "done"
    env = env_for(
        tmp_path / "data",
        port,
        SMARTLINKS_LOG_LEVEL="debug",  # every library's lines, uvicorn's INFO ones too
        TEST_ASK=str(asked),
        TEST_DONE=str(done),
        TEST_MESSAGE=MESSAGE,
    )
    url = f"http://127.0.0.1:{port}"
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    # Files, not pipes: a pipe nobody drains fills up and blocks the process mid-line.
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen([sys.executable, "-c", INJECTING_UP], env=env, stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, stderr.read_text()
            assert time.monotonic() < deadline, "no answer within 60 s:\n" + stderr.read_text()
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"NOT AN HTTP REQUEST\r\n\r\n")  # uvicorn answers 400 and logs a warning
            assert sock.recv(1024).startswith(b"HTTP/1.1 400")
        assert httpx.get(url + "/no-such-code", follow_redirects=False).status_code == 404
        asked.touch()
        deadline = time.monotonic() + 30
        while not done.exists():
            assert time.monotonic() < deadline, "the injected lines were not logged:\n" + stderr.read_text()
            time.sleep(0.05)
    finally:
        stop(process)

    assert "short links: " + url in stdout.read_text()  # the banner is stdout's, not a log line
    entries = parsed(stderr.read_text(encoding="utf-8"))
    by_logger = {entry["logger"] for entry in entries}
    injected = [entry for entry in entries if entry["logger"] == "tests.injected"]
    assert injected[0]["msg"] == MESSAGE
    assert (injected[0]["webhook_id"], injected[0]["attempt"]) == ("wh_test", 2)
    assert injected[1]["msg"] == "it failed"
    assert injected[1]["exc_info"].startswith("Traceback (most recent call last):\n")
    assert injected[1]["exc_info"].endswith('ValueError: bad "value"\nsecond line')
    uncaught = [entry for entry in entries if entry["logger"] == "smartlinks.uncaught"]
    assert uncaught[0]["exc_info"].endswith("ZeroDivisionError: division by zero")
    uvicorn = [(entry["level"], entry["msg"]) for entry in entries if entry["logger"] == "uvicorn.error"]
    assert ("WARNING", "Invalid HTTP request received.") in uvicorn
    assert any(msg.startswith("Shutting down") for _, msg in uvicorn), uvicorn
    assert "smartlinks.http_server" in by_logger, by_logger

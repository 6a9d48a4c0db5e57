"""Test servers get ports the kernel never gives to outgoing connections (see tests.support.ports)."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.support.ports import candidate_ports, ephemeral_range, free_port


def test_free_ports_are_outside_the_ephemeral_range_free_and_never_repeated() -> None:
    low, high = ephemeral_range()
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    for port in ports:
        assert not low <= port <= high, (port, (low, high))
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))  # free: binding works


def test_the_range_is_read_from_the_kernel_setting(tmp_path: Path) -> None:
    setting = tmp_path / "ip_local_port_range"
    setting.write_text("40000\t50000\n")
    assert ephemeral_range(setting) == (40000, 50000)
    assert ephemeral_range(tmp_path / "missing") == (32768, 60999)  # Linux's default


def test_a_wider_ephemeral_range_leaves_other_ports_to_choose_from() -> None:
    assert candidate_ports((32768, 60999))[:2] == [20000, 20001]
    # The preferred ports are all ephemeral here: any unprivileged port outside the range.
    assert candidate_ports((10000, 60999)) == [*range(1024, 10000), *range(61000, 65536)]
    assert candidate_ports((1024, 65535)) == []

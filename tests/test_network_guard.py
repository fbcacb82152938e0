"""The suite's socket guard itself: network access is refused and recorded, local sockets work.
(That Docent makes no attempt while indexing and answering is checked in test_ask.py and, for every
test, by the autouse guard in conftest.py.)"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

import netguard


def test_guard_refuses_and_records_network_access(network_attempts: list[str]) -> None:
    assert network_attempts == []
    with pytest.raises(netguard.NetworkBlocked):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    assert len(network_attempts) == 1 and "192.0.2.1" in network_attempts[0]

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        with pytest.raises(OSError):
            s.connect(("192.0.2.1", 443))
        with pytest.raises(OSError):
            s.connect_ex(("192.0.2.1", 443))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        with pytest.raises(OSError):
            u.sendto(b"x", ("192.0.2.1", 53))
    with pytest.raises(OSError):
        socket.getaddrinfo("example.com", 443)
    assert len(network_attempts) == 5
    assert all("192.0.2.1" in a for a in network_attempts[:4]) and "example.com" in network_attempts[4]
    network_attempts.clear()  # provoked on purpose: do not fail this test


def test_guard_lets_local_unix_sockets_through(tmp_path: Path, network_attempts: list[str]) -> None:
    path = str(tmp_path / "s")
    if len(path) > 100:  # AF_UNIX path limit
        pytest.skip("temporary path too long for a unix socket")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    got: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            got.append(conn.recv(16))

    t = threading.Thread(target=serve)
    t.start()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.connect(path)
        client.sendall(b"hello")
    t.join(timeout=30)
    server.close()
    assert got == [b"hello"]
    a, b = socket.socketpair()
    with a, b:
        a.sendall(b"x")
        assert b.recv(1) == b"x"
    assert network_attempts == []

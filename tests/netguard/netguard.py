"""A socket guard: any attempt to reach a network address (anything but AF_UNIX) is refused and
recorded. Installed for the whole pytest session by conftest.py, and in CLI subprocesses by the
sitecustomize.py beside this file (which appends the attempts to $DOCENT_TEST_NETLOG)."""

from __future__ import annotations

import errno
import socket
import threading
from typing import Any, Callable

ATTEMPTS: list[str] = []
# (host, port) pairs a test may reach: loopback servers it started itself (see allow()), each with
# the number of allow() blocks open for it (they nest: a test inside a fixture's block).
ALLOWED: dict[tuple[str, int], int] = {}
_listeners: list[Callable[[str], None]] = []
_lock = threading.Lock()
_installed = False


class NetworkBlocked(OSError):
    """Raised instead of touching the network. An OSError (ENETUNREACH), like a real offline
    machine, so code that copes with being offline behaves as it would there; the attempt is
    recorded either way."""

    def __init__(self, what: str) -> None:
        super().__init__(errno.ENETUNREACH, f"network access blocked by the test suite: {what}")
        self.what = what


def _block(what: str) -> None:
    with _lock:
        ATTEMPTS.append(what)
        listeners = list(_listeners)
    for listener in listeners:
        try:
            listener(what)
        except Exception:
            pass
    raise NetworkBlocked(what)


def _is_local_family(family: Any) -> bool:
    unix = getattr(socket, "AF_UNIX", None)
    return unix is not None and family == unix


def _allowed(address: Any, port: Any = None) -> bool:
    """True for an (ip, port[, ...]) address (or a host and a port) that a test allowed."""
    try:
        if port is None:
            host, port = address[0], address[1]
        else:
            host = address
        return (str(host), int(port)) in ALLOWED
    except (TypeError, ValueError, IndexError):
        return False


class allow:
    """`with netguard.allow(("127.0.0.1", port), ...):` lets the test reach exactly these loopback
    addresses (servers it started itself); everything else stays blocked and recorded."""

    def __init__(self, *addresses: tuple[str, int]) -> None:
        for host, _ in addresses:
            if host not in ("127.0.0.1", "::1", "localhost"):
                raise ValueError(f"only loopback addresses can be allowed, not {host!r}")
        self.addresses = {(h, int(p)) for h, p in addresses}

    def __enter__(self) -> "allow":
        with _lock:
            for address in self.addresses:
                ALLOWED[address] = ALLOWED.get(address, 0) + 1
        return self

    def __exit__(self, *exc: object) -> None:
        with _lock:
            for address in self.addresses:
                ALLOWED[address] -= 1
                if not ALLOWED[address]:
                    del ALLOWED[address]


def install(listener: Callable[[str], None] | None = None) -> None:
    """Patch socket.socket.connect/connect_ex/sendto, socket.create_connection and
    socket.getaddrinfo. Idempotent."""
    global _installed
    if listener is not None:
        _listeners.append(listener)
    if _installed:
        return
    _installed = True
    orig_connect = socket.socket.connect
    orig_connect_ex = socket.socket.connect_ex
    orig_sendto = socket.socket.sendto
    orig_create_connection = socket.create_connection
    orig_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if _is_local_family(self.family) or _allowed(address):
            return orig_connect(self, address)
        _block(f"socket.connect({address!r})")

    def connect_ex(self: socket.socket, address: Any) -> int:
        if _is_local_family(self.family) or _allowed(address):
            return orig_connect_ex(self, address)
        _block(f"socket.connect_ex({address!r})")
        return errno.ENETUNREACH  # pragma: no cover - _block raises

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        if _is_local_family(self.family):
            return orig_sendto(self, data, *args)
        _block(f"socket.sendto({args[-1]!r})")
        return 0  # pragma: no cover

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if _allowed(address):
            return orig_create_connection(address, *args, **kwargs)
        _block(f"socket.create_connection({address!r})")
        raise AssertionError("unreachable")  # pragma: no cover

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if _allowed(host, port):
            return orig_getaddrinfo(host, port, *args, **kwargs)
        _block(f"socket.getaddrinfo({host!r}, {port!r})")
        raise AssertionError("unreachable")  # pragma: no cover

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign,assignment]
    socket.create_connection = create_connection  # type: ignore[assignment]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]

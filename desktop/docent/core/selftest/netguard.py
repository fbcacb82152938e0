"""The network guard behind the privacy self-test (docent.core.selftest.privacy).

`install` intercepts every network call in this process: `socket.socket.connect`, `connect_ex` and
`sendto`, `socket.create_connection`, `socket.getaddrinfo` and `socket.gethostbyname` refuse to reach
any address that is not a local (AF_UNIX) socket, raising NetworkBlocked (ENETUNREACH, as on an
offline machine). Connections to exactly the configured office servers ("host:port", a shared
Chroma server, a shared model server) are let through and logged apart.

`SocketGuard` installs it here and hands it to the child processes started while it is active (the
document reader): it writes a `sitecustomize` module, put first on their PYTHONPATH, that installs
the same guard in each of them (the log and the allowed servers come through ENV_NETLOG and
ENV_NETALLOW). Every attempt, from any of these processes, is appended to one log as a JSON line.

What it cannot see: sockets opened by native code that bypasses Python's socket module (llama.cpp
and SQLite open none; onnxruntime's own telemetry uploader is switched off before it starts, see
docent/__init__.py), and processes started with Python's -E or -I flags. The self-test's list of
files written also watches the user's cache, config and data folders, where such a library would
leave its traces.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from docent import paths

ENV_NETLOG = "DOCENT_PRIVACY_NETLOG"
ENV_NETALLOW = "DOCENT_PRIVACY_ALLOW"  # "host:port,host:port": the configured office servers
INTERCEPTED = [
    "socket.socket.connect", "socket.socket.connect_ex", "socket.socket.sendto", "socket.create_connection",
    "socket.getaddrinfo", "socket.gethostbyname",
]

_lock = threading.Lock()


class NetworkBlocked(OSError):
    """Raised instead of reaching the network (ENETUNREACH, as on an offline machine)."""

    def __init__(self, what: str) -> None:
        super().__init__(errno.ENETUNREACH, f"network access blocked by Docent's privacy self-test: {what}")
        self.what = what


def server_addresses(*urls: str) -> list[str]:
    """"host:port" of each configured server URL (empty ones skipped)."""
    from urllib.parse import urlsplit

    out = []
    for url in urls:
        if url:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            out.append(f"{(parts.hostname or '').lower()}:{port}")
    return out


def install(log_file: str | os.PathLike[str], allow: Sequence[str] = ()) -> Callable[[], None]:
    """Intercept network calls in this process, appending each attempt to `log_file` (a JSON line:
    call, target, pid). `allow`: "host:port" of the configured servers, let through and logged with
    "allowed": true (a host name allows the addresses it resolves to). Returns the function that
    puts the original calls back."""
    log_path = str(log_file)
    allowed: set[tuple[str, int]] = set()
    for item in allow:
        host, _, port = item.rpartition(":")
        if host and port.isdigit():
            allowed.add((host.strip("[]").lower(), int(port)))
    reachable = set(allowed)  # grows with the addresses allowed host names resolve to
    sock = socket.socket
    originals: dict[str, Any] = {
        "connect": sock.connect, "connect_ex": sock.connect_ex, "sendto": sock.sendto,
        "create_connection": socket.create_connection, "getaddrinfo": socket.getaddrinfo,
        "gethostbyname": socket.gethostbyname,
    }

    def block(call: str, target: Any) -> None:
        entry = {"call": call, "target": repr(target)[:200], "pid": os.getpid(), "time": round(time.time(), 3)}
        try:
            with _lock, open(log_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")
        except OSError:  # the log is gone (a worker outliving the test): still refuse
            pass
        raise NetworkBlocked(f"{call}({target!r})")

    def permitted(address: Any) -> bool:
        if not reachable or not isinstance(address, tuple) or len(address) < 2:
            return False
        try:
            return (str(address[0]).lower(), int(address[1])) in reachable
        except (TypeError, ValueError):
            return False

    def note(call: str, target: Any) -> None:
        entry = {"call": call, "target": repr(target)[:200], "pid": os.getpid(), "time": round(time.time(), 3),
                 "allowed": True}
        try:
            with _lock, open(log_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")
        except OSError:
            pass

    def local(s: socket.socket) -> bool:
        unix = getattr(socket, "AF_UNIX", None)
        return unix is not None and s.family == unix

    def connect(self: socket.socket, address: Any) -> None:
        if local(self):
            return originals["connect"](self, address)  # type: ignore[no-any-return]
        if permitted(address):
            note("socket.connect", address)
            return originals["connect"](self, address)  # type: ignore[no-any-return]
        block("socket.connect", address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if local(self):
            return originals["connect_ex"](self, address)  # type: ignore[no-any-return]
        if permitted(address):
            note("socket.connect_ex", address)
            return originals["connect_ex"](self, address)  # type: ignore[no-any-return]
        block("socket.connect_ex", address)
        return errno.ENETUNREACH  # pragma: no cover - block raises

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        if local(self):
            return originals["sendto"](self, data, *args)  # type: ignore[no-any-return]
        block("socket.sendto", args[-1] if args else None)
        return 0  # pragma: no cover

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if permitted(address):  # connects through socket.connect, which is checked again
            return originals["create_connection"](address, *args, **kwargs)  # type: ignore[no-any-return]
        block("socket.create_connection", address)
        raise AssertionError("unreachable")  # pragma: no cover

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if permitted((host, port)):
            found = originals["getaddrinfo"](host, port, *args, **kwargs)
            for *_, sockaddr in found:
                reachable.add((str(sockaddr[0]).lower(), int(sockaddr[1])))
            return found  # type: ignore[no-any-return]
        block("socket.getaddrinfo", (host, port))
        raise AssertionError("unreachable")  # pragma: no cover

    def gethostbyname(host: Any) -> str:
        ports = [port for name, port in allowed if name == str(host).lower()]
        if ports:
            address = originals["gethostbyname"](host)
            reachable.update((address, port) for port in ports)
            return address  # type: ignore[no-any-return]
        block("socket.gethostbyname", host)
        raise AssertionError("unreachable")  # pragma: no cover

    # Monkeypatching methods: the replacements take socket.socket as self, the stubs _socket.socket.
    sock.connect = connect  # type: ignore[method-assign,assignment]
    sock.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    sock.sendto = sendto  # type: ignore[method-assign,assignment]
    socket.create_connection = create_connection
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname

    def restore() -> None:
        sock.connect = originals["connect"]  # type: ignore[method-assign]
        sock.connect_ex = originals["connect_ex"]  # type: ignore[method-assign]
        sock.sendto = originals["sendto"]  # type: ignore[method-assign]
        socket.create_connection = originals["create_connection"]
        socket.getaddrinfo = originals["getaddrinfo"]
        socket.gethostbyname = originals["gethostbyname"]

    return restore


_SITECUSTOMIZE = '''"""Written by Docent's privacy self-test: guards this Python process's network calls."""
import importlib.util
import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))


def _chain():  # run the sitecustomize this one hides, if any
    for entry in sys.path:
        folder = os.path.abspath(entry or os.curdir)
        candidate = os.path.join(folder, "sitecustomize.py")
        if folder != _here and os.path.isfile(candidate):
            spec = importlib.util.spec_from_file_location("_docent_hidden_sitecustomize", candidate)
            if spec is not None and spec.loader is not None:
                module = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = module
                spec.loader.exec_module(module)
            return


try:
    _chain()
except Exception:
    pass
if os.environ.get({env!r}):
    sys.path.insert(0, {root!r})
    try:
        from docent.core.selftest.netguard import install

        install(os.environ[{env!r}], [a for a in os.environ.get({allow_env!r}, "").split(",") if a])
    finally:
        sys.path.remove({root!r})
'''


class SocketGuard:
    """Intercepts network calls in this process and in the Python processes started while it is
    active (see the module docstring). `attempts()` reads every attempt made so far."""

    def __init__(self, folder: Path, allow: Sequence[str] = ()) -> None:
        self.folder = Path(folder)
        self.allow = list(allow)
        self.log_file = self.folder / "network-attempts.jsonl"
        self._restore: Callable[[], None] | None = None
        self._env: dict[str, str | None] = {}

    def __enter__(self) -> "SocketGuard":
        paths.ensure_private_dir(self.folder)
        self.log_file.touch()
        root = str(Path(__file__).resolve().parents[2])  # the folder holding the docent package
        (self.folder / "sitecustomize.py").write_text(
            _SITECUSTOMIZE.format(env=ENV_NETLOG, allow_env=ENV_NETALLOW, root=root), encoding="utf-8")
        self._env = {k: os.environ.get(k) for k in ("PYTHONPATH", ENV_NETLOG, ENV_NETALLOW)}
        previous = self._env["PYTHONPATH"]
        os.environ["PYTHONPATH"] = str(self.folder) + (os.pathsep + previous if previous else "")
        os.environ[ENV_NETLOG] = str(self.log_file)
        os.environ[ENV_NETALLOW] = ",".join(self.allow)
        self._restore = install(self.log_file, self.allow)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._restore is not None:
            self._restore()
            self._restore = None
        for k, v in self._env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def attempts(self) -> list[dict[str, Any]]:
        """The refused attempts (connections to the configured servers are in allowed())."""
        return [a for a in self._log() if not a.get("allowed")]

    def allowed(self) -> list[dict[str, Any]]:
        return [a for a in self._log() if a.get("allowed")]

    def _log(self) -> list[dict[str, Any]]:
        out = []
        try:
            lines = self.log_file.read_text(encoding="utf-8").splitlines()
        except OSError:
            return []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"call": "unknown", "target": line[:200]})
        return out

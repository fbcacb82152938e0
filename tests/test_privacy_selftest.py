"""The privacy self-test: `docent doctor --privacy --json` indexes the sample documents and answers a
question with every network call intercepted, reports 0 connections attempted and lists the files
Docent wrote with their permissions; a connection attempted on purpose during the run makes it fail
loudly (non-zero exit, counted, named). The guard also covers child processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from docent import cli
from docent.core.selftest import privacy
from docent.core.selftest.privacy import SelfTestReport, SelfTestStep, SocketGuard
from docent.settings import Settings
from test_cli import NETGUARD, _json, _run

# the smallest bundled model, short answers, one llama.cpp thread (see test_ask.py)
FAST = Settings(max_answer_tokens=32, n_ctx=2048, n_threads=1, chat_model="smollm2-135m-instruct")


@pytest.mark.slow
def test_doctor_privacy_reports_no_connection_and_the_files_written(tmp_path: Path) -> None:
    netlog = tmp_path / "netlog.txt"
    proc = _run(["doctor", "--privacy", "--json"], netlog)
    report = _json(proc)
    assert report["connections_attempted"] == 0 and report["connections"] == []
    assert report["ok"] is True and report["error"] == "" and proc.returncode == 0
    # a full run: the samples were indexed and the question answered by the default chat model
    assert report["indexed"] == 3 and report["pages"] > 0 and report["chunks"] > 0
    assert report["model_used"] is True and Path(report["model_path"]).name == "gemma-3-270m-q4_k_m.gguf"
    assert report["child_processes_guarded"] is True
    assert set(report["intercepted"]) >= {"socket.socket.connect", "socket.create_connection", "socket.getaddrinfo"}

    files = {Path(f["path"]).relative_to(report["folders"]["library"]).as_posix(): f
             for f in report["files_written"] if f["where"] == "library"}
    assert {".", "catalog.sqlite3", "settings.json", "vectors", "audit/log.jsonl", "audit/key", "chats"} <= set(files)
    assert any(name.startswith("chats/") and name.endswith(".json") for name in files)
    for f in report["files_written"]:
        assert {"path", "kind", "mode", "size", "private", "exposed", "where"} <= set(f)
        assert len(f["mode"]) == 4 and int(f["mode"], 8) <= 0o7777
    assert files["."]["mode"] == "0700" and files["."]["kind"] == "dir"  # the library folder is private
    assert files["audit/key"]["mode"] == "0600"
    assert report["files_exposed"] == 0 and not any(f["exposed"] for f in files.values())
    assert not Path(report["folders"]["library"]).exists()  # the temporary library is removed
    assert not netlog.exists() or netlog.read_text() == ""


@pytest.mark.slow  # runs the real chat model
def test_self_test_fails_loudly_when_a_connection_is_attempted(
        tmp_path: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def probe() -> None:  # what a leaky dependency would do, in the middle of the run
        socket.create_connection(("127.0.0.1", 9), timeout=1)

    steps: list[SelfTestStep] = []
    real = privacy.run_selftest

    def run(**kwargs: Any) -> Any:
        given = kwargs.pop("settings")  # the CLI passes the library's servers: none configured here
        assert (given.chroma_server, given.llm_server) == ("", "")
        for ev in real(settings=FAST, embedder=embedder, extra=probe, **kwargs):
            if isinstance(ev, SelfTestStep):
                steps.append(ev)
            yield ev

    monkeypatch.setattr(privacy, "run_selftest", run)
    rc = cli.main(["doctor", "--privacy", "--json"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert rc == 1
    assert report["connections_attempted"] == 1 and report["ok"] is False
    (attempt,) = report["connections"]
    assert attempt["call"] == "socket.create_connection" and "127.0.0.1" in attempt["target"]
    assert attempt["pid"] == os.getpid()
    assert "PRIVACY SELF-TEST FAILED: 1 network connection(s) attempted" in err and "127.0.0.1" in err
    # the run itself went through: only the connection makes it fail
    assert report["error"] == "" and report["indexed"] == 3 and report["answered"] is True
    assert [s.step for s in steps][:2] == ["start", "index"] and steps[-1].step == "files"
    assert all(0 <= a.fraction <= b.fraction <= 1 for a, b in zip(steps, steps[1:]))
    # the socket functions are back as they were (the suite's own guard)
    assert socket.create_connection.__module__ == "netguard"


def test_the_guard_covers_child_processes_and_is_removed_after(tmp_path: Path) -> None:
    before = (socket.socket.connect, socket.getaddrinfo, os.environ.get("PYTHONPATH"))
    code = "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\nexcept OSError as e:\n    print(e)"
    with SocketGuard(tmp_path / "guard") as guard:
        with pytest.raises(OSError):
            socket.getaddrinfo("example.com", 443)
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert "blocked by Docent's privacy self-test" in child.stdout, (child.stdout, child.stderr)
        # local sockets are not network connections
        a, b = socket.socketpair()
        with a, b:
            a.sendall(b"x")
            assert b.recv(1) == b"x"
    attempts = guard.attempts()
    assert [a["call"] for a in attempts] == ["socket.getaddrinfo", "socket.create_connection"]
    assert attempts[0]["pid"] == os.getpid() and attempts[1]["pid"] != os.getpid()
    assert "192.0.2.1" in attempts[1]["target"]
    assert (socket.socket.connect, socket.getaddrinfo, os.environ.get("PYTHONPATH")) == before


def test_report_summary_and_json() -> None:
    report = SelfTestReport(ok=False, connections_attempted=2, connections=[{}, {}],
                            files_written=[{"path": "/x", "exposed": True}], folders={})
    assert report.summary().startswith("2 network connections attempted: Docent tried to reach the network!")
    data = report.to_json()
    assert data["files_exposed"] == 1 and data["connections_attempted"] == 2
    assert {"ok", "connections_attempted", "connections", "files_written", "folders", "seconds"} <= set(data)


@pytest.mark.slow
def test_nothing_is_written_outside_docents_folders(tmp_path: Path) -> None:
    """With a fresh home folder, the self-test (index, OCR-capable reader, embedder, chat model)
    leaves nothing in the user's cache, config or data folders but Docent's own: ONNX Runtime
    1.2x keeps a device id and a telemetry queue in ~/.cache/Microsoft unless it is told not to."""
    home = tmp_path / "home"
    home.mkdir()
    netlog = tmp_path / "netlog.txt"
    env = dict(os.environ, HOME=str(home), PYTHONPATH=str(NETGUARD), DOCENT_TEST_NETLOG=str(netlog))
    for var in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env.pop(var, None)
    env.pop("ORT_DISABLE_TELEMETRY", None)  # Docent sets it itself
    proc = subprocess.run([sys.executable, "-m", "docent", "doctor", "--privacy", "--json"], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["indexed"] == 3 and report["answered"] is True
    assert report["files_elsewhere"] == 0, [f["path"] for f in report["files_written"] if f["where"].startswith("user ")]
    assert {"user cache", "user config", "user data", "user state"} <= set(report["folders"])
    assert Path(report["folders"]["user cache"]) == home / ".cache"
    app_dirs = [home / ".local" / "share" / "docent", home / ".cache" / "docent", home / ".config" / "docent",
                home / ".local" / "state" / "docent"]
    stray = [p for p in home.rglob("*") if p.is_file() and not any(d in p.parents for d in app_dirs)]
    assert stray == [], stray
    assert not (home / ".cache" / "Microsoft").exists()
    assert not netlog.exists() or netlog.read_text() == ""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (Debian: strace) to watch native code")
def test_no_network_system_call_even_from_native_code(tmp_path: Path) -> None:
    """The socket guard sees Python's socket calls only; strace sees the kernel's: indexing and
    asking, in every process and thread, make no connect() or sendto() to an IP address."""
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, HOME=str(home))
    for var in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "ORT_DISABLE_TELEMETRY"):
        env.pop(var, None)
    samples = Path(__file__).resolve().parents[1] / "resources" / "samples"
    trace = tmp_path / "trace.txt"
    for args in (["index", str(samples)], ["ask", "How many days of paid annual leave do employees get?"]):
        proc = subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-o", str(trace),
                               sys.executable, "-m", "docent", *args], capture_output=True, text=True, env=env,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        calls = trace.read_text()
        assert "AF_INET" not in calls, [line for line in calls.splitlines() if "AF_INET" in line][:5]

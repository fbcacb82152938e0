"""Crash safety and concurrency, with real `docent` processes on a small real corpus (SQuAD article
PDFs from ../shared and resources/samples, copied to a tmp folder):

- `docent index` killed with SIGKILL at random moments, restarted, and let finish leaves the same
  library as an uninterrupted run (documents, chunks, the FTS5 index, the vectors);
- a full disk (a file size limit) and a read-only library folder give one clear line and exit
  status 2, and after a full disk the next run resumes to that same library;
- a second process on a library in use is refused with a message naming the lock file;
- in one process, questions are answered while another thread indexes.

tests/bench/killtest.py runs the kill test for many rounds; the comparison lives there.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from bench import killtest as kt
from docent.core.library import Library
from docent.core.types import AnswerDone, FileDone, SyncDone
from docent.settings import Settings

pytestmark = [
    pytest.mark.skipif(os.name != "posix", reason="SIGKILL, file size limits and mount namespaces are POSIX"),
    pytest.mark.skipif(not kt.corpus_available(), reason="needs ../shared/eval/squad and resources/samples"),
]

NETGUARD = Path(__file__).resolve().parent / "netguard"
ARTICLES = 3
KILLS = 8
NOTES = "Release_Notes (copy).md"  # the original of the two identical release notes (it sorts first)


@dataclass
class Reference:
    """The corpus and the library an uninterrupted `docent index` builds from it."""

    corpus: Path
    data: Path
    snapshot: kt.Snapshot
    probes: list[Any]
    startup: float  # seconds a run spends before indexing (imports, embedder, opening the stores)
    work: float  # seconds of indexing
    env: dict[str, str]
    netlog: Path

    @property
    def files(self) -> int:
        return kt.corpus_files(self.corpus)

    def same_library(self, data: Path) -> list[str]:
        return kt.differences(self.snapshot, kt.snapshot(data, self.probes))

    def docent(self, data: Path, *args: str, timeout: float = 300,
               preexec_fn: Callable[[], None] | None = None, wrap: list[str] | None = None) -> subprocess.CompletedProcess[str]:
        cmd = (wrap or []) + [sys.executable, "-m", "docent", "--data-dir", str(data), *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=timeout, preexec_fn=preexec_fn)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, embedder, models_dir: Path) -> Reference:  # noqa: ANN001
    root = tmp_path_factory.mktemp("crash")
    corpus = kt.build_corpus(root / "corpus", ARTICLES)
    netlog = root / "netlog.txt"
    env = dict(os.environ, PYTHONPATH=str(NETGUARD), DOCENT_TEST_NETLOG=str(netlog),
               DOCENT_MODELS_DIR=str(models_dir), DOCENT_LOG_DIR=str(root / "logs"))
    env.pop("DOCENT_DATA_DIR", None)
    proc, seconds = kt.index_to_end(root / "reference", corpus, env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    # every article and sample indexed, the second copy of the notes a duplicate, the broken PDF failed
    assert (summary["indexed"], summary["skipped"], summary["failed"]) == (ARTICLES + 3, 1, 1), summary
    probes = kt.probe_vectors(embedder)
    snap = kt.snapshot(root / "reference", probes)
    assert snap.faults == [] and len(snap.chunks) > 50
    return Reference(corpus, root / "reference", snap, probes, seconds - summary["seconds"], summary["seconds"],
                     env, netlog)


@pytest.fixture(autouse=True)
def _no_network_in_subprocesses(reference: Reference) -> Any:
    yield
    assert not reference.netlog.exists() or reference.netlog.read_text() == "", reference.netlog.read_text()


def _one_line_error(proc: subprocess.CompletedProcess[str], start: str, warnings: bool = False) -> str:
    """The error line of a command that failed as it should: exit status 2, nothing on stdout, one
    line on stderr (after logged warnings, where `warnings` allows them), no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-1000:], proc.stderr[-3000:])
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    if warnings:
        assert lines and all(line.startswith("WARNING ") for line in lines[:-1]), proc.stderr
    else:
        assert len(lines) == 1, proc.stderr
    assert lines[-1].startswith(start), lines[-1]
    return lines[-1]


# ---- SIGKILL at random moments -------------------------------------------------------------------
def test_index_killed_at_random_moments_ends_like_an_uninterrupted_run(reference: Reference, tmp_path: Path) -> None:
    data = tmp_path / "data"
    run = kt.interrupted_index(data, reference.corpus, random.Random(5), KILLS, reference.startup, reference.work,
                               reference.env, scratch=tmp_path)
    # the kills hit running processes, and some of them mid-way through the documents
    assert run.kills >= KILLS - 3, run
    assert run.stages["inside a document"] + run.stages["between documents"] >= 1, run
    assert reference.same_library(data) == []


# ---- a full disk, a read-only folder --------------------------------------------------------------
def test_full_disk_is_one_clear_line_and_the_next_run_resumes(reference: Reference, tmp_path: Path) -> None:
    resource = pytest.importorskip("resource")
    # The disk "fills up" at a growing share of the largest file an uninterrupted run writes: no file
    # of the library may grow past it, and writes past it fail with EFBIG (SIGXFSZ ignored), as they
    # fail with ENOSPC on a full disk. Run after run, the failure comes at a later point: opening the
    # stores, the vector store's writes, the catalog's writes.
    biggest = max(f.stat().st_size for f in reference.data.rglob("*") if f.is_file())
    data = tmp_path / "data"
    done: list[int] = []
    for share in (0.3, 0.55, 0.75, 0.9):
        limit = int(share * biggest)

        def limited(limit: int = limit) -> None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

        proc = reference.docent(data, "index", str(reference.corpus), "--json", preexec_fn=limited)
        # (a warning may come first: closing the catalog cannot tidy the keyword index either)
        line = _one_line_error(proc, f"docent: cannot write to the library in {data}: ", warnings=True)
        assert "free space" in line or "Free some space" in line, line
        assert "documents already indexed are kept" in line, line
        done.append(kt.stage(data, reference.files, tmp_path)[1])
    assert done == sorted(done) and any(0 < d < reference.files for d in done), done

    proc = reference.docent(data, "index", str(reference.corpus), "--json")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr[-3000:]
    assert json.loads(proc.stdout)["unchanged"] == done[-1]
    assert reference.same_library(data) == []


def _read_only(folders: list[Path]) -> tuple[list[str], Callable[[], None]]:
    """A command prefix and an undo that make `folders` read-only for the command: a read-only bind
    mount in a private mount namespace as root (who ignores permissions), chmod otherwise."""
    if os.geteuid() != 0:
        for folder in folders:
            for path in [folder, *folder.rglob("*")]:
                path.chmod(path.stat().st_mode & ~0o222)

        def undo() -> None:
            for folder in folders:
                for path in [folder, *folder.rglob("*")]:
                    path.chmod(path.stat().st_mode | 0o200)

        return [], undo
    mounts = " && ".join(f'mount --bind "{f}" "{f}" && mount -o remount,ro,bind "{f}"' for f in folders)
    wrap = ["unshare", "--mount", "sh", "-c", f'{mounts} && exec "$@"', "sh"]
    if shutil.which("unshare") is None or subprocess.run(
        wrap + ["sh", "-c", f'! touch "{folders[0]}/.probe" 2>/dev/null'], capture_output=True
    ).returncode != 0:
        pytest.skip("running as root without unshare/mount: cannot make a folder read-only")
    return wrap, lambda: None


def test_read_only_library_folder_is_one_clear_line(reference: Reference, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    shutil.copytree(reference.data, lib)
    parent = tmp_path / "parent"
    parent.mkdir()
    wrap, undo = _read_only([lib, parent])
    try:
        for data, args in [
            (lib, ["index", str(reference.corpus), "--json"]),
            (lib, ["status", "--json"]),
            (lib, ["search", "Amazon rainforest", "--json"]),
            (parent / "new", ["index", str(reference.corpus), "--json"]),
        ]:
            proc = reference.docent(data, *args, wrap=wrap)
            line = _one_line_error(proc, f"docent: cannot write to the library in {data}: ")
            assert "read-only" in line or "permission denied" in line, line
            assert "--data-dir" in line, line
    finally:
        undo()
    assert not (parent / "new").exists()
    assert reference.same_library(lib) == []  # untouched, and it opens again once writable


# ---- two processes, two threads -----------------------------------------------------------------
def test_second_process_is_refused_while_one_indexes(reference: Reference, tmp_path: Path) -> None:
    data = tmp_path / "data"
    lock = data / "docent.lock"
    first = subprocess.Popen(kt.index_command(data, reference.corpus), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=reference.env)
    try:
        deadline = time.monotonic() + 120
        while not (lock.exists() and lock.read_text() == f"pid {first.pid}"):  # it holds the library
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        others = [
            subprocess.Popen([sys.executable, "-m", "docent", "--data-dir", str(data), *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=reference.env)
            for args in (["index", str(reference.corpus), "--json"], ["ask", "What is the Amazon rainforest?", "--json"])
        ]
        for other in others:
            out, err = other.communicate(timeout=120)
            proc = subprocess.CompletedProcess(other.args, other.returncode, out, err)
            line = _one_line_error(proc, f"docent: the library in {data} is in use by another Docent process "
                                         f"(pid {first.pid} holds the lock file {lock}).")
            assert "--data-dir" in line
        out, err = first.communicate(timeout=300)
        assert first.returncode == 0, err[-3000:]
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    # the refused processes changed nothing: the first one built the same library as ever
    assert reference.same_library(data) == []


class _GatedEmbedder:
    """The real embedder; the first call for a text of `article` waits until the test opens the gate,
    so indexing is sure to be still running (that document mid-way) when the questions are asked."""

    def __init__(self, inner: Any, article: str) -> None:
        self.inner, self.article = inner, article
        self.id, self.dim, self.max_tokens = inner.id, inner.dim, inner.max_tokens
        self.reached, self.gate = threading.Event(), threading.Event()

    def embed(self, texts: Any) -> Any:
        if not self.reached.is_set() and any(t.startswith(self.article) for t in texts):
            self.reached.set()
            assert self.gate.wait(120), "the test never opened the gate"
        return self.inner.embed(texts)

    def embed_query(self, text: str) -> Any:
        return self.inner.embed_query(text)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.inner.token_spans(text)


@pytest.mark.slow  # runs the real chat model
def test_questions_are_answered_while_another_thread_indexes(reference: Reference, tmp_path: Path, embedder) -> None:  # noqa: ANN001
    notes = str(reference.corpus / NOTES)
    last = sorted(kt.ARTICLES[:ARTICLES])[-1].replace("_", " ")  # the last file indexed; its title starts its texts
    gated = _GatedEmbedder(embedder, last)
    settings = Settings(max_answer_tokens=24, n_ctx=2048, sources=1, n_threads=1, chat_model="smollm2-135m-instruct")
    events: list[Any] = []
    failures: list[BaseException] = []
    with Library(tmp_path / "lib", settings, embedder=gated) as lib:

        def index() -> None:
            try:
                for ev in lib.index([reference.corpus]):
                    events.append(ev)
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                failures.append(exc)
            finally:
                gated.gate.set()

        worker = threading.Thread(target=index, name="indexing")
        worker.start()
        try:
            deadline = time.monotonic() + 120
            while not any(isinstance(e, FileDone) and e.path == notes for e in list(events)):
                assert worker.is_alive() and time.monotonic() < deadline, failures
                time.sleep(0.02)
            # searches while the other thread extracts, embeds and writes the articles
            searches = 0
            while not gated.reached.is_set() and worker.is_alive():
                hits = lib.search("After how many minutes of inactivity are users signed out?", top_k=3)
                assert hits and hits[0].path == notes and "20 minutes" in hits[0].text, hits[:1]
                searches += 1
            assert searches >= 1 and gated.reached.is_set(), failures
            # with the last article half-indexed: a search, an answer from the model, a declined question
            assert lib.search("SEPA direct debit", top_k=1)[0].path == notes
            done = list(lib.ask("When do users get signed out of the Northwind portal?"))[-1]
            assert isinstance(done, AnswerDone) and done.answered, done
            assert {c.path for c in done.citations} == {notes}, done.citations
            declined = list(lib.ask("What is the boiling point of mercury on Jupiter?"))[-1]
            assert isinstance(declined, AnswerDone) and not declined.answered
            assert worker.is_alive(), "indexing should still be running"
        finally:
            gated.gate.set()
            worker.join(120)
        assert not worker.is_alive() and failures == []
        summary = events[-1]
        assert isinstance(summary, SyncDone) and not summary.cancelled
        assert (summary.indexed, summary.skipped, summary.failed) == (ARTICLES + 3, 1, 1)
    assert reference.same_library(tmp_path / "lib") == []


def test_write_failures_are_told_apart_from_other_errors(tmp_path: Path) -> None:
    import errno
    import sqlite3

    from docent.errors import LibraryNotWritable, StoreError, write_failure

    lib = tmp_path / "lib"
    full = write_failure(OSError(errno.ENOSPC, "No space left on device", str(lib / "catalog.sqlite3-wal")), lib)
    assert isinstance(full, LibraryNotWritable) and "the disk is full" in str(full) and str(lib) in str(full)
    read_only = write_failure(OSError(errno.EROFS, "Read-only file system", str(lib / "docent.lock")), lib)
    assert read_only is not None and "read-only" in str(read_only) and "--data-dir" in str(read_only)
    db = sqlite3.OperationalError("database or disk is full")
    db.sqlite_errorcode = 13  # SQLITE_FULL, as sqlite3 sets it
    assert "the disk is full" in str(write_failure(db, lib))
    wrapped = StoreError("cannot open the vector store")  # Chroma's error, wrapped by the store
    wrapped.__cause__ = RuntimeError("error returned from database: (code: 778) disk I/O error")
    assert "disk I/O error" in str(write_failure(wrapped, lib))
    # not failures to write the library: a document that cannot be read, a bug
    assert write_failure(PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "doc.pdf")), lib) is None
    assert write_failure(sqlite3.OperationalError("no such column: x"), lib) is None
    assert write_failure(ValueError("disk I/O error"), lib) is None

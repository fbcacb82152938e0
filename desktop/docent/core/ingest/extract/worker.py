"""Extraction in a separate, disposable process, with a time and memory budget per file.

Parsers meet hostile files: a PDF whose content stream loops for minutes, a zip bomb, a parser bug
that recurses until the stack overflows. Run inside the indexing process, any of these would hang
or kill the whole run. Here each file is read by a long-lived worker process; a file that takes
longer than its budget, or makes the worker die, gets a clear reason and the worker is replaced.

The worker also reads the next file while the indexer embeds the current one (one request ahead),
so extraction overlaps with embedding.

OCR of a scanned PDF (ocr.py) takes seconds a page, so a long scan needs more than the usual budget:
the worker reports each page OCR reads, and each report gives the file another full budget, up to
DOCENT_OCR_TIMEOUT_S in all (the OCR stops a little before that and keeps what it read). A file that
stops making progress is still stopped after the usual budget.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Generator, Iterator

from docent.core.cancel import NEVER, CancelToken
from docent.core.ingest.extract import ExtractError, extract
from docent.core.ingest.extract.ocr import timeout_s as ocr_time_limit
from docent.core.types import Extraction, FileOcrProgress
from docent.errors import Cancelled

DEFAULT_TIMEOUT_S = 180.0
DEFAULT_MEMORY_MB = 3072


def _serve(conn: Connection, memory_mb: int, ocr_stop_s: float = 0.0) -> None:  # runs in the child
    import logging

    from docent.core.ingest.extract.ocr import ocr_limits

    def on_ocr_page(done: int, total: int) -> None:
        conn.send(("ocr", done, total))  # alive and making progress: the parent extends the budget

    # pypdf warns about every repaired cross-reference table; in the child nothing routes that to the
    # log file, so it would reach the user's terminal. What matters comes back as the file's outcome.
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # it logs robustness fixes as errors too
    try:
        import resource

        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on every platform
        pass
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        try:
            deadline = time.monotonic() + ocr_stop_s if ocr_stop_s > 0 else None
            with ocr_limits(deadline=deadline, on_page=on_ocr_page):
                result: object = ("ok", extract(Path(path)))
        except ExtractError as exc:
            result = ("error", exc.reason, exc.status)
        except FileNotFoundError:
            result = ("gone",)
        except MemoryError:
            result = ("error", f"needs more than {memory_mb} MB of memory to read", "failed")
        except RecursionError:
            result = ("error", "its structure is nested too deeply to read (damaged?)", "failed")
        except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not stop the run
            detail = str(exc).split("\n")[0][:120] or "no details"
            result = ("error", f"could not be read (the document reader failed unexpectedly: {detail})", "failed")
        try:
            conn.send(result)
        except Exception:  # e.g. a result too large to send
            conn.send(("error", "could not be read (its extracted text is too large to pass on)", "failed"))


@dataclass
class _Pending:
    path: str
    sent_at: float


class ProcessExtractor:
    """`submit(path)` queues a file (at most one ahead); `result(path)` waits for it."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S, memory_mb: int = DEFAULT_MEMORY_MB,
                 grace_s: float = 5.0, ocr_timeout_s: float | None = None, cancel: CancelToken = NEVER) -> None:
        self.timeout_s = timeout_s
        self.ocr_timeout_s = ocr_timeout_s if ocr_timeout_s is not None else ocr_time_limit()
        # while waiting for a file, a cancel stops the worker (a long OCR need not finish first)
        self.cancel = cancel
        self.grace_s = grace_s
        self.memory_mb = memory_mb
        self._ctx = mp.get_context("spawn")
        self._proc: mp.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._pending: _Pending | None = None

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_serve, args=(child, self.memory_mb, self._ocr_stop_s()), daemon=True,
                                 name="docent-extract")
        with _main_hidden():
            proc.start()
        child.close()
        self._proc, self._conn = proc, parent

    def _stop(self, kill: bool) -> None:
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        self._pending = None
        if conn is not None:
            try:
                if not kill:
                    conn.send(None)
            except OSError:
                pass
            conn.close()
        if proc is not None:
            if kill:
                proc.kill()
            proc.join(timeout=5)
            if proc.is_alive():  # pragma: no cover
                proc.kill()
                proc.join(timeout=5)

    def _ocr_stop_s(self) -> float:
        """When the child's OCR stops starting pages, counted from the file's start: early enough
        (a budget, at most a minute) before the parent's hard limit for what it read to come back."""
        return max(1.0, self.ocr_timeout_s - min(self.timeout_s, 60.0, 0.25 * self.ocr_timeout_s))

    def submit(self, path: str) -> None:
        if self._pending is not None:
            return
        if self._proc is None or not self._proc.is_alive():
            self._stop(kill=True)
            self._start()
        assert self._conn is not None
        self._conn.send(path)
        self._pending = _Pending(path, time.monotonic())

    def result(self, path: str) -> Extraction:
        replies = self.results(path)
        while True:
            try:
                next(replies)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]

    def results(self, path: str) -> Generator[FileOcrProgress, None, Extraction]:
        """Like result(), yielding a FileOcrProgress for each page the worker reads by OCR."""
        if self._pending is None or self._pending.path != path:
            if self._pending is not None:  # the caller skipped a prefetched file: discard it
                try:
                    for _ in self._wait(self._pending):
                        pass
                except (ExtractError, FileNotFoundError):
                    pass  # that file's outcome, not this one's (e.g. it was deleted before its turn)
            self.submit(path)
        pending = self._pending
        assert pending is not None
        return (yield from self._wait(pending))

    def _wait(self, pending: _Pending) -> Generator[FileOcrProgress, None, Extraction]:
        conn = self._conn
        assert conn is not None
        # the budget runs from when the file was sent; if the caller arrives late (it was busy
        # embedding the previous file) the worker still gets a few seconds
        deadline = pending.sent_at + self.timeout_s
        hard = pending.sent_at + max(self.timeout_s, self.ocr_timeout_s)
        while True:
            left = max(self.grace_s, deadline - time.monotonic())
            ready = self._poll(conn, left)
            if not ready:
                self._stop(kill=True)
                spent = max(self.timeout_s, deadline - pending.sent_at)
                raise ExtractError(f"took longer than {spent:.0f} s to read; skipped so the rest could go on")
            try:
                reply = conn.recv()
            except (EOFError, OSError):
                if self._proc is not None:
                    self._proc.join(timeout=2)  # reap it, so its exit code is known
                code = self._proc.exitcode if self._proc is not None else None
                self._stop(kill=True)
                raise ExtractError(f"the document reader crashed on this file ({_exit_text(code)})") from None
            if reply[0] != "ocr":
                break
            yield FileOcrProgress(pending.path, int(reply[1]), int(reply[2]))
            # a page read by OCR: the worker is alive and getting on; another full budget, within
            # what OCR may take in all
            deadline = min(hard, max(deadline, time.monotonic() + self.timeout_s))
        self._pending = None
        kind = reply[0]
        if kind == "ok":
            return reply[1]  # type: ignore[no-any-return]
        if kind == "gone":
            raise FileNotFoundError(pending.path)
        raise ExtractError(reply[1], status=reply[2])

    def _poll(self, conn: Connection, seconds: float) -> bool:
        """Whether the worker answered (or died) within `seconds`; raises Cancelled, with the
        worker stopped, as soon as the cancel token is set."""
        end = time.monotonic() + seconds
        while True:
            if self.cancel.cancelled:
                self._stop(kill=True)
                raise Cancelled("cancelled by the user")
            step = max(0.0, end - time.monotonic())
            if self.cancel is not NEVER:
                step = min(step, 0.2)
            try:
                if conn.poll(step):
                    return True
            except (EOFError, OSError):
                return True
            if time.monotonic() >= end:
                return False

    def close(self) -> None:
        self._stop(kill=self._pending is not None)

    def __enter__(self) -> "ProcessExtractor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InlineExtractor:
    """Same interface, in this process: for tests of the parsers and for environments where
    starting processes is not possible."""

    def submit(self, path: str) -> None:
        pass

    def result(self, path: str) -> Extraction:
        return extract(Path(path))

    def close(self) -> None:
        pass


_START_LOCK = threading.Lock()


@contextmanager
def _main_hidden() -> Iterator[None]:
    """A spawned child normally re-imports the parent's main script (by path, or by name for
    `python -m`) before it runs the target; a user's script without an `if __name__ == "__main__"`
    guard would then run again inside the worker (opening the same library: "in use by another
    process"). The worker needs nothing from the main module, so hide it while the child starts."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    with _START_LOCK:
        missing = object()
        saved_file = main.__dict__.get("__file__", missing)
        saved_spec = main.__dict__.get("__spec__", missing)
        main.__dict__.pop("__file__", None)
        main.__spec__ = None
        try:
            yield
        finally:
            if saved_file is not missing:
                main.__file__ = saved_file
            if saved_spec is missing:
                main.__dict__.pop("__spec__", None)
            else:
                main.__spec__ = saved_spec


def _exit_text(code: int | None) -> str:
    """How the worker ended, for a reason: a native crash is a signal (SIGSEGV, SIGABRT...)."""
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = ": out of memory?" if name in ("SIGKILL", "SIGABRT") else ""
        return f"it was stopped by {name}{hint}"
    return f"it exited with code {code}"


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def default_extractor(cancel: CancelToken = NEVER) -> ProcessExtractor | InlineExtractor:
    """The worker with the default budgets; DOCENT_EXTRACT_TIMEOUT_S and DOCENT_EXTRACT_MEMORY_MB
    change them (benchmarks, unusual machines), DOCENT_OCR_TIMEOUT_S what OCR may take in all."""
    if os.environ.get("DOCENT_INLINE_EXTRACT") == "1":
        return InlineExtractor()
    return ProcessExtractor(
        timeout_s=_env_number("DOCENT_EXTRACT_TIMEOUT_S", DEFAULT_TIMEOUT_S),
        memory_mb=int(_env_number("DOCENT_EXTRACT_MEMORY_MB", DEFAULT_MEMORY_MB)),
        cancel=cancel,
    )

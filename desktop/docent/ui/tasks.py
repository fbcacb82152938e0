"""The one place that runs core generators on worker threads.

A `Lane` is one worker thread that owns a resource that is not thread-safe (the Library: its
catalog connection, the vector store, the embedder and the llama.cpp context). Every call into that
resource is a `Job` on its lane, so nothing ever touches it from two threads.

Jobs are generators, stepped one event at a time, and the lane picks the next job to step after
every event: the pending job with the best priority (then the oldest). So an interactive job (a
question) submitted while indexing runs starts at the indexer's next event (after the current file
or batch of 64 chunks) and runs to its end; indexing then resumes where it stopped. The window never
waits on a lane: events reach it through queued signals.

Token events are merged on the worker and sent at most every `TOKEN_BATCH_S` seconds, so a fast
model cannot flood the event loop.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from enum import IntEnum
from typing import Any, Callable, Iterator

from PySide6.QtCore import QObject, QThread, Signal, Slot

from docent.core.cancel import CancelToken
from docent.core.types import Token

log = logging.getLogger(__name__)

TOKEN_BATCH_S = 0.04

JobFactory = Callable[[CancelToken], Iterator[Any]]


class Priority(IntEnum):
    INTERACTIVE = 0  # the user waits for it: questions, quick look-ups
    NORMAL = 1
    BACKGROUND = 2  # indexing


class Job(QObject):
    """One generator run on a lane.

    Signals:
        started(): the generator was created (it is now the lane's or waits its turn between steps)
        event(object): one event of the generator; consecutive `Token`s arrive merged
        failed(object): the exception that ended the job (already logged)
        finished(bool): always last, exactly once; True when the job was cancelled
    """

    started = Signal()
    event = Signal(object)
    failed = Signal(object)
    finished = Signal(bool)

    _seq = itertools.count()

    def __init__(self, name: str, factory: JobFactory, priority: Priority = Priority.NORMAL,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.priority = priority
        self.order = next(Job._seq)
        self.cancel_token = CancelToken()
        self.done = False
        self.result: Any = None  # the last event, for call jobs
        self._factory = factory
        self._gen: Iterator[Any] | None = None
        self._tokens: list[str] = []
        self._last_flush = 0.0
        self._on_done: Callable[["Job"], None] | None = None  # set by the lane

    def cancel(self) -> None:
        """Ask the job to stop: a job not yet started never starts; a running one sees its token."""
        self.cancel_token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.cancel_token.cancelled

    # ---- called on the lane's thread ----------------------------------------------------------
    def _flush(self) -> None:
        if self._tokens:
            text = "".join(self._tokens)
            self._tokens.clear()
            self.event.emit(Token(text))
        self._last_flush = time.monotonic()

    def _deliver(self, ev: Any) -> None:
        self.result = ev
        if isinstance(ev, Token):
            first = not self._tokens and time.monotonic() - self._last_flush > 0.25
            self._tokens.append(ev.text)
            if first or time.monotonic() - self._last_flush >= TOKEN_BATCH_S:
                self._flush()
            return
        self._flush()
        self.event.emit(ev)

    def _step(self) -> bool:
        """Advance by one event. Returns False once the job is over."""
        try:
            if self._gen is None:
                if self.cancelled:
                    self._finish()
                    return False
                self._gen = self._factory(self.cancel_token)
                self.started.emit()
            ev = next(self._gen)
        except StopIteration:
            self._finish()
            return False
        except BaseException as exc:  # reported to the window, never lost
            if not isinstance(exc, Exception):
                log.error("job %s ended by %s", self.name, type(exc).__name__)
            else:
                log.warning("job %s failed", self.name, exc_info=True)
            self._flush()
            self.failed.emit(exc)
            self._finish()
            return False
        self._deliver(ev)
        return True

    def _finish(self) -> None:
        self._flush()
        self.done = True
        gen, self._gen = self._gen, None
        if gen is not None:
            close = getattr(gen, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:  # pragma: no cover - a generator's cleanup failing
                    log.warning("closing job %s failed", self.name, exc_info=True)
        if self._on_done is not None:
            self._on_done(self)
        self.finished.emit(self.cancelled)


def call_job(name: str, fn: Callable[[], Any], priority: Priority = Priority.INTERACTIVE) -> Job:
    """A job that runs `fn()` once; its one event is the return value (`job.result`)."""

    def run(_cancel: CancelToken) -> Iterator[Any]:
        yield fn()

    return Job(name, run, priority)


class _LaneThread(QThread):
    def __init__(self, lane: "Lane") -> None:
        super().__init__()
        self._lane = lane

    def run(self) -> None:
        self._lane._work()


class Lane(QObject):
    """One worker thread running jobs one step at a time (see the module docstring).

    Signals:
        busyChanged(bool): whether any job is pending or running
    """

    busyChanged = Signal(bool)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._cond = threading.Condition()
        self._jobs: list[Job] = []
        self._keep: set[Job] = set()  # alive until the window thread has seen `finished`
        self._stopping = False
        self._final: Callable[[], None] | None = None
        self._busy = False
        self.current: Job | None = None
        self._thread = _LaneThread(self)
        self._thread.setObjectName(f"lane-{name}")
        self._thread.start()

    # ---- window thread ------------------------------------------------------------------------
    def submit(self, job: Job) -> Job:
        """Queue a job. Connect to its signals first: it may run at once."""
        if self._stopping:
            raise RuntimeError(f"the {self.name} lane is shut down")
        self._keep.add(job)
        job._on_done = self._forget
        job.finished.connect(self._release)
        with self._cond:
            self._jobs.append(job)
            self._cond.notify()
        self._set_busy(True)
        return job

    def call(self, name: str, fn: Callable[[], Any], priority: Priority = Priority.INTERACTIVE,
             on_result: Callable[[Any], None] | None = None,
             on_error: Callable[[BaseException], None] | None = None) -> Job:
        """Run `fn()` on the lane. The callbacks are connected before the job is queued (a job can
        start, and finish, as soon as it is submitted)."""
        job = call_job(name, fn, priority)
        if on_result is not None:
            job.event.connect(on_result)
        if on_error is not None:
            job.failed.connect(on_error)
        return self.submit(job)

    def pending(self) -> list[Job]:
        with self._cond:
            return list(self._jobs)

    @Slot(bool)
    def _release(self, _cancelled: bool) -> None:
        job = self.sender()
        self._keep.discard(job)  # type: ignore[arg-type]
        with self._cond:
            idle = not self._jobs
        if idle:
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    @property
    def busy(self) -> bool:
        return self._busy

    def shutdown(self, final: Callable[[], None] | None = None, wait: bool = True) -> None:
        """Cancel every job, let the running one reach its next step, run `final` on the lane's
        thread (e.g. closing the library), and end the thread."""
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
            self._final = final
            for job in self._jobs:
                job.cancel()
            self._cond.notify()
        if wait:
            self._thread.wait()

    def wait(self, ms: int = -1) -> bool:
        return self._thread.wait() if ms < 0 else self._thread.wait(ms)

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    # ---- lane thread --------------------------------------------------------------------------
    def _forget(self, job: Job) -> None:
        with self._cond:
            if job in self._jobs:
                self._jobs.remove(job)
            if self.current is job:
                self.current = None

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._jobs and not self._stopping:
                    self._cond.wait()
                if not self._jobs and self._stopping:
                    break
                job = min(self._jobs, key=lambda j: (j.priority, j.order))
                if self._stopping:
                    job.cancel()
                self.current = job
            job._step()
        final, self._final = self._final, None
        if final is not None:
            try:
                final()
            except Exception:
                log.warning("the %s lane's final call failed", self.name, exc_info=True)

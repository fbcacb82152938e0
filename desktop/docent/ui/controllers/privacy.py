"""The privacy self-test's controller: runs docent.core.selftest.privacy.run_selftest on its own lane (it
builds its own temporary library, so it never waits behind indexing or a question) and relays its
progress and report."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

from PySide6.QtCore import QObject, Signal, Slot

from docent.core.cancel import CancelToken
from docent.ui.controllers.common import describe_error
from docent.ui.tasks import Job, Lane, Priority

Runner = Callable[..., Iterator[Any]]  # run_selftest(cancel=...) → SelfTestStep..., SelfTestReport


class PrivacyController(QObject):
    """Signals:
        started(): a self-test began
        progress(object): a docent.core.selftest.privacy.SelfTestStep
        finished(object): the SelfTestReport (None when the run failed or was cancelled early)
        failed(str): why the self-test could not run
        busyChanged(bool): a self-test is running
    """

    started = Signal()
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, runner: Runner | None = None, log_file: Path | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.log_file = log_file
        self.report: Any = None
        self._lane: Lane | None = None
        self._job: Job | None = None

    @property
    def busy(self) -> bool:
        return self._job is not None

    def run(self, chroma_server: str = "", llm_server: str = "") -> bool:
        """Start a self-test in the background, through the library's office servers if it has
        any (connections to exactly those are allowed). False when one is already running."""
        if self.busy:
            return False
        runner = self.runner
        if runner is None:
            from docent.core.selftest.privacy import run_selftest

            runner = run_selftest

        servers = {"chroma_server": chroma_server, "llm_server": llm_server}

        def run(cancel: CancelToken) -> Iterator[Any]:
            if not any(servers.values()):
                yield from runner(cancel=cancel)
                return
            from dataclasses import replace

            from docent.core.selftest.privacy import SELFTEST_SETTINGS

            yield from runner(cancel=cancel, settings=replace(SELFTEST_SETTINGS, **servers))

        if self._lane is None:
            self._lane = Lane("privacy", self)
        self.report = None
        job = Job("privacy self-test", run, Priority.BACKGROUND)
        job.event.connect(self._on_event)
        job.failed.connect(self._on_failed)
        job.finished.connect(self._on_finished)
        self._job = job
        self.started.emit()
        self.busyChanged.emit(True)
        self._lane.submit(job)
        return True

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def shutdown(self) -> None:
        """End of the application: cancel a running self-test and end the lane's thread."""
        if self._lane is not None:
            self._lane.shutdown()

    @Slot(object)
    def _on_event(self, ev: Any) -> None:
        from docent.core.selftest.privacy import SelfTestReport, SelfTestStep

        if isinstance(ev, SelfTestStep):
            self.progress.emit(ev)
        elif isinstance(ev, SelfTestReport):
            self.report = ev

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        self.failed.emit(describe_error(exc, self.log_file))

    @Slot(bool)
    def _on_finished(self, _cancelled: bool) -> None:
        self._job = None
        self.busyChanged.emit(False)
        self.finished.emit(self.report)

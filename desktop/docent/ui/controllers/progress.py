"""Index events → what the progress bar says: files and pages done, the current file, time left."""

from __future__ import annotations

import time

from docent.core.types import FileDone, FileOcrProgress, FileProgress, FileStarted, ScanDone, SyncDone
from docent.ui.controllers.common import IndexProgress


def sync_summary(done: SyncDone) -> str:
    if done.cancelled:
        return f"Indexing cancelled after {done.indexed} file(s); what was finished is kept"
    parts = [f"{done.indexed} indexed"]
    if done.skipped:
        parts.append(f"{done.skipped} skipped")
    if done.failed:
        parts.append(f"{done.failed} failed")
    if done.removed:
        parts.append(f"{done.removed} removed")
    if done.unchanged:
        parts.append(f"{done.unchanged} unchanged")
    return "Library up to date: " + ", ".join(parts) + f" ({done.seconds:.1f} s)"


class ProgressTracker:
    """Turns index events into files/pages done and an estimate of the time left."""

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.phase = "preparing"
        self.total = self.done = self.pages = 0
        self.current = ""
        self.cur_pages = (0, 0)
        self.cur_ocr = (0, 0)
        self.file_t0 = self.t0
        self.first_file_t0: float | None = None

    def elapsed(self) -> float:
        return time.monotonic() - getattr(self, "t0", time.monotonic())

    def scan(self, ev: ScanDone) -> None:
        self.total = ev.to_index
        self.phase = "indexing"

    def file_started(self, ev: FileStarted) -> None:
        self.phase = "indexing"
        self.current = ev.path
        self.total = ev.total
        self.cur_pages = (0, 0)
        self.cur_ocr = (0, 0)
        self.file_t0 = time.monotonic()
        if self.first_file_t0 is None:
            self.first_file_t0 = self.file_t0

    def file_progress(self, ev: FileProgress) -> None:
        self.cur_pages = (ev.pages_done, ev.pages_total)
        self.cur_ocr = (0, 0)

    def file_ocr(self, ev: FileOcrProgress) -> None:
        if ev.path == self.current:
            self.cur_ocr = (ev.pages_done, ev.pages_total)

    def file_done(self, ev: FileDone) -> None:
        self.done = ev.index
        self.pages += ev.pages
        self.current = ""
        self.cur_pages = (0, 0)
        self.cur_ocr = (0, 0)

    def finishing(self) -> None:
        self.phase = "finishing"
        self.current = ""

    def seconds_left(self) -> float | None:
        if self.first_file_t0 is None or not self.total:
            return None
        spent = time.monotonic() - self.first_file_t0
        within = 0.0
        if self.current and self.cur_pages[1]:
            within = min(1.0, self.cur_pages[0] / self.cur_pages[1])
        elif self.current and self.cur_ocr[1]:
            within = 0.9 * min(1.0, self.cur_ocr[0] / self.cur_ocr[1])
        progress = self.done + within
        if progress < 0.5 or spent < 1.0:
            return None
        return max(0.0, spent / progress * (self.total - progress))

    def value(self) -> IndexProgress:
        return IndexProgress(
            phase=self.phase, files_done=self.done, files_total=self.total,
            pages_done=self.pages + self.cur_pages[0], current=self.current,
            current_pages=self.cur_pages, seconds_left=self.seconds_left(), elapsed=self.elapsed(),
            current_ocr=self.cur_ocr,
        )

"""A sync of the followed folders, in two halves: what runs on the library's lane (the core's
`sync_followed`: forget what is no longer followed, say what will be read, then index), and, on the
UI thread, its events turned into DocRow changes, progress and the summary said when it ends. Used
by LibraryController."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

from docent.core.cancel import CancelToken
from docent.core.types import (
    FileDone,
    FileLeftOut,
    FileOcrProgress,
    FileProgress,
    FileStarted,
    Planned,
    ScanDone,
    SyncDone,
)
from docent.ui.controllers.common import DocRow
from docent.ui.controllers.progress import ProgressTracker, sync_summary


def sync_events(lib: Any, folders: Any, cancel: CancelToken, force: bool) -> Iterator[Any]:
    """Runs on the lane: the core's sync of the followed folders (docent.core.ingest.followed)."""
    from docent.core.ingest.followed import sync_followed

    if lib is None:
        return
    yield from sync_followed(lib, folders, cancel, force=force)


class SyncTracker:
    """Follows a sync's events on the UI thread: keeps the DocRows and the progress up to date,
    collects the files left out (not documents) and keeps the SyncDone until the run ends."""

    def __init__(self) -> None:
        self.progress = ProgressTracker()
        self.left_out: list[tuple[str, str]] = []  # this run's FileLeftOut (path, reason)
        self.done: SyncDone | None = None

    def start(self) -> None:
        self.progress.start()

    def apply(self, ev: Any, rows: dict[str, DocRow]) -> tuple[bool, DocRow | None]:
        """Take in one index event, updating `rows` in place. Returns whether every row must be
        shown again, and the one row that changed (or None)."""
        p = self.progress
        reset, changed = False, None
        if isinstance(ev, Planned):
            for path in ev.queued:
                old = rows.get(path)
                if old is not None and old.status == "indexed":
                    continue  # searchable as it is until it is read again: it says so (not "Queued")
                row = replace(old, status="queued") if old else DocRow(path, "queued")
                rows[path] = row
            reset = bool(ev.queued or ev.pruned)
        elif isinstance(ev, ScanDone):
            p.scan(ev)
        elif isinstance(ev, FileStarted):
            p.file_started(ev)
            old = rows.get(ev.path)
            changed = replace(old, status="indexing", reason="") if old else DocRow(ev.path, "indexing")
            rows[ev.path] = changed
        elif isinstance(ev, FileProgress):
            p.file_progress(ev)
        elif isinstance(ev, FileOcrProgress):
            p.file_ocr(ev)
        elif isinstance(ev, FileDone):
            p.file_done(ev)
            old = rows.get(ev.path)
            pages = ev.pages or (old.pages if old else 0)
            chunks = ev.chunks or (old.chunks if old and ev.status == "indexed" else 0)
            changed = DocRow(ev.path, ev.status, ev.reason, pages, chunks, old.notes if old else "",
                             old.size if old else 0, time.time() if ev.status == "indexed" else None)
            rows[ev.path] = changed
        elif isinstance(ev, FileLeftOut):  # not a document: said once the run ends (and in the log)
            self.left_out.append((ev.path, ev.reason))
        elif isinstance(ev, SyncDone):
            p.finishing()
            self.done = ev
        return reset, changed

    def failed(self) -> None:
        self.done = None

    def take_done(self) -> SyncDone | None:
        done, self.done = self.done, None
        return done

    def take_summary(self, done: SyncDone | None) -> str:
        """What the status bar says about the run that ended (forgets its files left out)."""
        left_out, self.left_out = self.left_out, []
        if done is None:
            return ""
        summary = sync_summary(done)
        if left_out:
            path, reason = left_out[0]
            more = f" (and {len(left_out) - 1} more: see the log)" if len(left_out) > 1 else ""
            summary += f" · not a document: {Path(path).name}: {reason}{more}"
        return summary

    def cancelled(self) -> SyncDone:
        """The SyncDone of a run cancelled before it said how it ended."""
        return SyncDone(0, 0, 0, 0, 0, 0, 0, 0, self.progress.elapsed(), cancelled=True)

"""Watching the followed folders and the indexed files for changes made outside Docent, said once
things have been quiet for a moment. Used by LibraryController.

The folders (the roots and every folder between a root and its documents) are watched first: a
folder's watch sees files appear, go and be renamed. A file's content changing in place is seen only
by a watch on the file itself, so the files come next, as many as fit. What does not fit, under our
own cap or because the system refuses more (on Linux, the per-user inotify limit
/proc/sys/fs/inotify/max_user_watches, shared with every other program), is checked every
`check_ms` by a stat-only pass (docent.core.ingest.scan.stat_snapshot) on the library's lane, which
reports through the same `changed` signal. The window is told once, with `note`."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Iterable, Iterator, Mapping

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

from docent.core.cancel import CancelToken
from docent.core.ingest.scan import FileStat, Snapshot, snapshot_changes, stat_snapshot
from docent.ui.tasks import Job, Lane, Priority

log = logging.getLogger(__name__)

WATCH_LIMIT = 4000  # our own cap on watched paths (folders and files together)
WATCH_DEBOUNCE_MS = 1500
CHECK_INTERVAL_MS = 60_000  # the stat-only check of what is not watched
CHECK_PART = 2000  # files stat'ed in one step of the lane (and a twentieth as many folders listed)
INOTIFY_MAX = "/proc/sys/fs/inotify/max_user_watches"


def system_watch_limit() -> int | None:
    """The system's per-user limit on watches (Linux inotify), or None where there is none to read."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open(INOTIFY_MAX, encoding="ascii") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def default_watch_limit() -> int:
    """WATCH_LIMIT, or half the system's limit when that is lower: the limit is per user, shared with
    every editor, IDE and sync client the user runs."""
    system = system_watch_limit()
    return WATCH_LIMIT if system is None else max(1, min(WATCH_LIMIT, system // 2))


def _every(ms: int) -> str:
    if ms == 60_000:
        return "every minute"
    if ms % 60_000 == 0:
        return f"every {ms // 60_000} minutes"
    return f"every {ms / 1000:g} seconds"


class FolderWatcher(QObject):
    """A QFileSystemWatcher on the folders and as many indexed files as fit (at most `limit` paths,
    and what the system accepts), a periodic stat-only check of the rest, and a debounce timer.

    Signals:
        changed(): something watched or checked changed, and nothing more for `debounce_ms`
        note(str): what is not watched and how it is checked instead; said once each time the
            watcher starts falling back (not at every update), and logged
    """

    changed = Signal()
    note = Signal(str)

    def __init__(self, lane: Lane, parent: QObject | None = None, limit: int | None = None,
                 check_ms: int = CHECK_INTERVAL_MS, debounce_ms: int = WATCH_DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self.lane = lane
        self.limit = default_watch_limit() if limit is None else limit
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._on_fs_change)
        self.watcher.fileChanged.connect(self._on_fs_change)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(debounce_ms)
        self.debounce.timeout.connect(self.changed)
        self.check_timer = QTimer(self)
        self.check_timer.setInterval(check_ms)
        self.check_timer.timeout.connect(self.check_now)
        self.unwatched_files: list[str] = []  # checked by the periodic pass instead
        self.unwatched_folders: list[str] = []
        self.refused = 0  # paths the system would not watch at the last update
        self.system_limited = False  # the system refused watches once: `limit` is what it accepted
        self._baseline = Snapshot({}, {})
        self._generation = 0  # a check started before the last update is not compared
        self._job: Job | None = None
        self._noted = False

    @property
    def falling_back(self) -> bool:
        return bool(self.unwatched_files or self.unwatched_folders)

    def update(self, roots: Iterable[str], files: Mapping[str, FileStat | None]) -> None:
        """Watch the roots, the folders down to the indexed `files` and as many of the files as fit;
        check the rest periodically, each file against its catalogued (size, mtime) where given (else
        against what the first check sees). Stop watching anything else."""
        roots = list(roots)
        root_dirs = [r for r in roots if os.path.isdir(r)]
        root_files = [r for r in roots if r not in root_dirs and os.path.isfile(r)]
        folders = _folders(root_dirs, files)
        listed = sorted(set(files) | set(root_files))
        # only the files given a watch are stat'ed here (on the UI thread): one that has gone is left
        # to the periodic check, which sees it gone (a change: the next sync forgets it)
        watched = folders[: self.limit]
        for path in listed:
            if len(watched) >= self.limit:
                break
            if os.path.isfile(path):
                watched.append(path)
        current = set(self.watcher.files()) | set(self.watcher.directories())
        keep = set(watched)
        stale = sorted(current - keep)
        if stale:
            self.watcher.removePaths(stale)
        fresh = [p for p in watched if p not in current]
        refused = set(self.watcher.addPaths(fresh)) if fresh else set()
        self.refused = len(refused)
        if refused:
            log.warning("the system would not watch %d of %d paths (on Linux: fs.inotify.max_user_watches)",
                        len(refused), len(fresh))
            # keep to what the system accepted: the next updates do not ask (and warn) again
            self.limit = max(1, len(watched) - len(refused))
            self.system_limited = True
        keep -= refused
        self.unwatched_folders = [f for f in folders if f not in keep]
        self.unwatched_files = [p for p in listed if p not in keep]
        self._set_baseline(files, folders)
        self._generation += 1
        if self.falling_back:
            if not self.check_timer.isActive():
                self.check_timer.start()
            if not self._noted:
                self._noted = True
                message = self.describe(len(folders), len(listed))
                log.warning("%s", message)
                self.note.emit(message)
        else:
            self.check_timer.stop()
            self._noted = False

    def describe(self, folders: int, files: int) -> str:
        """What the window says when some paths are checked instead of watched."""
        what = f"{files - len(self.unwatched_files):,} of {files:,} files"
        if self.unwatched_folders:
            what += f" and {folders - len(self.unwatched_folders):,} of {folders:,} folders"
        if self.refused or self.system_limited:
            why = "the system's limit on watched files is reached"
            if sys.platform.startswith("linux"):
                why += "; raising fs.inotify.max_user_watches lifts it"
        else:
            why = f"Docent watches at most {self.limit:,} files and folders"
        return (f"Watching {what} for changes; the others are checked {_every(self.check_timer.interval())} "
                f"({why}).")

    def _set_baseline(self, files: Mapping[str, FileStat | None], folders: list[str]) -> None:
        """What the periodic check compares with: a file's catalogued (size, mtime), else what an
        earlier check saw of it; a folder's listing as an earlier check saw it, else the catalogued
        documents and folders in it (so a file added since the last sync is a change)."""
        old = self._baseline
        base_files: dict[str, FileStat | None] = {}
        for path in self.unwatched_files:
            known = files.get(path)
            if known is not None:
                base_files[path] = known
            elif path in old.files:
                base_files[path] = old.files[path]
        base_folders: dict[str, frozenset[str] | None] = {}
        if self.unwatched_folders:
            children: dict[str, set[str]] = {f: set() for f in self.unwatched_folders}
            for path in list(files) + folders:
                parent = os.path.dirname(path)
                if parent in children:
                    children[parent].add(os.path.basename(path))
            for folder in self.unwatched_folders:
                base_folders[folder] = old.folders[folder] if folder in old.folders else frozenset(children[folder])
        self._baseline = Snapshot(base_files, base_folders)

    @Slot()
    def check_now(self) -> None:
        """Start one stat-only check of what is not watched (on the lane; skipped while one waits)."""
        if not self.falling_back or self._job is not None:
            return
        files, folders, generation = list(self.unwatched_files), list(self.unwatched_folders), self._generation

        def run(cancel: CancelToken) -> Iterator[Any]:
            # in parts, each one step of the lane: a question asked meanwhile waits for one part only
            from docent.errors import Cancelled

            seen: dict[str, FileStat | None] = {}
            listed: dict[str, frozenset[str] | None] = {}
            try:
                for i in range(0, len(files), CHECK_PART):
                    seen.update(stat_snapshot(files[i:i + CHECK_PART], [], cancel).files)
                    yield None
                for i in range(0, len(folders), CHECK_PART // 20):
                    listed.update(stat_snapshot([], folders[i:i + CHECK_PART // 20], cancel).folders)
                    yield None
            except Cancelled:
                return
            yield generation, Snapshot(seen, listed)

        job = Job("watch-check", run, Priority.BACKGROUND)
        job.event.connect(self._on_checked)
        job.finished.connect(self._on_check_finished)
        self._job = job
        self.lane.submit(job)

    @Slot(object)
    def _on_checked(self, result: tuple[int, Snapshot] | None) -> None:
        if result is None:  # a part done
            return
        generation, seen = result
        if generation != self._generation:  # the lists changed since (a sync ended): check again later
            return
        changed = snapshot_changes(self._baseline, seen)
        # what was seen is the new baseline: one change is said once, not at every check until the sync
        self._baseline = Snapshot({**self._baseline.files, **seen.files}, {**self._baseline.folders, **seen.folders})
        if changed:
            log.info("the periodic check found %d change(s), e.g. %s", len(changed), changed[0])
            self.debounce.start()

    @Slot(bool)
    def _on_check_finished(self, _cancelled: bool) -> None:
        self._job = None

    def stop(self) -> None:
        """Forget a pending change and stop the periodic check (the watches stay)."""
        self.debounce.stop()
        self.check_timer.stop()
        if self._job is not None:
            self._job.cancel()

    def clear(self) -> None:
        """Forget a pending change and stop watching and checking everything."""
        self.stop()
        paths_ = self.watcher.files() + self.watcher.directories()
        if paths_:
            self.watcher.removePaths(paths_)
        self.unwatched_files, self.unwatched_folders = [], []
        self._baseline = Snapshot({}, {})
        self._generation += 1
        self._noted = False

    @Slot(str)
    def _on_fs_change(self, _path: str) -> None:
        self.debounce.start()


def _folders(root_dirs: list[str], files: Iterable[str]) -> list[str]:
    """The root folders first, then every folder between a root and a file under it (a file under no
    root: its own folder), that exists; sorted."""
    roots = sorted(set(root_dirs))
    found: set[str] = set(roots)
    for parent in {os.path.dirname(p) for p in files}:
        top = next((r for r in roots if parent == r or parent.startswith(r.rstrip(os.sep) + os.sep)), None)
        d = parent
        while d not in found:
            found.add(d)
            up = os.path.dirname(d)
            if top is None or up == d:
                break
            d = up
    rest = sorted(d for d in found - set(roots) if os.path.isdir(d))
    return roots + rest

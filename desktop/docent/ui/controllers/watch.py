"""Watching the followed folders and the indexed files for changes made outside Docent, said once
things have been quiet for a moment. Used by LibraryController."""

from __future__ import annotations

import os
from typing import Iterable

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

WATCH_LIMIT = 4000
WATCH_DEBOUNCE_MS = 1500


class FolderWatcher(QObject):
    """A QFileSystemWatcher on the roots, the indexed files and their folders (at most WATCH_LIMIT
    paths), and a debounce timer.

    Signals:
        changed(): something watched changed, and nothing more for WATCH_DEBOUNCE_MS
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._on_fs_change)
        self.watcher.fileChanged.connect(self._on_fs_change)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(WATCH_DEBOUNCE_MS)
        self.debounce.timeout.connect(self.changed)

    def update(self, roots: Iterable[str], paths: Iterable[str]) -> None:
        """Watch the roots, the indexed `paths` and their folders; stop watching anything else."""
        paths = list(paths)
        want: list[str] = []
        seen: set[str] = set()
        for root in roots:
            if os.path.isdir(root):
                want.append(root)
                seen.add(root)
            elif os.path.isfile(root):
                want.append(root)
        dirs = sorted({os.path.dirname(p) for p in paths} - seen)
        want += [d for d in dirs if os.path.isdir(d)]
        files = [p for p in sorted(paths) if os.path.isfile(p)]
        want += files
        want = want[:WATCH_LIMIT]
        current = set(self.watcher.files()) | set(self.watcher.directories())
        stale = sorted(current - set(want))
        if stale:
            self.watcher.removePaths(stale)
        fresh = [p for p in want if p not in current]
        if fresh:
            self.watcher.addPaths(fresh)

    def clear(self) -> None:
        """Forget a pending change and stop watching everything."""
        self.debounce.stop()
        paths_ = self.watcher.files() + self.watcher.directories()
        if paths_:
            self.watcher.removePaths(paths_)

    @Slot(str)
    def _on_fs_change(self, _path: str) -> None:
        self.debounce.start()

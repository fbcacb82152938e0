"""The file watcher's fallback and the scan, timed over a generated tree of tiny .txt files:
the stat-only periodic check (stat_snapshot over every file and folder), a full scan, a scan
cancelled from another thread (how long it takes to stop), and FolderWatcher.update on the UI thread.

    .venv/bin/python tests/bench/watch_check.py [--files 10000] [--per-folder 100] [--where /tmp/watchbench]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
import time
from pathlib import Path


def make_tree(where: Path, files: int, per_folder: int) -> list[str]:
    if where.exists():
        shutil.rmtree(where)
    paths = []
    for i in range(files):
        folder = where / f"f{i // per_folder:04d}"
        if i % per_folder == 0:
            folder.mkdir(parents=True)
        path = folder / f"n{i:05d}.txt"
        path.write_text(f"note {i}\n", encoding="ascii")
        paths.append(str(path))
    return paths


def best_of(n: int, fn) -> float:  # noqa: ANN001
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--per-folder", type=int, default=100)
    ap.add_argument("--where", type=Path, default=Path("/tmp/watchbench"))
    args = ap.parse_args()

    from docent.core.cancel import CancelToken
    from docent.core.ingest.scan import scan, snapshot_changes, stat_snapshot
    from docent.errors import Cancelled

    paths = make_tree(args.where, args.files, args.per_folder)
    folders = sorted({os.path.dirname(p) for p in paths})
    print(f"tree: {len(paths):,} files in {len(folders):,} folders under {args.where}")

    files_only = best_of(5, lambda: stat_snapshot(paths, []))
    both = best_of(5, lambda: stat_snapshot(paths, folders))
    a, b = stat_snapshot(paths, folders), stat_snapshot(paths, folders)
    compare = best_of(5, lambda: snapshot_changes(a, b))
    print(f"periodic check, stat of {len(paths):,} files: {files_only * 1000:.1f} ms; "
          f"+ listing {len(folders):,} folders: {both * 1000:.1f} ms; comparing two snapshots: {compare * 1000:.1f} ms")

    full = best_of(3, lambda: scan([args.where]))
    print(f"full scan of the tree: {full * 1000:.1f} ms")

    stops = []
    for _ in range(5):
        token = CancelToken()
        timer = threading.Timer(full / 3, token.cancel)
        timer.start()
        t = time.perf_counter()
        try:
            scan([args.where], cancel=token)
        except Cancelled:
            pass
        end = time.perf_counter()
        timer.join()
        stops.append(end - t - full / 3)
    print(f"scan cancelled a third of the way: stopped {max(stops) * 1000:.2f} ms (worst of 5) after the cancel")

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication

    from docent.ui.controllers.watch import FolderWatcher, system_watch_limit
    from docent.ui.tasks import Lane

    app = QCoreApplication.instance() or QCoreApplication(sys.argv)
    lane = Lane("bench")
    watcher = FolderWatcher(lane)
    known = {p: (os.stat(p).st_size, os.stat(p).st_mtime) for p in paths}
    t = time.perf_counter()
    watcher.update([str(args.where)], known)
    first = time.perf_counter() - t
    t = time.perf_counter()
    watcher.update([str(args.where)], known)
    again = time.perf_counter() - t
    print(f"FolderWatcher.update (cap {watcher.limit:,}, system limit {system_watch_limit()}): first {first * 1000:.0f} ms, "
          f"again {again * 1000:.0f} ms; watching {len(watcher.watcher.files()):,} files and "
          f"{len(watcher.watcher.directories()):,} folders, checking {len(watcher.unwatched_files):,} files")
    watcher.clear()
    lane.shutdown()
    del app
    shutil.rmtree(args.where)


if __name__ == "__main__":
    main()

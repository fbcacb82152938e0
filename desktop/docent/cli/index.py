"""`docent index [PATH...]`: bring the index up to date with files and folders, or, with no PATH,
with every folder the library follows (the window's folders.json), unfollowed documents forgotten."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Iterator

from docent import paths
from docent.cli.common import Progress, emit, open_library


def cmd_index(args: argparse.Namespace) -> int:
    from docent.core.cancel import CancelToken
    from docent.core.ingest.folders import FolderList
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

    folders: FolderList | None = None
    if args.paths:
        missing = [str(p) for p in args.paths if not Path(p).expanduser().exists()]
        for m in missing:
            sys.stderr.write(f"docent: not found: {m}\n")
        roots = [Path(p).expanduser() for p in args.paths if Path(p).expanduser().exists()]
        if not roots:
            sys.stderr.write("docent: nothing to index: no file or folder given exists\n")
            return 2
    else:  # every folder the library follows, as the window syncs them
        folders = FolderList.load(paths.data_dir(args.data_dir))
        if not folders.roots:
            sys.stderr.write("docent: nothing to index: this library follows no folders "
                             "(give a PATH, or add a folder in the window)\n")
            return 2
        missing, roots = [], folders.sync_roots()
    cancel = CancelToken()
    progress = Progress(quiet=args.json)
    problems: list[tuple[str, str, str]] = []
    summary: SyncDone | None = None
    pruned = 0  # documents forgotten because no followed folder holds them any more
    with open_library(args, encrypt=args.encrypt) as lib:
        if args.rebuild:
            lib.rebuild()
        progress.line("Loading the embedding model…", force=True)
        try:
            for ev in _events(lib, folders, roots, cancel, args.force):
                if isinstance(ev, Planned):
                    pruned = ev.pruned
                elif isinstance(ev, ScanDone):
                    progress.line(
                        f"{ev.total_files} file{'s' if ev.total_files != 1 else ''}: {ev.to_index} to index, "
                        f"{ev.unchanged} unchanged", force=True
                    )
                    if ev.outdated:
                        from docent.core.ingest.indexer import outdated_note

                        progress.line(outdated_note(ev.outdated), force=True)
                elif isinstance(ev, FileStarted):
                    progress.line(f"[{ev.index}/{ev.total}] {Path(ev.path).name}")
                elif isinstance(ev, FileProgress) and not ev.chunks_done:  # read, now being chunked
                    pages = f" ({ev.pages_total} pages)" if ev.pages_total else ""
                    progress.line(f"  {Path(ev.path).name}: read{pages}, embedding…")
                elif isinstance(ev, FileProgress):
                    pages = f"page {ev.pages_done}/{ev.pages_total}, " if ev.pages_total else ""
                    progress.line(f"  {Path(ev.path).name}: {pages}{ev.chunks_done} chunks")
                elif isinstance(ev, FileOcrProgress):
                    progress.line(f"  {Path(ev.path).name}: reading scanned page {ev.pages_done}/{ev.pages_total} (OCR)")
                elif isinstance(ev, FileDone):
                    if ev.status != "indexed":
                        problems.append((ev.path, ev.status, ev.reason))
                elif isinstance(ev, FileLeftOut):  # not a document at all: reported, never catalogued
                    problems.append((ev.path, "skipped", ev.reason))
                elif isinstance(ev, SyncDone):
                    summary = ev
        except KeyboardInterrupt:
            cancel.cancel()
            progress.done()
            sys.stderr.write("docent: indexing interrupted; finished documents are kept, run again to resume\n")
            return 130
        progress.done()
        moved = lib.vectors_moved
        where = lib.settings.chroma_server
        # files under these paths left out by an earlier run, unchanged since: still not searchable
        from docent.core.ingest.folders import is_under

        reported = {p for p, _, _ in problems}
        under = [str(r.resolve()) for r in roots]
        earlier = [d for d in lib.documents() if d.status in ("failed", "skipped") and d.path not in reported
                   and any(is_under(d.path, u) for u in under)]
    assert summary is not None
    # the indexer's own count, plus the unfollowed documents forgotten first (with nothing left to
    # follow, the sync's SyncDone already counts them)
    removed = summary.removed + (pruned if roots else 0)
    rc = 1 if missing else 0
    if args.json:
        emit({
            "indexed": summary.indexed, "skipped": summary.skipped, "failed": summary.failed,
            "unchanged": summary.unchanged, "removed": removed, "renamed": summary.renamed,
            "pages": summary.pages, "chunks": summary.chunks, "seconds": round(summary.seconds, 3),
            "problems": [{"path": p, "status": s, "reason": r} for p, s, r in problems],
            "missing": missing, "vectors_moved": moved,
            # unchanged files that an earlier run could not index (same fields as "problems")
            "earlier_problems": [{"path": d.path, "status": d.status, "reason": d.reason} for d in earlier],
        })
        return rc
    if moved:
        print(f"Moved {moved} vectors to {f'the Chroma server at {where}' if where else 'this computer'} "
              "(the Chroma server setting changed); nothing was embedded again.")
    for path, status, reason in problems:
        sys.stderr.write(f"  {status}: {path}: {reason}\n")
    rate = f", {summary.pages / summary.seconds:.1f} pages/s" if summary.pages and summary.seconds > 0 else ""
    print(
        f"Indexed {summary.indexed} file{'s' if summary.indexed != 1 else ''} ({summary.pages} pages, {summary.chunks} chunks) in {summary.seconds:.1f} s{rate}; "
        f"{summary.skipped} skipped, {summary.failed} failed, {summary.unchanged} unchanged, "
        f"{removed} removed, {summary.renamed} moved."
    )
    if earlier:
        print(f"{len(earlier)} unchanged file{'s' if len(earlier) != 1 else ''} could not be indexed in an earlier run "
              f"(still not searchable): " + ", ".join(Path(d.path).name for d in earlier[:5])
              + (" …" if len(earlier) > 5 else "") + ". `docent status` says why.")
    return rc


def _events(lib: Any, folders: Any, roots: list[Path], cancel: Any, force: bool) -> Iterator[Any]:
    """The paths given (`folders` None), else the library's followed folders through the core's sync."""
    if folders is None:
        return iter(lib.index(roots, cancel, force=force))
    from docent.core.ingest.followed import sync_followed

    return sync_followed(lib, folders, cancel, force=force)

"""A sync of the folders a library follows (its FolderList, `<data dir>/folders.json`), the same for
the window and for `docent index` with no PATH: forget the documents no followed folder holds any
more, say what will be read, then index the followed folders.

The library is taken as a small protocol (the Library facade is a floor above ingest).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator, Protocol, Sequence

from docent.core.cancel import NEVER, CancelToken
from docent.core.ingest.folders import FolderList, is_under
from docent.core.ingest.scan import scan, stat_changed
from docent.core.types import DocumentRecord, FollowEvent, IndexEvent, Planned, SyncDone
from docent.errors import Cancelled


class FollowingLibrary(Protocol):
    """What a sync of the followed folders needs of a library (docent.core.library.Library has it)."""

    def documents(self) -> Sequence[DocumentRecord]: ...

    def remove(self, path: Path) -> int: ...

    def index(self, roots: Sequence[Path], cancel: CancelToken, force: bool = False) -> Iterator[IndexEvent]: ...


def sync_followed(
    lib: FollowingLibrary, folders: FolderList, cancel: CancelToken = NEVER, force: bool = False
) -> Iterator[FollowEvent]:
    """Bring the index up to date with the followed folders. Yields Planned first (the files that
    will be read, by the indexer's own 'changed?' rule, and how many documents were forgotten as no
    longer followed), then the indexer's events, ending with SyncDone (unless cancelled between the
    plan and the indexing). A scan cancelled before the plan ends the sync with SyncDone(cancelled=True)
    and nothing else: no file is read and no document removed but those no longer followed."""
    started = time.monotonic()
    roots = folders.sync_roots()
    covered = [str(r) for r in roots]
    pruned = 0
    for doc in lib.documents():
        if doc.parent is None and not any(is_under(doc.path, c) for c in covered):  # attachments: with their message
            pruned += lib.remove(Path(doc.path))
    try:
        entries, _ = scan(roots, cancel=cancel)
    except Cancelled:  # cut short: no plan, nothing read; only what is no longer followed has gone
        yield SyncDone(0, 0, 0, 0, pruned, 0, 0, 0, time.monotonic() - started, cancelled=True)
        return
    known = {d.path: d for d in lib.documents()}
    queued = [e.path for e in entries if force or e.path not in known or stat_changed(known[e.path], e)]
    yield Planned(queued, pruned)
    if cancel.cancelled:
        return
    if not roots:
        yield SyncDone(0, 0, 0, 0, pruned, 0, 0, 0, 0.0)
        return
    yield from lib.index(roots, cancel, force=force)

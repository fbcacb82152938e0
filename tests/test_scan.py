"""The scan and the watcher's stat-only check: a cancelled scan stops within a folder and the sync
it serves removes nothing; no file is opened; a snapshot tells what changed by size, mtime and folder
listing."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

import docgen
from docent.core.cancel import NEVER, CancelToken
from docent.core.ingest.folders import FolderList
from docent.core.ingest.followed import sync_followed
from docent.core.ingest.scan import scan, snapshot_changes, stat_snapshot
from docent.core.library import Library
from docent.core.types import Planned, SyncDone
from docent.errors import Cancelled
from helpers import run_index


def _tree(root: Path, folders: int, per_folder: int) -> list[Path]:
    made = []
    for d in range(folders):
        folder = root / f"d{d:04d}"
        folder.mkdir(parents=True)
        for f in range(per_folder):
            path = folder / f"d{d}n{f}.txt"
            path.write_text(f"Folder {d}, note {f}: the tide tables for the northern harbour.\n", encoding="utf-8")
            made.append(path)
    return made


class CancelOnLeftOut(list):  # type: ignore[type-arg]
    """A left_out list that cancels its token when the scan files its first entry: the scan is
    cancelled at a known folder, from inside the walk, with no timing involved."""

    def __init__(self, token: CancelToken) -> None:
        super().__init__()
        self.token = token

    def append(self, item: Any) -> None:  # noqa: ANN401
        super().append(item)
        self.token.cancel()


class CancelOnAsk(CancelToken):
    """A real token that cancels itself the `after`-th time a scan looks at it (the folder it is
    about to walk)."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after
        self.asks = 0

    def raise_if_cancelled(self) -> None:
        self.asks += 1
        if self.asks >= self.after:
            self.cancel()
        super().raise_if_cancelled()


def test_a_cancelled_scan_stops_at_the_next_folder(tmp_path: Path) -> None:
    _tree(tmp_path / "docs", 40, 2)
    # a dangling link in two folders: the first one met cancels the scan, the second is never reached
    os.symlink(tmp_path / "nowhere.txt", tmp_path / "docs" / "d0005" / "gone.txt")
    os.symlink(tmp_path / "nowhere.txt", tmp_path / "docs" / "d0006" / "gone.txt")
    token = CancelToken()
    left_out = CancelOnLeftOut(token)
    with pytest.raises(Cancelled):
        scan([tmp_path / "docs"], left_out, cancel=token)
    assert [Path(p).parent.name for p, _ in left_out] == ["d0005"]

    # the same tree, not cancelled: both links are reported and every file is found
    every: list[tuple[str, str]] = []
    entries, covered = scan([tmp_path / "docs"], every, cancel=NEVER)
    assert len(entries) == 80 and covered == [str(tmp_path / "docs")]
    assert [Path(p).parent.name for p, _ in every] == ["d0005", "d0006"]


def test_a_scan_cancelled_before_it_starts_walks_nothing(tmp_path: Path) -> None:
    _tree(tmp_path / "docs", 3, 1)
    token = CancelToken()
    token.cancel()
    left_out: list[tuple[str, str]] = []
    with pytest.raises(Cancelled):
        scan([tmp_path / "docs"], left_out, cancel=token)


_OPENED: list[str] = []
_RECORDING: list[bool] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _RECORDING and event in ("open", "os.open") and args and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.fsdecode(args[0]))


def test_scan_and_the_stat_check_open_no_file(tmp_path: Path) -> None:
    files = _tree(tmp_path / "docs", 4, 3)
    (tmp_path / "docs" / "d0000" / "report.pdf").write_bytes(b"%PDF-1.4 not really")
    if not getattr(sys, "_docent_scan_audit", False):  # an audit hook cannot be removed: install it once
        sys.addaudithook(_audit)
        sys._docent_scan_audit = True  # type: ignore[attr-defined]
    _OPENED.clear()
    _RECORDING.append(True)
    try:
        entries, _ = scan([tmp_path / "docs"])
        stat_snapshot([str(p) for p in files], [str(p.parent) for p in files])
    finally:
        _RECORDING.clear()
    assert len(entries) == 13
    assert [p for p in _OPENED if p.startswith(str(tmp_path))] == []


def test_a_snapshot_sees_a_changed_a_new_and_a_deleted_file(tmp_path: Path) -> None:
    a, b, c = _tree(tmp_path / "docs", 1, 3)
    folder = str(a.parent)
    before = stat_snapshot([str(a), str(b), str(c)], [folder])
    assert snapshot_changes(before, stat_snapshot([str(a), str(b), str(c)], [folder])) == []

    docgen.set_mtime(a, a.stat().st_mtime + 30)  # same size, another mtime
    c.unlink()
    assert snapshot_changes(before, stat_snapshot([str(a), str(b), str(c)], [folder])) == [str(a), str(c), folder]

    (a.parent / ".hidden.txt").write_text("x", encoding="utf-8")  # what a scan leaves out is no change
    (a.parent / "picture.png").write_bytes(b"\x89PNG")
    after_c = stat_snapshot([str(a), str(b)], [folder])
    assert snapshot_changes(after_c, stat_snapshot([str(a), str(b)], [folder])) == []
    (a.parent / "new.md").write_text("# New\n", encoding="utf-8")
    assert snapshot_changes(after_c, stat_snapshot([str(a), str(b)], [folder])) == [folder]


def test_a_sync_whose_scan_is_cancelled_removes_nothing(tmp_path: Path, embedder: Any) -> None:
    docs = tmp_path / "docs"
    _tree(docs, 6, 1)
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        _, done = run_index(lib, [docs])
        assert done.indexed == 6
        token = CancelOnAsk(after=3)  # before the root, before its own folder, cancelled before d0000
        events, done = run_index(lib, [docs], cancel=token)
        assert token.asks == 3
        assert done.cancelled and (done.removed, done.indexed, done.unchanged) == (0, 0, 0)
        assert events == [done]
        assert len(lib.documents()) == 6 and all(d.status == "indexed" for d in lib.documents())

        folders = FolderList.load(tmp_path / "lib")
        folders.add(docs)
        events = list(sync_followed(lib, folders, CancelOnAsk(after=3)))
        assert len(events) == 1 and isinstance(events[0], SyncDone) and events[0].cancelled
        assert not any(isinstance(e, Planned) for e in events)
        assert len(lib.documents()) == 6


@pytest.mark.parametrize("name", ["a.txt", "A.PDF", "x.tar.gz", "notes.", ".txt", "..txt", "a..md", "noext",
                                  "dir.d/plain", "dir.txt/x", "bad\udcff.txt", "ok.docx"])
def test_the_scan_s_suffix_rule_is_is_supported_s(name: str) -> None:
    from docent.core.ingest.extract import is_supported, is_supported_path

    path = f"/some/where/{name}"
    assert is_supported_path(path) == is_supported(Path(path))
    assert is_supported_path(name) == is_supported(Path(name))

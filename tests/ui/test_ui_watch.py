"""Watched folders past the watch limit: what does not fit under the cap is checked periodically
(stat only, on a lane) and reported through the same `changed` signal, and the window says so once."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Iterator

import pytest

from docent.ui.controllers.watch import FolderWatcher
from docent.ui.tasks import Lane


@pytest.fixture
def lane(qtbot: Any) -> Iterator[Lane]:
    lane = Lane("watch-test")
    yield lane
    lane.shutdown()
    assert not lane.running


def _files(folder: Path, n: int) -> dict[str, tuple[int, float]]:
    folder.mkdir(parents=True, exist_ok=True)
    known = {}
    for i in range(n):
        path = folder / f"note{i:02d}.txt"
        path.write_text(f"Note {i}: the ferry leaves at {i} o'clock.\n", encoding="utf-8")
        st = path.stat()
        known[str(path)] = (st.st_size, st.st_mtime)
    return known


def test_a_file_beyond_the_cap_is_checked_and_the_fallback_is_said(qtbot: Any, lane: Lane, tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    docs = tmp_path / "docs"
    known = _files(docs, 8)
    w = FolderWatcher(lane, limit=3, check_ms=100, debounce_ms=50)
    with qtbot.waitSignal(w.note, timeout=1000) as note:
        w.update([str(docs)], known)
    assert note.args == ["Watching 2 of 8 files for changes; the others are checked every 0.1 seconds "
                         "(Docent watches at most 3 files and folders)."]
    assert w.watcher.directories() == [str(docs)] and len(w.watcher.files()) == 2
    assert len(w.unwatched_files) == 6 and w.check_timer.isActive()

    # unchanged files, as catalogued: checks run, nothing is reported; a second update says nothing again
    with qtbot.assertNotEmitted(w.note):
        w.update([str(docs)], known)
    with qtbot.assertNotEmitted(w.changed, wait=400):
        pass

    last = Path(w.unwatched_files[-1])
    assert str(last) not in w.watcher.files()
    caplog.set_level(logging.INFO, logger="docent.ui.controllers.watch")
    with qtbot.waitSignal(w.changed, timeout=5000):
        with last.open("a", encoding="utf-8") as fh:  # in place: a folder's watch does not see it
            fh.write("Revised: it leaves at noon.\n")
    assert any("periodic check found 1 change" in r.getMessage() and str(last) in r.getMessage()
               for r in caplog.records)
    with qtbot.assertNotEmitted(w.changed, wait=400):  # one change is said once
        pass
    w.clear()
    assert not w.check_timer.isActive() and not w.watcher.files() and not w.watcher.directories()


def test_a_new_file_in_a_folder_beyond_the_cap_is_seen(qtbot: Any, lane: Lane, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    known = {**_files(docs / "a", 2), **_files(docs / "b" / "deep", 2)}
    w = FolderWatcher(lane, limit=2, check_ms=100, debounce_ms=50)
    with qtbot.waitSignal(w.note, timeout=1000) as note:
        w.update([str(docs)], known)
    # the root and docs/a are watched; docs/b and docs/b/deep and the four files are checked
    assert w.watcher.directories() == [str(docs), str(docs / "a")] and w.watcher.files() == []
    assert w.unwatched_folders == [str(docs / "b"), str(docs / "b" / "deep")]
    assert "0 of 4 files and 2 of 4 folders" in note.args[0]
    with qtbot.assertNotEmitted(w.changed, wait=300):  # the folders hold what the catalog says
        pass
    with qtbot.waitSignal(w.changed, timeout=5000):
        (docs / "b" / "deep" / "added.md").write_text("# Added\n", encoding="utf-8")
    w.clear()


def test_the_window_says_it_and_reindexes_a_file_beyond_the_cap(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    w = make_window()
    watch = w.library._watch
    watch.limit = 2
    watch.check_timer.setInterval(100)
    docs = tmp_path / "docs"
    _files(docs, 4)
    with qtbot.waitSignal(watch.note, timeout=60_000):
        w.add_paths([str(docs)])
    qtbot.waitUntil(lambda: w.banner.isVisible() and "Watching 1 of 4 files" in w.banner.text.text(), timeout=5000)
    assert w.banner.property("kind") == "info"
    qtbot.waitUntil(lambda: not w.library.indexing, timeout=60_000)

    last = Path(watch.unwatched_files[-1])
    before = w.library.rows[str(last)].mtime
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000) as done:
        with last.open("a", encoding="utf-8") as fh:
            fh.write("Revised: the ferry now leaves at noon.\n")
        os.utime(last, (before + 5, before + 5))
    assert done.args[0].indexed == 1 and done.args[0].unchanged == 3
    qtbot.waitUntil(lambda: w.library.rows[str(last)].mtime == before + 5, timeout=10_000)


def test_the_window_says_when_documents_are_read_again_after_an_upgrade(make_window: Any, qtbot: Any,
                                                                          tmp_path: Path) -> None:
    """A library indexed by an older Docent (another chunker): the next sync re-reads its documents
    though none changed on disk, and the window says so once, as information, with the count."""
    import sqlite3

    w = make_window()
    docs = tmp_path / "docs"
    _files(docs, 3)
    w.add_paths([str(docs)])
    qtbot.waitUntil(lambda: not w.library.indexing and len(w.library.rows) == 3, timeout=60_000)
    db = sqlite3.connect(w.library.lib.catalog.path)
    with db:
        db.execute("UPDATE documents SET chunker='c3:200:32:24'")
    db.close()
    notes: list[str] = []
    w.library.notice.connect(notes.append)
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000) as done:
        w.library.sync()
    assert done.args[0].indexed == 3
    assert [n for n in notes if "read again" in n] == [
        "3 documents are read again: they were indexed by an earlier version of Docent or with another "
        "embedding model. Everything stays searchable meanwhile."]
    qtbot.waitUntil(lambda: "read again" in w.banner.text.text(), timeout=5000)


REFUSED_SCRIPT = r"""
import os, sys, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from docent.ui.refcounts import keep_singletons_alive
from docent.ui.controllers.watch import FolderWatcher
from docent.ui.tasks import Lane
keep_singletons_alive()
app = QCoreApplication([])
docs = Path(sys.argv[1])
known = {}
for i in range(30):
    p = docs / f"note{i:02d}.txt"
    p.write_text(f"Note {i}.\n")
    st = p.stat()
    known[str(p)] = (st.st_size, st.st_mtime)
lane = Lane("watch")
w = FolderWatcher(lane, limit=4000, check_ms=100, debounce_ms=50)
notes, changes = [], []
w.note.connect(notes.append)
w.changed.connect(lambda: changes.append(1))
w.update([str(docs)], known)
print("refused", w.refused, "limit", w.limit, "watched", len(w.watcher.files()) + len(w.watcher.directories()))
print("note", notes[0] if notes else "")
w.update([str(docs)], known)  # asks nothing again
print("refused-again", w.refused)
target = Path(w.unwatched_files[-1])
with target.open("a") as fh:
    fh.write("Revised.\n")
deadline = time.monotonic() + 10
while not changes and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.02)
print("changed", len(changes))
w.clear()
lane.shutdown()
"""


def test_past_the_system_s_own_watch_limit_the_rest_is_checked_and_said(tmp_path: Path) -> None:
    """The real system limit: in a user namespace of its own whose inotify limit is 10 watches
    (/proc/sys/user/max_inotify_watches, per namespace), the watcher is refused past 10, says so
    once, keeps to what it got, and still sees an in-place edit of a file it could not watch."""
    import shutil
    import subprocess
    import sys

    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "--user", "--map-root-user", "sh", "-c", "echo 10 > /proc/sys/user/max_inotify_watches"],
            capture_output=True).returncode != 0:
        pytest.skip("no user namespace with its own inotify limit here (unshare --user)")
    docs = tmp_path / "docs"
    docs.mkdir()
    script = tmp_path / "refused.py"
    script.write_text(REFUSED_SCRIPT, encoding="utf-8")
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(repo / "desktop"))
    proc = subprocess.run(["unshare", "--user", "--map-root-user", "sh", "-c",
                           'echo 10 > /proc/sys/user/max_inotify_watches && exec "$@"', "sh",
                           sys.executable, str(script), str(docs)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    refused, _, limit, _, watched = out["refused"].split()
    assert int(refused) > 0 and int(watched) <= 10 and int(limit) == int(watched)
    assert "the system's limit on watched files is reached" in out["note"]
    assert "max_user_watches" in out["note"]
    assert out["refused-again"] == "0"
    assert out["changed"] == "1"

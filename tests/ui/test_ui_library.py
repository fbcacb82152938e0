"""The library pane on a real library: statuses with reasons, the filter (Ctrl+F), drag and drop,
removing a followed folder or excluding one file, and watched folders re-indexing on change."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox
from ui_helpers import make_docs

from docent.ui.models.documents import PATH_ROLE


def _visible_names(pane: Any) -> list[str]:
    out: list[str] = []
    proxy = pane.proxy

    def walk(parent: Any) -> None:
        for r in range(proxy.rowCount(parent)):
            idx = proxy.index(r, 0, parent)
            out.append(Path(idx.data(PATH_ROLE)).name)
            walk(idx)

    from PySide6.QtCore import QModelIndex

    walk(QModelIndex())
    return out


def _drop(widget: Any, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)


def test_statuses_filter_drop_remove_and_watch(make_window: Any, qtbot: Any, tmp_path: Path, monkeypatch: Any) -> None:
    docs = make_docs(tmp_path / "docs")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF")
    (docs / "empty.txt").write_text("", encoding="utf-8")
    w = make_window()
    w.library._debounce.setInterval(200)  # watched changes are picked up quickly in the test
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000) as done:
        _drop(w.library_pane, [docs])  # drag and drop a folder onto the library
    assert (done.args[0].indexed, done.args[0].failed + done.args[0].skipped) == (2, 2)
    pane = w.library_pane
    qtbot.waitUntil(lambda: len(pane.model.rows) == 4 and "failed" in {r.status for r in pane.model.rows.values()})
    rows = {Path(p).name: r for p, r in pane.model.rows.items()}
    assert rows["broken.pdf"].status == "failed" and rows["broken.pdf"].reason
    assert rows["empty.txt"].status == "skipped"
    item = pane.model.index_of(str(docs / "broken.pdf"))
    status_tip = item.siblingAtColumn(1).data(Qt.ItemDataRole.ToolTipRole)
    assert rows["broken.pdf"].reason[:20] in status_tip  # the reason is in the tooltip
    folder_item = pane.model.index_of(str(docs))
    assert folder_item.siblingAtColumn(1).data() == "2 indexed, 1 failed, 1 skipped"
    assert "not indexed" in pane.summary.text()

    # Ctrl+F focuses the filter; the filter keeps matching documents and their folder.
    qtbot.keyClick(w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert w.library_pane.filter.hasFocus()
    qtbot.keyClicks(pane.filter, "orion")
    assert _visible_names(pane) == ["docs", "Orion_Handbook.pdf"]
    pane.filter.clear()
    assert len(_visible_names(pane)) == 5

    # Excluding one file removes it and keeps it out of later syncs.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(w.library.rowsReset, timeout=20_000,
                          check_params_cb=lambda rows: all(not r.path.endswith("facilities.md") for r in rows)):
        w.remove_path(str(docs / "facilities.md"))
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000):
        w.library.sync()
    assert str(docs / "facilities.md") not in pane.model.rows

    # A new file in a watched folder is indexed without asking.
    qtbot.waitUntil(lambda: str(docs) in w.library._watcher.directories())
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000) as done:
        shutil.copy(docs / "Orion_Handbook.pdf", docs / "Orion_Handbook_copy.pdf")
    qtbot.waitUntil(lambda: str(docs / "Orion_Handbook_copy.pdf") in pane.model.rows)
    copy = pane.model.rows[str(docs / "Orion_Handbook_copy.pdf")]
    assert copy.status == "skipped" and "duplicate of" in copy.reason

    # Removing the followed folder empties the library.
    with qtbot.waitSignal(w.library.rowsReset, timeout=20_000, check_params_cb=lambda rows: not rows):
        w.remove_path(str(docs))
    assert w.library.roots == []
    qtbot.waitUntil(lambda: pane.stack.currentWidget() is pane.empty)
    assert w.chat_pane.welcome_add.isVisibleTo(w)


def test_add_rejects_what_cannot_be_indexed(make_window: Any, tmp_path: Path) -> None:
    w = make_window()
    (tmp_path / "picture.png").write_bytes(b"\x89PNG")
    w.add_paths([str(tmp_path / "picture.png"), str(tmp_path / "missing")])
    assert w.banner.isVisibleTo(w)
    assert "not a supported document" in w.banner.text.text() and "not found" in w.banner.text.text()
    assert w.library.roots == []


def test_context_menu_scope_limits_questions(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    docs = make_docs(tmp_path / "docs")
    w = make_window()
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000):
        w.add_paths([str(docs)])
    w.library_pane.scopeRequested.emit([str(docs / "facilities.md")])
    assert w.chats.scope == [str(docs / "facilities.md")]
    assert w.chat_pane.scope_chip.isVisibleTo(w) and "facilities.md" in w.chat_pane.scope_label.text()
    # the alarm code is in the PDF, outside the scope: no relevant passage, so no model run
    with qtbot.waitSignal(w.chats.turnFinished, timeout=30_000):
        w.ask("How often is the alarm code of the Lisbon warehouse changed?")
    turn = w.chats.chat.turns[0]
    assert not turn.answered and turn.scope == [str(docs / "facilities.md")]
    assert all(p.path.endswith("facilities.md") for p in turn.sources)
    w.chat_pane.scopeCleared.emit()
    assert w.chats.scope == [] and not w.chat_pane.scope_chip.isVisibleTo(w)


def test_switch_between_named_libraries(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    from ui_helpers import make_many

    w = make_window()
    first = w.library.data_dir
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000):
        w.add_paths([str(make_many(tmp_path / "notes", 2))])
    entry = w.registry.add("Research")
    with qtbot.waitSignal(w.library.opened, timeout=20_000):
        w.switch_library(entry.path)
    assert w.windowTitle() == "Docent — Research"
    assert w.library.roots == [] and w.library_pane.stack.currentWidget() is w.library_pane.empty
    assert Path(entry.path).parent.name == "libraries"
    w._fill_libraries_menu()
    names = [a.text() for a in w.libraries_menu.actions()]
    assert "Research" in names and len(names) == 3  # the default, the test's folder, Research
    with qtbot.waitSignal(w.library.opened, timeout=20_000):
        w.switch_library(str(first))
    qtbot.waitUntil(lambda: len(w.library_pane.model.rows) == 2)
    assert w.registry.current == str(first)


def test_remove_a_library_deletes_its_data_and_reopens_another(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    from ui_helpers import make_many

    w = make_window()
    first = w.library.data_dir
    entry = w.registry.add("Scratch")
    with qtbot.waitSignal(w.library.opened, timeout=20_000):
        w.switch_library(entry.path)
    notes = make_many(tmp_path / "scratch-notes", 2)
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000):
        w.add_paths([str(notes)])
    assert (Path(entry.path) / "catalog.sqlite3").exists()
    w.registry.current = str(first)  # where the window goes once the current library is gone
    with qtbot.waitSignal(w.library.opened, timeout=30_000):
        w.remove_library(confirm=False)
    assert not Path(entry.path).exists()
    assert all(e.path != entry.path for e in w.registry.entries)
    assert str(w.library.data_dir) == str(first)
    assert "Removed the library “Scratch”" in w.statusBar().currentMessage()
    assert all(p.exists() for p in notes.iterdir())  # the documents themselves are untouched


def test_what_is_not_a_document_is_mentioned_when_indexing_ends(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    from ui_helpers import make_many

    w = make_window()
    notes = make_many(tmp_path / "notes", 2)
    (notes / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")  # a link to nothing
    messages: list[str] = []
    w.library.message.connect(messages.append)
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000):
        w.add_paths([str(notes)])
    qtbot.waitUntil(lambda: any("not a document" in m for m in messages), timeout=5_000)
    said = next(m for m in messages if "not a document" in m)
    assert "gone.pdf" in said and "does not exist" in said
    assert len(w.library_pane.model.rows) == 2  # the link is not listed as a document


def test_file_names_get_the_width_the_status_column_can_spare(make_window: Any, qtbot: Any) -> None:
    """On a laptop-sized window the name column is not squeezed by a wide status column."""
    w = make_window()
    w.resize(1280, 800)
    pane = w.library_pane
    pane.stack.setCurrentWidget(pane.tree)
    header = pane.tree.header()
    qtbot.waitUntil(lambda: pane.tree.viewport().width() > 0)
    assert header.sectionSize(1) <= 130
    qtbot.waitUntil(lambda: header.sectionSize(0) >= 200 or header.sectionSize(1) == 72)
    # narrowing the pane gives way to names; widening it gives the status its room back
    w.resize(900, 700)
    qtbot.waitUntil(lambda: header.sectionSize(0) >= header.sectionSize(1))
    w.resize(1600, 900)
    qtbot.waitUntil(lambda: header.sectionSize(1) == 130 or pane.tree.viewport().width() < 420)

"""The window's smaller promises: Re-index everything asks first and, while it runs, documents keep
their real state (indexed, still searchable) and the chat its real count; a whole-document answer says
which part it reads; a warning quotes text as written (no "Apple&#x27;s"); "Log" shows the log's end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox
from ui_helpers import SlowEmbedder, make_many

from docent.core.storage.chats import Passage, Turn
from docent.core.types import WholeDocProgress
from docent.ui.controllers.chat import whole_progress_text


def test_reindex_asks_first_and_documents_stay_indexed_while_it_runs(make_window: Any, qtbot: Any, tmp_path: Path,
                                                                    embedder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from docent.core.library import Library

    slow = SlowEmbedder(embedder, 0.4)
    w = make_window(factory=lambda d: Library(d, embedder=slow))
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000):
        w.add_paths([str(make_many(tmp_path / "notes", 3))])
    assert "your 3 documents" in w.chat_pane.welcome_title.text()
    asked: list[str] = []

    def answer(reply: QMessageBox.StandardButton) -> Any:
        def question(_parent: Any, _title: str, text: str, *_a: Any) -> QMessageBox.StandardButton:
            asked.append(text)
            return reply
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    reindex = next(a for m in w.menuBar().actions() for a in m.menu().actions() if a.text().startswith("&Re-index"))
    reindex.trigger()
    assert asked and "all 3 indexed documents" in asked[0]
    assert not w.library.indexing, "it started without asking"

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000):
        reindex.trigger()
        qtbot.waitUntil(lambda: any(r.status == "indexing" for r in w.library.rows.values()), timeout=20_000)
        states = {r.status for r in w.library.rows.values()}
        assert "queued" not in states and "indexed" in states, states  # the others are still searchable
        assert "your 3 documents" in w.chat_pane.welcome_title.text(), w.chat_pane.welcome_title.text()
    assert {r.status for r in w.library.rows.values()} == {"indexed"}


def test_whole_document_progress_names_the_part_being_read() -> None:
    assert whole_progress_text(WholeDocProgress(0, 8, "map")) == "Reading part 1 of 7…"
    assert whole_progress_text(WholeDocProgress(3, 8, "map")) == "Reading part 4 of 7…"
    assert whole_progress_text(WholeDocProgress(7, 8, "map")) == "Writing the answer from the notes on 7 parts…"
    assert whole_progress_text(WholeDocProgress(8, 8, "reduce")) == ""


def test_whole_document_progress_reaches_the_turn(make_window: Any, qtbot: Any) -> None:
    from ui_helpers import ScriptedLibrary

    w = make_window(factory=lambda d: ScriptedLibrary(d, tokens=1))
    turn = Turn("Summarize the report")
    w.chats.chat.turns.append(turn)
    w.chat_pane.turn_started(0, turn, waiting_for_index=False)
    w.chats._turn = 0
    w.chat_pane.turn_sources(0, [Passage(1, "/nowhere/report.pdf", 1, "p. 1", "Text.")])
    w.chats._on_event(WholeDocProgress(2, 8, "map"))
    assert w.chat_pane.turns[0].status.text() == "Reading part 3 of 7…"


def test_a_warning_quotes_text_as_written(make_window: Any, qtbot: Any) -> None:
    from ui_helpers import ScriptedLibrary

    w = make_window(factory=lambda d: ScriptedLibrary(d, tokens=1))
    source = Passage(1, "/nowhere/apple.pdf", 1, "p. 1", "Apple reported revenue.")
    turn = Turn("What did Apple say?", answer="Apple's revenue grew 9% [1].", answered=True,
                sources=[source], citations=[source], unsupported=["Apple's revenue grew 9% <fast>."])
    w.chat_pane.turn_started(0, turn, waiting_for_index=False)
    w.chat_pane.turn_finished(0, turn, "What did Apple say?")
    label = w.chat_pane.turns[0].unsupported
    assert "“Apple's revenue grew 9% <fast>.”" in label.text() and "&#x27;" not in label.text()
    assert label.textFormat().name == "PlainText"
    w.show_error("Could not read Apple's <annual> report.pdf")
    assert w.banner.text.textFormat().name == "PlainText" and "Apple's <annual>" in w.banner.text.text()


def test_the_log_link_shows_the_end_of_the_log(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QToolButton

    w = make_window()
    w.log_file.write_text("".join(f"line {i} of an old log\n" for i in range(5000)) + "the last line\n", encoding="utf-8")
    link = next(b for b in w.statusBar().findChildren(QToolButton) if b.text() == "Log")
    link.click()
    from docent.ui.widgets.log_view import LogDialog

    dialog = w.findChild(LogDialog)
    assert dialog is not None and dialog.isVisible()
    text = dialog.text.toPlainText()
    assert text.rstrip().endswith("the last line") and "line 4999" in text and "line 0 of" not in text
    assert dialog.open_file.isEnabled()
    dialog.close()

"""The main path on the real window with the real components: add a folder, index it in the
background, ask, watch the answer stream, click a citation and land on the cited page with the
passage highlighted; the chat survives a restart and exports to Markdown; stopping works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ui_helpers import make_docs
from PySide6.QtCore import Qt

from docent.core.storage.chats import Passage




def test_first_run_shows_what_to_do(make_window: Any) -> None:
    w = make_window()
    pane = w.chat_pane
    assert pane.stack.currentWidget() is pane.welcome
    assert "Ask questions about your documents" in pane.welcome_title.text()
    assert pane.welcome_add.isVisibleTo(w) and pane.welcome_samples.isVisibleTo(w)
    lib = w.library_pane
    assert lib.stack.currentWidget() is lib.empty
    assert not pane.ask_button.isEnabled()  # nothing typed yet
    assert w.model_label.text() == "Model: SmolLM2 135M Instruct"  # the test settings' model
    assert not w.library_pane.progress.isVisibleTo(w)
    # with an office model server configured, the status bar says where answers come from (no
    # connection is made for that: the server is named from the setting)
    from dataclasses import replace

    assert w.library.apply_settings(replace(w.library.settings, llm_server="http://10.0.0.6:8080")) == []
    assert w.model_label.text() == "Model: on the server 10.0.0.6:8080"
    assert "SmolLM2 135M Instruct on this computer measures the prompts" in w.model_label.toolTip()
    assert w.library.apply_settings(replace(w.library.settings, llm_server="")) == []
    assert w.model_label.text() == "Model: SmolLM2 135M Instruct"


@pytest.mark.slow
def test_add_index_ask_open_citation_and_restart(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    docs = make_docs(tmp_path / "docs")
    w = make_window()
    progress: list[Any] = []
    w.library.progress.connect(progress.append)
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000) as done:
        w.add_paths([str(docs)])
        assert w.library_pane.progress.isVisibleTo(w)  # shown at once, while the embedder loads
    summary = done.args[0]
    assert (summary.indexed, summary.failed, summary.cancelled) == (2, 0, False)
    assert any(p.current.endswith("Orion_Handbook.pdf") for p in progress)
    assert progress[-1].files_total == 2 and progress[-1].pages_done == 3
    assert not w.library_pane.progress.isVisibleTo(w)
    qtbot.waitUntil(lambda: w.library_pane.model.rows.get(str(docs / "Orion_Handbook.pdf")) is not None
                    and w.library_pane.model.rows[str(docs / "Orion_Handbook.pdf")].status == "indexed")
    pdf_row = w.library_pane.model.rows[str(docs / "Orion_Handbook.pdf")]
    assert (pdf_row.pages, pdf_row.chunks > 0) == (3, True)
    assert "2 documents indexed" in w.library_pane.summary.text()
    assert "Ask anything about your 2 documents" in w.chat_pane.welcome_title.text()
    # the examples come from the user's own files (both read the named documents whole)
    body = w.chat_pane.welcome_body.text()
    assert "Summarize " in body and "List the main points of " in body
    assert "Orion Handbook" in body  # Orion_Handbook.pdf, by the words of its name
    assert "notice period" not in body

    # Ask with Enter; the answer streams in batches, then becomes final with its citations.
    batches: list[str] = []
    w.chats.turnTokens.connect(lambda _i, text: batches.append(text))
    with qtbot.waitSignal(w.chats.turnFinished, timeout=120_000):
        qtbot.keyClicks(w.chat_pane.input, "How often is the alarm code of the Lisbon warehouse changed?")
        qtbot.keyClick(w.chat_pane.input, Qt.Key.Key_Return)
        assert w.chat_pane.ask_button.text() == "Stop"
    turn = w.chats.chat.turns[0]
    assert batches, "no token reached the window before the answer was final"
    assert turn.answered and not turn.error, turn
    assert turn.citations, turn
    cited = turn.citations[0]
    assert Path(cited.path).name == "Orion_Handbook.pdf" and cited.page == 3
    widget = w.chat_pane.turns[0]
    assert 'href="cite:1"' in widget.answer.text()  # [n] is a link, numbered like the cards (1..n)
    cards = widget.source_cards()
    assert cards and "Orion_Handbook.pdf — p. 3" in cards[0].title.text()
    assert "alarm code" in cards[0].quote.text()
    assert w.chat_pane.ask_button.text() == "Ask"

    # Clicking [n] opens the PDF in the window at the cited page, with the passage highlighted.
    widget.answer.linkActivated.emit("cite:1")
    viewer = w.viewer
    assert viewer is not None and viewer.isVisible()
    assert viewer.mode == "pdf"
    qtbot.waitUntil(lambda: viewer.current_page() == 3)
    assert "alarm code" in viewer.highlight
    assert viewer.pdf.marks and "alarm code" in viewer.pdf.marks[0].text  # its character boxes
    # …and so does a click on the source card under the answer.
    viewer.go_to_page(1)
    assert viewer.current_page() == 1
    qtbot.mouseClick(cards[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: viewer.current_page() == 3)

    # A Markdown source opens as text, scrolled to the passage and highlighted.
    hit = w.library.lib.search("parking permits facilities team", top_k=1)[0]
    assert hit.path.endswith("facilities.md")
    with qtbot.waitSignal(viewer.passageShown, timeout=20_000):
        w.open_passage(Passage.from_hit(1, hit))
    assert viewer.mode == "text"
    assert "parking permits" in viewer.highlight and viewer.highlight.strip() == hit.text.strip()
    assert viewer.text.extraSelections()

    # Export to Markdown with the sources.
    exported = tmp_path / "chat.md"
    w.chats.export_markdown(exported)
    md = exported.read_text(encoding="utf-8")
    assert "## How often is the alarm code" in md
    assert "Orion_Handbook.pdf**, p. 3" in md and "> " in md

    # The chat is still there after a restart.
    data_dir = w.library.data_dir
    chat_id = w.chats.chat.id
    w.close()
    again = make_window(data_dir)
    assert again.chats.chat.id == chat_id
    assert len(again.chat_pane.turns) == 1
    restored = again.chat_pane.turns[0]
    assert restored.source_cards() and restored.turn.citations[0].page == 3
    assert again.chat_list.list.count() == 1


@pytest.mark.slow
def test_stop_generation_with_escape(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    from dataclasses import replace

    from ui_helpers import TEST_SETTINGS

    docs = make_docs(tmp_path / "docs")
    w = make_window(settings=replace(TEST_SETTINGS, sources=1))  # a short prompt: the model starts sooner
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000):
        w.add_paths([str(docs)])
    stopped: list[bool] = []

    def on_sources(_i: int, _hits: object) -> None:  # the model is about to write: stop it
        qtbot.keyClick(w, Qt.Key.Key_Escape)
        stopped.append(True)

    w.chats.turnSources.connect(on_sources)
    with qtbot.waitSignal(w.chats.turnFinished, timeout=120_000):
        w.ask("Who issues the staff parking permits?")
    turn = w.chats.chat.turns[-1]
    assert stopped and turn.cancelled
    assert not w.chats.busy and w.chat_pane.ask_button.text() == "Ask"
    assert "Stopped" in w.chat_pane.turns[-1].status.text()
    # the window is ready for the next question
    qtbot.keyClicks(w.chat_pane.input, "And the bicycles?")
    assert w.chat_pane.ask_button.isEnabled()

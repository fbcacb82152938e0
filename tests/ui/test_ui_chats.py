"""Chat actions on a scripted library (no model, deterministic): regenerate, new chat, the saved
chats list, reopening and deleting a chat, copying an answer with its sources, exporting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMessageBox
from ui_helpers import ScriptedLibrary


def test_regenerate_new_chat_history_copy_export(make_window: Any, qtbot: Any, tmp_path: Path,
                                                   monkeypatch: Any) -> None:
    libs: list[ScriptedLibrary] = []

    def factory(d: Path) -> ScriptedLibrary:
        libs.append(ScriptedLibrary(d, tokens=6))
        return libs[-1]

    w = make_window(factory=factory)
    with qtbot.waitSignal(w.chats.turnFinished, timeout=10_000):
        w.ask("What does the guide say?")
    widget = w.chat_pane.turns[0]
    assert widget.source_cards()[0].title.text() == "[1]  Guide.pdf — p. 2"
    assert widget.regenerate.isVisibleTo(w)
    widget.copy_answer()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("w w") and "Sources:\n[1] /nowhere/Guide.pdf, p. 2" in copied

    with qtbot.waitSignal(w.chats.turnFinished, timeout=10_000):
        qtbot.mouseClick(widget.regenerate, Qt.MouseButton.LeftButton)
    assert libs[0].questions == ["What does the guide say?"] * 2
    assert len(w.chats.chat.turns) == 1 and len(w.chat_pane.turns) == 1
    with qtbot.waitSignal(w.chats.turnFinished, timeout=10_000):
        w.ask("And what else?")
    assert not w.chat_pane.turns[0].regenerate.isVisibleTo(w)  # only the last answer regenerates
    assert w.chat_pane.title.text() == "What does the guide say?"
    first_id = w.chats.chat.id
    assert w.chat_list.list.count() == 1

    qtbot.keyClick(w, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # new chat
    assert w.chat_pane.turns == [] and w.chat_pane.stack.currentWidget() is w.chat_pane.welcome
    with qtbot.waitSignal(w.chats.turnFinished, timeout=10_000):
        w.ask("A second chat")
    assert w.chat_list.list.count() == 2

    w.chat_list.chatRequested.emit(first_id)
    assert w.chats.chat.id == first_id and len(w.chat_pane.turns) == 2

    target = tmp_path / "export.md"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    w.export_chat()
    md = target.read_text(encoding="utf-8")
    assert md.startswith("# What does the guide say?") and "## And what else?" in md
    assert "1. **Guide.pdf**, p. 2 — `/nowhere/Guide.pdf`" in md

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    w.delete_chat(first_id)
    assert w.chat_list.list.count() == 1 and w.chats.chat.turns == []


def test_an_unsupported_sentence_is_flagged_under_the_answer(qtbot: Any, tmp_path: Path) -> None:
    from docent.core.storage.chats import Chat, Passage, Turn
    from docent.ui.widgets.turn import TurnWidget

    source = Passage(1, "/docs/Guide.pdf", 2, "p. 2", "Invoices are paid within thirty days.")
    turn = Turn("When are invoices paid?", "Invoices are paid within thirty days [1]. Auditors visit in May [1].",
                answered=True, citations=[source], sources=[source],
                unsupported=["Auditors visit in May [1]."])
    widget = TurnWidget(turn)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.unsupported.isVisible()
    assert "1 sentence not found in the cited passages" in widget.unsupported.text()
    assert "Auditors visit in May" in widget.unsupported.text()
    # it is kept with the chat
    again = Chat.from_json(Chat("x", turns=[turn]).to_json()).turns[0]
    assert again.unsupported == ["Auditors visit in May [1]."]
    # a well-supported answer shows nothing
    plain = TurnWidget(Turn("q", "Invoices are paid within thirty days [1].", answered=True, citations=[source],
                            sources=[source]))
    qtbot.addWidget(plain)
    plain.show()
    assert not plain.unsupported.isVisible()


def test_a_withheld_sentence_is_said_plainly_in_the_window_and_the_export(qtbot: Any) -> None:
    from docent.core.answer.claims import NOT_STATED
    from docent.core.storage.chats import Chat, Passage, Turn, to_markdown
    from docent.ui.widgets.turn import TurnWidget

    source = Passage(1, "/docs/msft.pdf", 40, "p. 40", "Microsoft reported revenue of $198.3 billion in fiscal 2022.")
    invented = "Apple's FY2022 revenue was $1.4 trillion [1]."
    # the core left the sentence out of the answer (claims.withhold): nothing was answered
    turn = Turn("What was Apple's FY2022 revenue?", NOT_STATED, answered=False, sources=[source],
                unsupported=[invented])
    widget = TurnWidget(turn)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.unsupported.isVisible() and "Withheld — the documents do not state this" in widget.unsupported.text()
    assert "$1.4 trillion" in widget.unsupported.text() and "$1.4 trillion" not in widget.answer.text()
    md = to_markdown(Chat("x", turns=[turn]), provenance=False)
    assert NOT_STATED in md and "**Withheld** — the documents do not state this" in md and invented in md
    assert "**Nearest passages**" in md and "198.3 billion" in md  # the closest passage goes with it


def test_a_quoted_answer_says_it_is_the_passages_sentence_in_the_window_the_export_and_a_reload(
        qtbot: Any, tmp_path: Path) -> None:
    """When nothing the model wrote stands, the passages' best sentence is the answer (qa.ask,
    extractive): the window and the export say so, and the saved chat keeps it."""
    import json

    from docent.core.storage.chats import EXTRACTIVE_NOTE, Chat, Passage, Turn, to_markdown
    from docent.ui.widgets.turn import TurnWidget

    source = Passage(1, "/docs/handbook.pdf", 3, "p. 3", "Every full-time employee receives 27 days of paid annual leave.")
    quote = "Every full-time employee receives 27 days of paid annual leave. [1]"
    turn = Turn("How many days of paid leave?", quote, answered=True, citations=[source], sources=[source],
                unsupported=["Employees get 10 days of paid annual leave [1]."], extractive=True)
    reloaded = Turn.from_json(json.loads(json.dumps(Chat("x", turns=[turn]).to_json()))["turns"][0])
    assert reloaded.extractive
    widget = TurnWidget(reloaded)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.status.isVisible() and widget.status.text() == EXTRACTIVE_NOTE
    assert "27 days" in widget.answer.text() and "10 days" in widget.unsupported.text()
    md = to_markdown(Chat("x", turns=[turn]), provenance=False)
    assert EXTRACTIVE_NOTE in md and "**Withheld**" in md and "10 days" in md

    plain = TurnWidget(Turn("How many days of paid leave?", quote, answered=True, citations=[source], sources=[source]))
    qtbot.addWidget(plain)
    plain.show()
    assert EXTRACTIVE_NOTE not in plain.status.text()
    assert EXTRACTIVE_NOTE not in to_markdown(Chat("y", turns=[plain.turn]), provenance=False)


def test_a_quote_in_place_of_the_models_answer_names_that_answer_in_the_window_the_export_and_a_reload(
        qtbot: Any) -> None:
    """A one-sentence answer that the passages' best sentence does not state gives way to it (qa.ask,
    AnswerDone.set_aside): the window and the export show the quote as the answer and name the
    model's answer beside it, as a reload does."""
    import json

    from docent.core.storage.chats import EXTRACTIVE_NOTE, Chat, Passage, Turn, to_markdown
    from docent.ui.widgets.turn import TurnWidget

    source = Passage(1, "/docs/atlas.pdf", 3, "p. 3", "The lighthouse on Karvik Island was built in 1887 by the engineer "
                     "Margit Solberg. Its lamp is visible for twenty-two nautical miles on a clear night.")
    quote = "The lighthouse on Karvik Island was built in 1887 by the engineer Margit Solberg. [1]"
    turn = Turn("Who built the lighthouse on Karvik Island?", quote, answered=True, citations=[source], sources=[source],
                extractive=True, extractive_kind="sentence", set_aside="For twenty-two nautical miles [1].")
    reloaded = Turn.from_json(json.loads(json.dumps(Chat("x", turns=[turn]).to_json()))["turns"][0])
    assert reloaded.set_aside == turn.set_aside
    widget = TurnWidget(reloaded)
    qtbot.addWidget(widget)
    widget.show()
    status = widget.status.text()
    assert widget.status.isVisible() and status != EXTRACTIVE_NOTE
    assert "“For twenty-two nautical miles”" in status and "[1]" not in status, status
    assert "Margit Solberg" in widget.answer.text() and "nautical" not in widget.answer.text()
    # the card picks out the quoted sentence, though its marker stands after the sentence's end
    assert widget.support_for(widget._shown[0]) == quote.split(" [")[0]
    md = to_markdown(Chat("x", turns=[reloaded]), provenance=False)
    assert "“For twenty-two nautical miles”" in md and quote.split(" [")[0] in md
    older = Turn.from_json({"question": "q", "answer": quote, "answered": True, "extractive": True,
                            "extractive_kind": "sentence"})  # a chat saved before set_aside
    assert older.set_aside == "" and EXTRACTIVE_NOTE in to_markdown(Chat("y", turns=[older]), provenance=False)


@pytest.mark.parametrize("kind, answer", [
    ("table", "TOTAL ASSETS (2021): $59,268 million [1]."),
    ("computed", "Working capital ratio, FY2021: 1.00, computed as total current assets / total current "
                 "liabilities. From the tables: Total current assets (2021): 29,505 [1]; Total current "
                 "liabilities (2021): 29,441 [1]."),
])
def test_a_figure_read_or_computed_from_a_table_says_so_in_the_window_the_export_and_a_reload(
        qtbot: Any, kind: str, answer: str) -> None:
    """A figure read off a table row (answer/figures.py, extractive kind "table") or computed from
    rows (answer/metrics.py, "computed") is not called a quoted sentence: the window and the export
    say where it comes from, and a reload keeps that."""
    import json

    from docent.core.storage.chats import (
        COMPUTED_NOTE, EXTRACTIVE_NOTE, TABLE_NOTE, Chat, Passage, Turn, to_markdown,
    )
    from docent.ui.widgets.turn import TurnWidget

    note = {"table": TABLE_NOTE, "computed": COMPUTED_NOTE}[kind]
    row = Passage(1, "/docs/costco_2021_10k.pdf", 38, "p. 38", "TOTAL ASSETS | 2021: $59,268 | 2020: $55,556\n"
                  "Total current assets | 2021: 29,505 | 2020: 28,120\nTotal current liabilities | 2021: 29,441")
    turn = Turn("What was Costco's FY2021 figure?", answer, answered=True,
                citations=[row], sources=[row], extractive=True, extractive_kind=kind, model="Gemma 3 270M")
    reloaded = Turn.from_json(json.loads(json.dumps(Chat("x", turns=[turn]).to_json()))["turns"][0])
    assert reloaded.extractive_kind == kind
    widget = TurnWidget(reloaded)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.status.isVisible() and widget.status.text() == note
    # the note wraps: it does not widen the turn past a narrow window (the answer pane scrolls sideways otherwise)
    assert widget.minimumSizeHint().width() < 500
    # not the chat model's name: it wrote nothing
    assert "no model needed" in widget.meta.text() and "Gemma" not in widget.meta.text()
    md = to_markdown(Chat("x", turns=[turn]), provenance=False)
    assert note in md and EXTRACTIVE_NOTE not in md and answer in md


def test_an_uncited_answer_shows_the_nearest_passages_and_a_declined_one_says_it_once(qtbot: Any) -> None:
    from docent.core.storage.chats import Passage, Turn
    from docent.core.answer.qa import NOT_FOUND
    from docent.ui.widgets.turn import TurnWidget

    near = [Passage(n, f"/docs/D{n}.pdf", n, f"p. {n}", f"Passage {n} text.") for n in (1, 2, 3, 4)]
    uncited = Turn("How many species?", "10.", answered=True, citations=[], sources=near, unsupported=["10."])
    widget = TurnWidget(uncited)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.answer.isVisible() and "10." in widget.answer.text()
    assert widget.status.isVisible() and "cites no source" in widget.status.text()
    assert widget.sources_label.text() == "Nearest passages" and len(widget.source_cards()) == 3
    assert "not found in the passages" in widget.unsupported.text()  # not "the cited passages": none are

    declined = Turn("What is the yacht tax in Mongolia?", NOT_FOUND, answered=False, sources=near)
    widget = TurnWidget(declined)
    qtbot.addWidget(widget)
    widget.show()
    assert not widget.answer.isVisible()  # the status line says it; the answer text would repeat it
    assert widget.status.text() == "Not found in your documents — the nearest passages are below."
    assert len(widget.source_cards()) == 3

    # the gate's reason is said too: a question naming what no document mentions
    from docent.core.answer.gate import not_mentioned

    named = Turn("What was Pfizer's revenue?", not_mentioned(["Pfizer"]), answered=False, sources=near)
    widget = TurnWidget(named)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.status.text() == ("Not found in your documents. No document mentions “Pfizer”. "
                                    "The nearest passages are below.")


def test_the_turn_names_the_model_that_wrote_the_answer() -> None:
    from docent.ui.controllers.chat import answered_by

    served = {"model_used": True, "generation": {
        "model_server": "http://10.0.0.6:8080 (/srv/models/SmolLM2-135M-Instruct.Q4_1.gguf)"}}
    assert answered_by("Gemma 3 270M", served, "http://10.0.0.6:8080") == "SmolLM2-135M-Instruct.Q4_1 on 10.0.0.6:8080"
    same_file = {"model_used": True, "generation": {}}
    assert answered_by("SmolLM2 135M Instruct", same_file, "http://10.0.0.6:8080") == \
        "SmolLM2 135M Instruct on 10.0.0.6:8080"
    assert answered_by("Gemma 3 270M", same_file, "") == "Gemma 3 270M"
    declined = {"model_used": False, "generation": {}}
    assert answered_by("Gemma 3 270M", declined, "http://10.0.0.6:8080") == "Gemma 3 270M"


def test_a_source_card_quotes_the_cited_row_not_the_pages_heading(qtbot: Any) -> None:
    """A statement's passage starts with the page's heading and other rows; the card quotes from
    the row the answer's sentence rests on, marked as cut ("…"), so the figure shown is visible."""
    from docent.core.storage.chats import Passage, Turn
    from docent.ui.widgets.turn import TurnWidget

    heading = ("Table of Contents COSTCO WHOLESALE CORPORATION CONSOLIDATED BALANCE SHEETS (amounts in millions, "
               "except par value and share data) ")
    rows = "\n".join(f"Line item {i} | 2021: {i},000 | 2020: {i},100" for i in range(1, 12))
    text = heading + "\n" + rows + "\nTotal current liabilities | 2021: 29,441 | 2020: 24,844"
    p = Passage(1, "/docs/costco_2021_10k.pdf", 38, "p. 38", text)
    turn = Turn("What were Costco's total current liabilities in FY2021?",
                "Total current liabilities (2021): 29,441 million [1].", answered=True, citations=[p], sources=[p],
                extractive=True, extractive_kind="table")
    widget = TurnWidget(turn)
    qtbot.addWidget(widget)
    widget.show()
    (card,) = widget.source_cards()
    assert card.quote.text().startswith("“…Total current liabilities | 2021: 29,441")
    # an answer citing nothing in particular of a short passage quotes it from its start
    short = Passage(1, "/docs/a.pdf", 1, "p. 1", "Employees receive 27 days of paid annual leave.")
    plain = TurnWidget(Turn("Leave?", "27 days [1].", answered=True, citations=[short], sources=[short]))
    qtbot.addWidget(plain)
    plain.show()
    assert plain.source_cards()[0].quote.text() == "“Employees receive 27 days of paid annual leave.”"


def test_each_citation_rests_on_the_words_just_before_it(qtbot: Any) -> None:
    """Two figures in one sentence, each cited to its own passage: each card quotes its own row; markers
    side by side share the words before them."""
    from docent.core.storage.chats import Passage, Turn
    from docent.ui.widgets.turn import TurnWidget

    both = ("Total current assets | 2021: 29,505 | 2020: 28,120\nTotal current liabilities | 2021: 29,441 | "
            "2020: 24,844")
    a = Passage(1, "/docs/c.pdf", 38, "p. 38", both)
    b = Passage(2, "/docs/c.pdf", 38, "p. 38", both)
    turn = Turn("Costco's FY2021 working capital ratio?",
                "Working capital ratio, FY2021: 1.00. From the tables: Total current assets (2021): 29,505 [1]; "
                "Total current liabilities (2021): 29,441 [2].", answered=True, citations=[a, b], sources=[a, b])
    widget = TurnWidget(turn)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.support_for(a).startswith("Total current assets")
    assert widget.support_for(b).startswith("Total current liabilities")
    leave = "Overtime is paid monthly.\nEvery full-time employee receives 27 days of paid annual leave."
    c, d = Passage(1, "/docs/h.pdf", 4, "p. 4", leave), Passage(2, "/docs/h.pdf", 5, "p. 5", leave)
    shared = TurnWidget(Turn("Leave?", "Employees receive 27 days of paid annual leave [1][2].", answered=True,
                             citations=[c, d], sources=[c, d]))
    qtbot.addWidget(shared)
    assert shared.support_for(c) == shared.support_for(d) == (
        "Every full-time employee receives 27 days of paid annual leave.")

"""The window's layout at 1024×700 and up: opening the viewer leaves the library a readable width and
the viewer a usable one, the window sets itself no minimum wider than the screen, a squeezed
library is never saved for the next start; the viewer can be toggled and detached. File names are
elided with their extension kept; a 200-character title wraps inside the chat; sources are
numbered 1..n as shown, their [n] in the answer too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docgen import write_pdf
from ui_helpers import ScriptedLibrary

from docent.core.storage.chats import Passage, Turn
from docent.ui.controllers import DocRow

LONG_NAME = ("Quarterly_report_on_the_consolidated_financial_statements_of_the_Northern_Regional_Water_"
             "Authority_and_its_subsidiaries_for_the_year_ended_31_December_2023_with_the_independent_auditors_notes_final.docx")


def _rows(folder: Path, names: list[str]) -> list[DocRow]:
    return [DocRow(str(folder / n), "indexed", "", 3, 12) for n in names]


@pytest.mark.parametrize("size", [(1280, 800), (1024, 700)])
def test_opening_the_viewer_keeps_every_pane_readable(make_window: Any, qtbot: Any, tmp_path: Path,
                                                      size: tuple[int, int]) -> None:
    from docent.ui.chat_actions import CHAT_MIN, VIEWER_MIN
    from docent.ui.widgets.library_pane import MIN_WIDTH

    folder = tmp_path / "papers"
    pdf = write_pdf(folder / "cohort_study_of_respiratory_infections_2020.pdf", ["First page.", "Second page."])
    w = make_window()
    w.resize(*size)
    w.library_pane.set_rows(_rows(folder, [pdf.name, "annual_report.pdf", "notes.txt"]), [str(folder)])
    qtbot.wait(20)
    assert w.width() == size[0]
    before = w.splitter.sizes()[0]
    w.open_passage(Passage(1, str(pdf), 2, "p. 2", "Second page."))
    qtbot.waitUntil(lambda: w.viewer.mode == "pdf")
    qtbot.wait(50)
    left, chat, viewer = w.splitter.sizes()
    assert w.width() == size[0], "the window grew to fit its panes"
    assert w.minimumSizeHint().width() <= 1024 and w.minimumWidth() <= 1024
    assert left >= MIN_WIDTH and chat >= CHAT_MIN and viewer >= VIEWER_MIN, (left, chat, viewer)
    if size[0] >= 1280:
        assert viewer >= 440, "the viewer is wide enough to read a page"
    tree = w.library_pane.tree
    assert tree.columnWidth(0) >= 110, "the Name column collapsed"
    # the file name reads as a name: the start of it and its extension, the whole path in the tooltip
    index = w.library_pane.proxy.index(0, 0, w.library_pane.proxy.index(0, 0))
    from PySide6.QtWidgets import QStyleOptionViewItem

    option = QStyleOptionViewItem()
    option.rect = tree.visualRect(index)
    option.fontMetrics = tree.fontMetrics()
    w.library_pane.names.initStyleOption(option, index)
    assert option.text.endswith(".pdf") and option.text[:6] == index.data()[:6], option.text
    assert str(folder) in index.data(3)  # Qt.ToolTipRole: the full path
    # a folder's status is not cut in the middle
    status = w.library_pane.proxy.index(0, 1)
    assert tree.columnWidth(1) >= tree.fontMetrics().horizontalAdvance(status.data()), status.data()

    # the squeezed library is not what is saved: the next start has the library's own width
    w._save_state()
    assert int(w.window_state.value("leftWidth")) == before
    w.hide_viewer()
    assert not w.viewer.isVisible() and w.splitter.sizes()[0] == before


def test_viewer_toggles_and_detaches(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "guide.pdf", ["The only page."])
    w = make_window()
    w.toggle_viewer()  # nothing opened yet: it says how
    assert w.viewer is None and "Click a [number]" in w.statusBar().currentMessage()
    w.open_document(str(pdf))
    assert w.viewer.isVisible() and w.act_viewer.isChecked()
    w.act_viewer.trigger()  # F9
    assert not w.viewer.isVisible() and not w.act_viewer.isChecked()
    w.act_viewer.trigger()
    assert w.viewer.isVisible() and w.viewer.path == str(pdf)
    w.viewer.detach.click()  # ⧉: its own window
    assert w.viewer_window is not None and w.viewer.window() is w.viewer_window and w.splitter.count() == 2
    w.open_document(str(pdf))  # another citation goes to the detached viewer
    assert w.viewer.window() is w.viewer_window
    w.viewer_window.close()  # back beside the chat, hidden
    assert w.viewer_window is None and w.splitter.count() == 3 and not w.viewer.isVisible()
    w.open_document(str(pdf))
    assert w.viewer.isVisible() and w.viewer.window() is w


def test_same_names_show_their_folders(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    w = make_window()
    a, b = tmp_path / "2022", tmp_path / "2023"
    w.library_pane.set_rows(_rows(a, ["minutes.pdf"]) + _rows(b, ["minutes.pdf", "budget.pdf"]), [str(tmp_path)])
    assert w.library_pane.names.duplicates == {"minutes.pdf"}
    proxy = w.library_pane.proxy
    shown = set()
    root = proxy.index(0, 0)
    for r in range(proxy.rowCount(root)):
        folder = proxy.index(r, 0, root)
        for k in range(proxy.rowCount(folder)):
            shown.add(w.library_pane.names.display_name(proxy.index(k, 0, folder)))
    assert shown == {"minutes.pdf — 2022", "minutes.pdf — 2023", "budget.pdf"}


def _scripted(make_window: Any, answer: str, cited: list[int], sources: int = 5) -> Any:
    w = make_window(factory=lambda d: ScriptedLibrary(d, tokens=1))
    passages = [Passage(n, f"/nowhere/{LONG_NAME}" if n == 2 else f"/nowhere/source_{n}.pdf", n, f"p. {n}",
                        f"Passage {n} says the deadline is day {n}.") for n in range(1, sources + 1)]
    turn = Turn("When is the deadline?", answer=answer, answered=True, sources=passages,
                citations=[p for p in passages if p.n in cited])
    w.chat_pane.turn_started(0, turn, waiting_for_index=False)
    w.chat_pane.turn_finished(0, turn, "When is the deadline?")
    return w, w.chat_pane.turns[0]


def test_a_lone_source_is_number_one_and_the_answer_says_so(make_window: Any, qtbot: Any) -> None:
    w, widget = _scripted(make_window, "The deadline is day 4 [4].", [4])
    cards = widget.source_cards()
    assert [c.title.text().split()[0] for c in cards] == ["[1]"]
    assert 'href="cite:1"' in widget.answer.text() and "[4]" not in widget.answer.text()
    assert widget.passage(1) is not None and widget.passage(1).page == 4  # [1] opens what the model cited as 4
    opened: list[Any] = []
    widget.passageActivated.connect(lambda p, s: opened.append((p, s)))
    widget.activate_citation(1)
    assert opened and opened[0][0].page == 4 and "deadline is day 4" in opened[0][1]
    assert widget.turn.citations[0].n == 4  # the chat itself keeps the core's numbers

    # two sources, cited out of order: numbered by first use, the text follows
    w, widget = _scripted(make_window, "First day 5 [5], then day 3 [3; 5].", [3, 5])
    assert [c.title.text().split()[0] for c in widget.source_cards()] == ["[1]", "[2]"]
    assert widget.source_cards()[0].passage.page == 5
    assert widget.shown_answer() == "First day 5 [1], then day 3 [2, 1]."


def test_a_200_character_title_wraps_inside_the_chat(make_window: Any, qtbot: Any) -> None:
    assert len(LONG_NAME) >= 200
    w, widget = _scripted(make_window, "The deadline is day 2 [2].", [2])
    w.resize(1024, 700)
    qtbot.wait(50)
    card = widget.source_cards()[0]
    assert LONG_NAME in card.title.text().replace("\u200b", "")  # breakable after its _ (zero-width spaces)
    chat = w.chat_pane.scroll.viewport()
    right = chat.mapToGlobal(chat.rect().topRight()).x()
    for part in (card, card.title, widget.meta, widget.question):
        edge = part.mapToGlobal(part.rect().topRight()).x()
        assert edge <= right + 1, (part.objectName(), edge, right)
    assert card.title.height() > 2 * card.title.fontMetrics().height()  # it wrapped
    assert w.width() == 1024

"""The chat: questions, answers streaming in, clickable [n] citations, the sources under each answer,
and the question box (Enter asks, Shift+Enter starts a new line, Esc stops)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from docent.core.chats import Chat, Passage, Turn
from docent.ui.theme import answer_html

QUOTE_CHARS = 280


def _quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return f"“{text}”"


def passage_title(p: Passage) -> str:
    return f"[{p.n}]  {Path(p.path).name} — {p.location}"


class SourceCard(QFrame):
    """One cited passage: file, page or section, and the quoted text. Click to open it.

    Signals:
        activated(object): the Passage
    """

    activated = Signal(object)

    def __init__(self, passage: Passage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.passage = passage
        self.setObjectName("sourceCard")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"{passage.path}\nClick to open at {passage.location}")
        v = QVBoxLayout(self)
        v.setContentsMargins(10, 6, 10, 6)
        v.setSpacing(2)
        self.title = QLabel(passage_title(passage))
        self.title.setObjectName("sourceTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.quote = QLabel(_quote(passage.text))
        self.quote.setObjectName("sourceQuote")
        self.quote.setWordWrap(True)
        self.quote.setTextFormat(Qt.TextFormat.PlainText)
        v.addWidget(self.title)
        v.addWidget(self.quote)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit(self.passage)
        super().mouseReleaseEvent(event)


class TurnWidget(QWidget):
    """A question and its answer.

    Signals:
        passageActivated(object): a citation or source card was clicked (Passage)
        regenerateRequested(): ask this question again
    """

    passageActivated = Signal(object)
    regenerateRequested = Signal()

    def __init__(self, turn: Turn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.turn = turn
        self._sources: list[Passage] = []
        self._streamed = ""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 4, 0, 10)
        outer.setSpacing(6)

        qrow = QHBoxLayout()
        qrow.addStretch(1)
        self.question = QLabel(turn.question)
        self.question.setObjectName("questionBubble")
        self.question.setWordWrap(True)
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.question.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.question.setMaximumWidth(560)
        natural = self.question.fontMetrics().horizontalAdvance(turn.question) + 30
        self.question.setMinimumWidth(min(natural, 420))
        qrow.addWidget(self.question)
        outer.addLayout(qrow)

        self.card = QFrame()
        self.card.setObjectName("answerCard")
        card = QVBoxLayout(self.card)
        card.setContentsMargins(14, 10, 14, 10)
        card.setSpacing(6)
        self.status = QLabel("")
        self.status.setObjectName("turnStatus")
        card.addWidget(self.status)
        self.answer = QLabel("")
        self.answer.setObjectName("answerText")
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.RichText)
        self.answer.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.answer.setOpenExternalLinks(False)
        self.answer.linkActivated.connect(self._on_link)
        self.answer.hide()
        card.addWidget(self.answer)
        self.error = QLabel("")
        self.error.setObjectName("turnError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        card.addWidget(self.error)

        self.sources_label = QLabel("Sources")
        self.sources_label.setObjectName("sectionLabel")
        self.sources_label.hide()
        card.addWidget(self.sources_label)
        self.sources_box = QVBoxLayout()
        self.sources_box.setSpacing(4)
        card.addLayout(self.sources_box)

        actions = QHBoxLayout()
        actions.setSpacing(2)
        self.copy = QToolButton()
        self.copy.setObjectName("link")
        self.copy.setText("Copy")
        self.copy.setToolTip("Copy the answer and its sources")
        self.copy.clicked.connect(self.copy_answer)
        self.regenerate = QToolButton()
        self.regenerate.setObjectName("link")
        self.regenerate.setText("Regenerate")
        self.regenerate.setToolTip("Ask this question again")
        self.regenerate.clicked.connect(self.regenerateRequested)
        self.meta = QLabel("")
        self.meta.setObjectName("hint")
        actions.addWidget(self.copy)
        actions.addWidget(self.regenerate)
        actions.addStretch(1)
        actions.addWidget(self.meta)
        self.actions = QWidget()
        self.actions.setLayout(actions)
        actions.setContentsMargins(0, 0, 0, 0)
        self.actions.hide()
        card.addWidget(self.actions)
        outer.addWidget(self.card)

        if turn.finished:
            self.finish(turn)
        else:
            self.set_status("Searching your documents…")

    # ---- streaming ----------------------------------------------------------------------------
    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def set_sources(self, passages: Sequence[Passage]) -> None:
        self._sources = list(passages)
        if passages:
            self.set_status("Writing the answer…")

    def append(self, text: str) -> None:
        self._streamed += text
        self.answer.setText(answer_html(self._streamed.lstrip(), {p.n for p in self._sources}))
        self.answer.show()

    def finish(self, turn: Turn) -> None:
        self.turn = turn
        self._sources = list(turn.sources)
        cited = {p.n for p in turn.citations}
        if turn.answer:
            self.answer.setText(answer_html(turn.answer, cited or {p.n for p in turn.sources}))
            self.answer.show()
        else:
            self.answer.hide()
        if turn.error:
            self.error.setText(turn.error)
            self.error.show()
        status = ""
        if turn.cancelled:
            status = "Stopped." if turn.answer else "Stopped before an answer was written."
        elif not turn.error and not turn.answered and turn.answer:
            status = "Not found in your documents" + (" — the nearest passages are below." if turn.sources else ".")
        self.set_status(status)
        self._fill_sources(turn)
        self.actions.setVisible(not turn.error or bool(turn.answer))
        self.copy.setVisible(bool(turn.answer))
        bits = []
        if turn.model:
            bits.append(turn.model)
        total = sum(v for k, v in turn.timings.items() if k.endswith("_s") and k != "first_token_s")
        if total:
            bits.append(f"{total:.1f} s")
        self.meta.setText(" · ".join(bits))

    def _fill_sources(self, turn: Turn) -> None:
        while self.sources_box.count():
            item = self.sources_box.takeAt(0)
            w = item.widget()
            if w is not None:
                w.deleteLater()
        passages = turn.citations or ([] if turn.answered else turn.sources[:3])
        self.sources_label.setText("Sources" if turn.citations else "Nearest passages")
        self.sources_label.setVisible(bool(passages))
        for p in passages:
            card = SourceCard(p)
            card.activated.connect(self.passageActivated)
            self.sources_box.addWidget(card)

    def source_cards(self) -> list[SourceCard]:
        out = []
        for i in range(self.sources_box.count()):
            w = self.sources_box.itemAt(i).widget()
            if isinstance(w, SourceCard):
                out.append(w)
        return out

    def passage(self, n: int) -> Passage | None:
        for p in list(self.turn.citations) + list(self.turn.sources) + self._sources:
            if p.n == n:
                return p
        return None

    def _on_link(self, href: str) -> None:
        if href.startswith("cite:"):
            p = self.passage(int(href[5:]))
            if p is not None:
                self.passageActivated.emit(p)

    def activate_citation(self, n: int) -> None:
        """What clicking [n] in the answer does (also used by tests and keyboard users)."""
        self._on_link(f"cite:{n}")

    def copy_answer(self) -> None:
        QGuiApplication.clipboard().setText(answer_as_text(self.turn))


def answer_as_text(turn: Turn) -> str:
    lines = [turn.answer.strip()]
    if turn.citations:
        lines += ["", "Sources:"]
        lines += [f"[{p.n}] {p.path}, {p.location}" for p in turn.citations]
    return "\n".join(lines)


class QuestionInput(QPlainTextEdit):
    """Enter submits; Shift+Enter inserts a new line.

    Signals:
        submitted(): Enter was pressed
    """

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class ChatPane(QWidget):
    """Signals:
        askRequested(str): a question to ask
        stopRequested(): stop the answer being written
        regenerateRequested(): ask the last question again
        newChatRequested(): start a new chat
        exportRequested(): save this chat as Markdown
        passageActivated(object): open this Passage in the viewer
        scopeCleared(): ask about every document again
        addFolderRequested(): from the welcome screen
        samplesRequested(): add the sample documents (welcome screen)
    """

    askRequested = Signal(str)
    stopRequested = Signal()
    regenerateRequested = Signal()
    newChatRequested = Signal()
    exportRequested = Signal()
    passageActivated = Signal(object)
    scopeCleared = Signal()
    addFolderRequested = Signal()
    samplesRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPane")
        self.turns: list[TurnWidget] = []
        self._busy = False
        self._docs = 0
        self._has_roots = False
        self._indexing = False
        self._waiting_for_index = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)

        header = QHBoxLayout()
        header.setContentsMargins(14, 8, 8, 8)
        self.title = QLabel("New chat")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        header.addWidget(self.title, 1)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save this chat as Markdown, with its sources")
        self.export_button.clicked.connect(self.exportRequested)
        self.new_button = QPushButton("New chat")
        self.new_button.setToolTip("Start a new chat (Ctrl+N)")
        self.new_button.clicked.connect(self.newChatRequested)
        header.addWidget(self.export_button)
        header.addWidget(self.new_button)
        layout.addLayout(header)

        self.stack = QStackedWidget()
        self.welcome = self._build_welcome()
        self.stack.addWidget(self.welcome)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("chatScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.messages = QWidget()
        self.messages.setObjectName("chatMessages")
        self.messages_layout = QVBoxLayout(self.messages)
        self.messages_layout.setContentsMargins(18, 10, 18, 10)
        self.messages_layout.addStretch(1)
        self.scroll.setWidget(self.messages)
        self.stack.addWidget(self.scroll)
        layout.addWidget(self.stack, 1)
        self.scroll.verticalScrollBar().rangeChanged.connect(self._on_range)
        self.scroll.verticalScrollBar().actionTriggered.connect(lambda _a: QTimer.singleShot(0, self._update_stick))
        self._stick_to_bottom = True

        bottom = QVBoxLayout()
        bottom.setContentsMargins(14, 6, 14, 10)
        bottom.setSpacing(4)
        self.scope_chip = QFrame()
        self.scope_chip.setObjectName("scopeChip")
        chip = QHBoxLayout(self.scope_chip)
        chip.setContentsMargins(10, 2, 4, 2)
        self.scope_label = QLabel("")
        self.scope_label.setObjectName("scopeLabel")
        clear = QToolButton()
        clear.setObjectName("link")
        clear.setText("✕ all documents")
        clear.setToolTip("Ask about every document again")
        clear.clicked.connect(self.scopeCleared)
        chip.addWidget(self.scope_label, 1)
        chip.addWidget(clear)
        self.scope_chip.hide()
        bottom.addWidget(self.scope_chip)

        box = QFrame()
        box.setObjectName("inputBox")
        row = QHBoxLayout(box)
        row.setContentsMargins(8, 4, 6, 4)
        self.input = QuestionInput()
        self.input.setObjectName("questionInput")
        self.input.setPlaceholderText("Ask a question about your documents…")
        self.input.setTabChangesFocus(True)
        self.input.setFixedHeight(56)
        self.input.submitted.connect(self._submit)
        self.input.textChanged.connect(self._update_button)
        row.addWidget(self.input, 1)
        self.ask_button = QPushButton("Ask")
        self.ask_button.setObjectName("primary")
        self.ask_button.setToolTip("Ask (Enter)")
        self.ask_button.clicked.connect(self._button_clicked)
        row.addWidget(self.ask_button, 0, Qt.AlignmentFlag.AlignBottom)
        bottom.addWidget(box)
        self.hint = QLabel("Enter to ask · Shift+Enter for a new line · Esc to stop")
        self.hint.setObjectName("hint")
        bottom.addWidget(self.hint)
        layout.addLayout(bottom)
        self._update_button()
        self._update_welcome()

    # ---- welcome --------------------------------------------------------------------------------
    def _build_welcome(self) -> QWidget:
        frame = QFrame()
        frame.setObjectName("emptyState")
        v = QVBoxLayout(frame)
        v.setContentsMargins(40, 20, 40, 20)
        v.addStretch(1)
        self.welcome_title = QLabel("")
        self.welcome_title.setObjectName("emptyTitle")
        self.welcome_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome_title.setWordWrap(True)
        self.welcome_body = QLabel("")
        self.welcome_body.setObjectName("emptyBody")
        self.welcome_body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.welcome_body.setWordWrap(True)
        self.welcome_body.setTextFormat(Qt.TextFormat.RichText)
        v.addWidget(self.welcome_title)
        v.addSpacing(8)
        v.addWidget(self.welcome_body)
        v.addSpacing(16)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.welcome_add = QPushButton("Add a folder…")
        self.welcome_add.setObjectName("primary")
        self.welcome_add.clicked.connect(self.addFolderRequested)
        self.welcome_samples = QPushButton("Try the sample documents")
        self.welcome_samples.setToolTip("Add Docent's three small sample documents to this library")
        self.welcome_samples.clicked.connect(self.samplesRequested)
        buttons.addWidget(self.welcome_add)
        buttons.addWidget(self.welcome_samples)
        buttons.addStretch(1)
        v.addLayout(buttons)
        v.addStretch(2)
        return frame

    def set_library_state(self, indexed_docs: int, has_roots: bool, indexing: bool) -> None:
        self._docs, self._has_roots, self._indexing = indexed_docs, has_roots, indexing
        self._update_welcome()

    def _update_welcome(self) -> None:
        if self.turns:
            self.stack.setCurrentWidget(self.scroll)
            return
        self.stack.setCurrentWidget(self.welcome)
        show_buttons = not self._has_roots and not self._docs
        self.welcome_add.setVisible(show_buttons)
        self.welcome_samples.setVisible(show_buttons)
        if show_buttons:
            self.welcome_title.setText("Ask questions about your documents")
            self.welcome_body.setText(
                "<p><b>1.</b> Add a folder with your PDFs, Word, text or Markdown files.<br>"
                "<b>2.</b> Docent indexes them on this computer — nothing leaves it.<br>"
                "<b>3.</b> Ask a question: every answer cites the file and page it comes from.</p>"
            )
        elif not self._docs and self._indexing:
            self.welcome_title.setText("Indexing your documents…")
            self.welcome_body.setText("<p>You can ask as soon as the first documents are done. "
                                      "Progress is shown at the bottom of the library.</p>")
        elif not self._docs:
            self.welcome_title.setText("No indexed documents yet")
            self.welcome_body.setText("<p>None of the files in your folders could be read. "
                                      "Hover over them in the library to see why.</p>")
        else:
            n = self._docs
            self.welcome_title.setText(f"Ask anything about your {n} document{'s' if n != 1 else ''}")
            self.welcome_body.setText(
                "<p>For example: <i>“What is the notice period?”</i> or <i>“Who approves remote work?”</i><br>"
                "Click a [number] in an answer to see the passage it comes from.</p>"
            )

    # ---- chat -----------------------------------------------------------------------------------
    def load_chat(self, chat: Chat) -> None:
        for w in self.turns:
            w.setParent(None)
            w.deleteLater()
        self.turns = []
        self.title.setText(chat.display_title)
        for turn in chat.turns:
            self._add_turn(turn)
        self._mark_last()
        self._update_welcome()
        self.export_button.setEnabled(bool(chat.turns))
        self._stick_to_bottom = True
        QTimer.singleShot(0, self._scroll_to_bottom)

    def _add_turn(self, turn: Turn) -> TurnWidget:
        w = TurnWidget(turn)
        w.passageActivated.connect(self.passageActivated)
        w.regenerateRequested.connect(self.regenerateRequested)
        self.messages_layout.insertWidget(self.messages_layout.count() - 1, w)
        self.turns.append(w)
        return w

    def _mark_last(self) -> None:
        for i, w in enumerate(self.turns):
            w.regenerate.setVisible(i == len(self.turns) - 1 and not self._busy)

    def turn_started(self, index: int, turn: Turn, waiting_for_index: bool) -> None:
        w = self._add_turn(turn)
        if waiting_for_index:
            w.set_status("Waiting for the indexer to finish its current file…")
        self.title.setText(turn.question if index == 0 else self.title.text())
        self._update_welcome()
        self._stick_to_bottom = True
        QTimer.singleShot(0, self._scroll_to_bottom)

    def turn_sources(self, index: int, passages: Sequence[Passage]) -> None:
        if 0 <= index < len(self.turns):
            self.turns[index].set_sources(passages)

    def turn_tokens(self, index: int, text: str) -> None:
        if 0 <= index < len(self.turns):
            self.turns[index].append(text)

    def turn_finished(self, index: int, turn: Turn, title: str) -> None:
        if 0 <= index < len(self.turns):
            self.turns[index].finish(turn)
        self.title.setText(title)
        self.export_button.setEnabled(True)
        self._mark_last()

    def set_scope(self, scope: Sequence[str]) -> None:
        if not scope:
            self.scope_chip.hide()
            return
        names = ", ".join(Path(p).name or p for p in scope[:3]) + (f" and {len(scope) - 3} more" if len(scope) > 3 else "")
        self.scope_label.setText(f"Asking only about: {names}")
        self.scope_label.setToolTip("\n".join(scope))
        self.scope_chip.show()

    # ---- input --------------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_button()
        self._mark_last()

    def _update_button(self) -> None:
        if self._busy:
            self.ask_button.setText("Stop")
            self.ask_button.setObjectName("danger")
            self.ask_button.setToolTip("Stop writing the answer (Esc)")
            self.ask_button.setEnabled(True)
        else:
            self.ask_button.setText("Ask")
            self.ask_button.setObjectName("primary")
            self.ask_button.setToolTip("Ask (Enter)")
            self.ask_button.setEnabled(bool(self.input.toPlainText().strip()))
        self.ask_button.style().unpolish(self.ask_button)
        self.ask_button.style().polish(self.ask_button)

    def _button_clicked(self) -> None:
        if self._busy:
            self.stopRequested.emit()
        else:
            self._submit()

    def _submit(self) -> None:
        text = self.input.toPlainText().strip()
        if not text or self._busy:
            return
        self.input.clear()
        self.askRequested.emit(text)

    # ---- scrolling ----------------------------------------------------------------------------
    def _near_bottom(self) -> bool:
        bar = self.scroll.verticalScrollBar()
        return bar.value() >= bar.maximum() - 40

    def _on_range(self, _min: int, _max: int) -> None:
        if self._stick_to_bottom:
            self._scroll_to_bottom()

    def _scroll_to_bottom(self) -> None:
        bar = self.scroll.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _update_stick(self) -> None:  # the user scrolled: follow the end only when at the end
        self._stick_to_bottom = self._near_bottom()

"""The chat: the conversation (see turn.py for one question and its answer), a welcome screen that
says what to do, and the question box (Enter asks, Shift+Enter starts a new line, Esc stops)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from docent.core.storage.chats import Chat, Passage, Turn
from docent.ui.widgets.turn import TurnWidget

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
        wholeToggled(bool): "Whole document" on or off (read every part of the documents in scope)
        regenerateRequested(): ask the last question again
        newChatRequested(): start a new chat
        exportRequested(): save this chat as Markdown
        passageActivated(object, str): open this Passage in the viewer (str: its supporting sentence)
        scopeCleared(): ask about every document again
        addFolderRequested(): from the welcome screen
        samplesRequested(): add the sample documents (welcome screen)
    """

    askRequested = Signal(str)
    stopRequested = Signal()
    wholeToggled = Signal(bool)
    regenerateRequested = Signal()
    newChatRequested = Signal()
    exportRequested = Signal()
    passageActivated = Signal(object, str)
    scopeCleared = Signal()
    addFolderRequested = Signal()
    samplesRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.turns: list[TurnWidget] = []
        self._busy = False
        self._docs = 0
        self._titles: list[str] = []
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
        self.whole_box = QCheckBox("Whole document")
        self.whole_box.setObjectName("wholeDocument")
        self.whole_box.setToolTip(
            "Read every part of the documents in scope (summary, comparison, list) instead of the few "
            "best passages; slower. Questions asking for a summary, a comparison or a list are "
            "recognised without it.")
        self.whole_box.toggled.connect(self.wholeToggled)
        row.addWidget(self.whole_box, 0, Qt.AlignmentFlag.AlignBottom)
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

    def set_library_state(self, indexed_docs: int, has_roots: bool, indexing: bool,
                          titles: Sequence[str] = ()) -> None:
        """`titles`: a few indexed documents' names, for examples that fit this library."""
        self._docs, self._has_roots, self._indexing = indexed_docs, has_roots, indexing
        self._titles = list(titles)
        self._update_welcome()

    def _examples(self) -> str:
        """Two example questions from the user's own documents, which read the named documents whole
        and cite them (a comparison of two unrelated files makes a poor first example); generic
        ones without titles."""
        t = [html.escape(x) for x in self._titles]
        if t:
            return f"<i>“Summarize {t[0]}”</i> or <i>“List the main points of {t[-1]}”</i>"
        return "<i>“What is the notice period?”</i> or <i>“Who approves remote work?”</i>"

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
                f"<p>For example: {self._examples()}.<br>"
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

    def turn_progress(self, index: int, text: str) -> None:
        if 0 <= index < len(self.turns):
            self.turns[index].set_status(text)

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

"""The chat's actions and the source viewer: ask, the turns as they stream in, export and delete a
chat, copy an answer, Escape; open a cited passage or a document beside the chat. A mixin of
MainWindow (split from main_window.py), using its `library`, `chats` and `files` controllers, its
`chat_pane`, `chat_list`, `splitter`, `viewer`, `act_export` and `show_error`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from docent.core.storage.chats import Passage


class ChatActions:
    library: Any
    chats: Any
    files: Any
    chat_pane: Any
    chat_list: Any
    splitter: Any
    viewer: Any
    act_export: Any
    show_error: Any  # MainWindow's
    # statusBar() and the dialogs' parent come from QMainWindow, later in the MRO

    # ---- chat ---------------------------------------------------------------------------------
    def ask(self, question: str) -> None:
        if not self.library.is_open:
            self.show_error("The library is not open yet; try again in a moment.", kind="info")
            self.chat_pane.input.setPlainText(question)
            return
        self.chats.ask(question)

    @Slot(object)
    def _on_chat_loaded(self, chat: Any) -> None:
        self.chat_pane.load_chat(chat)
        self.chat_list.set_current(chat.id)
        self.act_export.setEnabled(bool(chat.turns))

    @Slot(int)
    def _on_turn_started(self, index: int) -> None:
        turn = self.chats.chat.turns[index]
        self.chat_pane.turn_started(index, turn, waiting_for_index=self.library.indexing)

    @Slot(int, object)
    def _on_turn_sources(self, index: int, hits: list[Any]) -> None:
        self.chat_pane.turn_sources(index, [Passage.from_hit(i, h) for i, h in enumerate(hits, start=1)])

    @Slot(int)
    def _on_turn_finished(self, index: int) -> None:
        chat = self.chats.chat
        if 0 <= index < len(chat.turns):
            self.chat_pane.turn_finished(index, chat.turns[index], chat.display_title)
        self.chat_list.set_current(chat.id)
        self.act_export.setEnabled(True)

    def export_chat(self) -> None:
        chat = self.chats.chat
        if not chat.turns:
            self.statusBar().showMessage("Nothing to export yet: ask a question first", 5000)
            return
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in chat.display_title)[:60].strip() or "chat"
        target, _ = QFileDialog.getSaveFileName(self, "Export chat as Markdown", str(Path.home() / f"{safe}.md"),
                                                "Markdown (*.md)")
        if target:
            self.chats.export_markdown(Path(target))
            self.statusBar().showMessage(f"Chat saved to {target}", 8000)

    def delete_chat(self, chat_id: str) -> None:
        answer = QMessageBox.question(self, "Delete chat", "Delete this chat? This cannot be undone.")
        if answer == QMessageBox.StandardButton.Yes:
            self.chats.delete_chat(chat_id)

    def copy_last_answer(self) -> None:
        if self.chat_pane.turns:
            self.chat_pane.turns[-1].copy_answer()
            self.statusBar().showMessage("Answer copied", 3000)

    def on_escape(self) -> None:
        if self.chats.busy:
            self.chats.stop()
            self.statusBar().showMessage("Stopping…", 2000)
        elif self.viewer is not None and self.viewer.isVisible():
            self.viewer.hide()

    # ---- viewer -------------------------------------------------------------------------------
    def _ensure_viewer(self) -> Any:
        created = self.viewer is None
        if created:
            from docent.ui.widgets.source_viewer import SourceViewer

            self.viewer = SourceViewer()
            self.viewer.closeRequested.connect(self.viewer.hide)
            self.viewer.textRequested.connect(self.library.load_text)
            self.splitter.addWidget(self.viewer)
            self.splitter.setStretchFactor(2, 1)
        if created or not self.viewer.isVisible():
            self.viewer.show()
            total = sum(self.splitter.sizes())
            left = min(self.splitter.sizes()[0], 350)
            viewer = max(420, int((total - left) * 0.5))
            self.splitter.setSizes([left, total - left - viewer, viewer])
        return self.viewer

    @Slot(object)
    def open_passage(self, passage: Passage) -> None:
        self._ensure_viewer().show_passage(passage)

    def open_document(self, path: str) -> None:
        self._ensure_viewer().show_document(path)

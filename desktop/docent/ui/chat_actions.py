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

VIEWER_MIN = 320  # px: the viewer is never narrower (a page stays readable)
CHAT_MIN = 340  # px: nor is the chat beside it

class ChatActions:
    library: Any
    chats: Any
    files: Any
    chat_pane: Any
    chat_list: Any
    splitter: Any
    viewer: Any
    viewer_window: Any  # widgets/viewer_window.py's ViewerWindow while the viewer is detached
    left: Any  # the library's tabs
    left_width: int  # the library's width before the viewer opened (saved instead of the squeezed one)
    act_viewer: Any
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
        elif self.viewer is not None and (self.viewer.isVisible() or self.viewer_window is not None):
            self.hide_viewer()

    # ---- viewer: a pane beside the chat that can be toggled (F9) or detached into its own window ----
    def _ensure_viewer(self) -> Any:
        if self.viewer is None:
            from docent.ui.widgets.source_viewer import SourceViewer

            self.viewer = SourceViewer()
            self.viewer.setMinimumWidth(VIEWER_MIN)
            self.viewer.closeRequested.connect(self.hide_viewer)
            self.viewer.detachRequested.connect(self.toggle_detached)
            self.viewer.textRequested.connect(self.library.load_text)
            self.splitter.addWidget(self.viewer)
            self.splitter.setStretchFactor(2, 1)
            self.viewer.hide()
        if self.viewer_window is not None:
            self.viewer_window.show()
            self.viewer_window.raise_()
        elif not self.viewer.isVisible():
            self._show_viewer_pane()
        return self.viewer

    def _show_viewer_pane(self) -> None:
        """Beside the chat: the library keeps its width (within what leaves the chat and the viewer
        their minimums), the chat and the viewer share the rest."""
        sizes = self.splitter.sizes()
        total = sum(sizes)
        self.left_width = sizes[0]  # what is saved while the viewer squeezes the library
        left = max(self.left.minimumWidth(), min(sizes[0], total - CHAT_MIN - VIEWER_MIN))
        rest = total - left
        viewer = max(VIEWER_MIN, rest // 2)
        chat = max(CHAT_MIN, rest - viewer)
        self.viewer.show()
        self.splitter.setSizes([left, chat, rest - chat])
        self.act_viewer.setChecked(True)

    def hide_viewer(self) -> None:
        if self.viewer_window is not None:
            self.viewer_window.close()  # takes the viewer back, hidden
            return
        if self.viewer is not None and self.viewer.isVisible():
            total = sum(self.splitter.sizes())
            self.viewer.hide()
            left = self.left_width or self.splitter.sizes()[0]
            self.splitter.setSizes([left, total - left, 0])
        self.act_viewer.setChecked(False)

    def toggle_viewer(self) -> None:
        """View › Source viewer (F9): show the viewer with what it showed last, or hide it."""
        shown = self.viewer is not None and (self.viewer_window is not None or self.viewer.isVisible())
        if shown:
            self.hide_viewer()
        elif self.viewer is not None and self.viewer.path:
            self._ensure_viewer()
        else:
            self.act_viewer.setChecked(False)
            self.statusBar().showMessage("Click a [number] in an answer, or double-click a document, to open the viewer", 6000)

    def toggle_detached(self) -> None:
        """⧉: the viewer in a window of its own, or back beside the chat."""
        from docent.ui.widgets.viewer_window import ViewerWindow

        if self.viewer is None:
            return
        if self.viewer_window is not None:
            self.viewer_window.close()
            self._ensure_viewer()
            return
        if self.viewer.isVisible():
            self.hide_viewer()
        window = ViewerWindow(self.viewer, self)  # reparents the viewer
        self.viewer.show()
        window.closing.connect(self._viewer_window_closed)
        self.viewer_window = window
        window.show()
        self.act_viewer.setChecked(True)

    def _viewer_window_closed(self) -> None:
        window, self.viewer_window = self.viewer_window, None
        if self.viewer is not None:
            self.viewer.hide()
            self.splitter.addWidget(self.viewer)  # back in the splitter, hidden
        if window is not None:
            window.deleteLater()
        self.act_viewer.setChecked(False)

    @Slot(object, str)
    def open_passage(self, passage: Passage, support: str = "") -> None:
        self._ensure_viewer().show_passage(passage, support)

    def open_document(self, path: str) -> None:
        self._ensure_viewer().show_document(path)

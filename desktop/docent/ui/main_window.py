"""The main window: the library on the left (documents and saved chats), the chat in the middle, the
source viewer on the right when a citation is opened. It wires widgets to controllers and holds no
state of its own beyond what is on screen."""

from __future__ import annotations

import heapq
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from docent.settings import Settings, host_port
from docent.ui.chat_actions import CHAT_MIN, ChatActions
from docent.ui.controllers import (
    ChatController,
    DocRow,
    FilesController,
    IndexProgress,
    LibraryController,
    LibraryState,
    model_label,
)
from docent.ui.dialog_actions import DialogActions
from docent.ui.library_actions import LibraryActions
from docent.ui.menus import build_menus
from docent.ui.widgets.banner import Banner
from docent.ui.widgets.chat_list import ChatList
from docent.ui.widgets.chat_pane import ChatPane
from docent.ui.widgets.library_pane import MIN_WIDTH as LIBRARY_MIN
from docent.ui.widgets.library_pane import LibraryPane, dropped_paths

log = logging.getLogger(__name__)

LIBRARY_DEFAULT = 340  # px: the library's width at the first start


class MainWindow(ChatActions, LibraryActions, DialogActions, QMainWindow):
    def __init__(
        self,
        library: LibraryController,
        chats: ChatController,
        files: FilesController,
        registry: Any = None,  # docent.core.storage.registry.Registry: named libraries (None: just this one)
        window_state: QSettings | None = None,
        log_file: Path | None = None,
        resources: Path | None = None,
    ) -> None:
        super().__init__()
        self.library = library
        self.chats = chats
        self.files = files
        self.registry = registry
        self.window_state = window_state
        self.log_file = log_file
        self.resources = resources
        self.viewer: Any = None  # SourceViewer, built on first use (QtPdf loads then)
        self.viewer_window: Any = None  # its own window while it is detached
        self.left_width = 0  # the library's width before the viewer opened beside it
        self._closing = False
        self._gpu: bool | None = None
        from docent.ui.controllers.privacy import PrivacyController

        self.privacy = PrivacyController(log_file=log_file, parent=self)  # the privacy self-test, on its own lane
        self.setWindowTitle("Docent")
        self.setAcceptDrops(True)
        self.resize(1280, 800)

        self.library_pane = LibraryPane()
        self.chat_list = ChatList()
        self.left = QTabWidget()
        self.left.setDocumentMode(True)
        self.left.addTab(self.library_pane, "Documents")
        self.left.addTab(self.chat_list, "Chats")
        self.left.setMinimumWidth(LIBRARY_MIN)
        self.chat_pane = ChatPane()
        self.chat_pane.setMinimumWidth(CHAT_MIN)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.left)
        self.splitter.addWidget(self.chat_pane)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([LIBRARY_DEFAULT, 1280 - LIBRARY_DEFAULT])

        central = QWidget()
        v = QVBoxLayout(central)
        v.setContentsMargins(6, 6, 6, 0)
        v.setSpacing(6)
        self.banner = Banner()
        v.addWidget(self.banner)
        v.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.model_label = QToolButton()
        self.model_label.setObjectName("link")
        self.model_label.clicked.connect(self.open_models)
        self.statusBar().addPermanentWidget(self.model_label)
        if log_file is not None:
            log_link = QToolButton()
            log_link.setObjectName("link")
            log_link.setText("Log")
            log_link.setToolTip(f"Log file: {log_file}\nClick to read its last lines")
            log_link.clicked.connect(self.show_log)
            self.statusBar().addPermanentWidget(log_link)

        build_menus(self)
        self._connect()
        self._restore_state()
        self._update_model_label(library.settings)

    # ---- construction -------------------------------------------------------------------------
    def _connect(self) -> None:
        lib, chats, pane, chat = self.library, self.chats, self.library_pane, self.chat_pane
        lib.opening.connect(self._on_opening)
        lib.opened.connect(self._on_opened)
        lib.openFailed.connect(self._on_open_failed)
        lib.passphraseNeeded.connect(self._on_passphrase_needed)
        lib.rowsReset.connect(self._on_rows_reset)
        lib.rowChanged.connect(self._on_row_changed)
        lib.rootsChanged.connect(self._on_roots)
        lib.indexingChanged.connect(self._on_indexing)
        lib.progress.connect(self._on_progress)
        lib.settingsChanged.connect(self._update_model_label)
        lib.message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        lib.restartNeeded.connect(lambda why: self.show_error(why, "Restart now", self.restart, kind="info"))
        lib.notice.connect(self.show_notice)
        lib.error.connect(self.show_error)

        pane.addFolderRequested.connect(self.add_folder_dialog)
        pane.addFilesRequested.connect(self.add_files_dialog)
        pane.pathsDropped.connect(self.add_paths)
        pane.removeRequested.connect(self.remove_path)
        pane.openRequested.connect(self.open_document)
        pane.scopeRequested.connect(chats.set_scope)
        pane.syncRequested.connect(lambda force: self.reindex_everything() if force else lib.sync())
        pane.cancelRequested.connect(lib.cancel_indexing)

        chats.chatLoaded.connect(self._on_chat_loaded)
        chats.chatsChanged.connect(self.chat_list.set_chats)
        chats.turnStarted.connect(self._on_turn_started)
        chats.turnSources.connect(self._on_turn_sources)
        chats.turnTokens.connect(chat.turn_tokens)
        chats.turnProgress.connect(chat.turn_progress)
        chats.turnFinished.connect(self._on_turn_finished)
        chats.busyChanged.connect(chat.set_busy)
        chats.scopeChanged.connect(chat.set_scope)
        chats.error.connect(self.show_error)

        chat.askRequested.connect(self.ask)
        chat.stopRequested.connect(chats.stop)
        chat.wholeToggled.connect(chats.set_whole)
        chat.regenerateRequested.connect(chats.regenerate)
        chat.newChatRequested.connect(chats.new_chat)
        chat.exportRequested.connect(self.export_chat)
        chat.passageActivated.connect(self.open_passage)
        chat.scopeCleared.connect(lambda: chats.set_scope([]))
        chat.addFolderRequested.connect(self.add_folder_dialog)
        chat.samplesRequested.connect(self.add_samples)

        self.chat_list.chatRequested.connect(chats.open_chat)
        self.chat_list.deleteRequested.connect(self.delete_chat)
        self.chat_list.newChatRequested.connect(chats.new_chat)

        self.library.textLoaded.connect(lambda p, t: self.viewer.set_text(p, t) if self.viewer else None)
        self.library.textFailed.connect(lambda p, r: self.viewer.set_text_failed(p, r) if self.viewer else None)
        self.files.gpuSupport.connect(self._on_gpu)

    # ---- window state (QSettings holds geometry only) -----------------------------------------
    def _restore_state(self) -> None:
        s = self.window_state
        if s is None:
            return
        geometry = s.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        try:
            left = int(s.value("leftWidth", 0) or 0)
        except (TypeError, ValueError):
            left = 0
        total = max(sum(self.splitter.sizes()), self.width())
        if LIBRARY_MIN <= left <= max(LIBRARY_MIN, total - CHAT_MIN):
            self.splitter.setSizes([left, total - left])

    def _save_state(self) -> None:
        s = self.window_state
        if s is None:
            return
        s.setValue("geometry", self.saveGeometry())
        viewer_beside = self.viewer is not None and self.viewer.isVisible() and self.viewer_window is None
        # the library's own width, not the one the viewer squeezed it to
        s.setValue("leftWidth", self.left_width if viewer_beside and self.left_width else self.splitter.sizes()[0])
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing:
            self._closing = True
            self._save_state()
            if self.viewer_window is not None:
                self.viewer_window.close()
            self.hide()
            self.chats.stop()
            self.library.shutdown()
            self.files.shutdown()
            self.privacy.shutdown()
        event.accept()

    # ---- library ------------------------------------------------------------------------------
    @Slot(str)
    def _on_opening(self, data_dir: str) -> None:
        name = self.registry.name_of(data_dir) if self.registry is not None else Path(data_dir).name
        self.setWindowTitle(f"Docent — {name}")
        self.statusBar().showMessage(f"Opening the library in {data_dir}…", 5000)
        if self.banner.property("kind") == "error":
            self.banner.hide()

    @Slot(object)
    def _on_opened(self, state: LibraryState) -> None:
        if getattr(state, "encrypted", False):
            from docent.core.storage.crypto import WHAT_IS_ENCRYPTED

            self.statusBar().showMessage(f"Library (encrypted): {state.data_dir}. {WHAT_IS_ENCRYPTED}", 10000)
        else:
            self.statusBar().showMessage(f"Library: {state.data_dir}", 5000)
        self._update_chat_state()

    @Slot(str, str)
    def _on_passphrase_needed(self, data_dir: str, why: str) -> None:
        """An encrypted library: ask its passphrase (again, saying so, after a wrong one)."""
        from PySide6.QtWidgets import QDialog

        from docent.ui.widgets.encryption import PassphraseDialog

        name = self.registry.name_of(data_dir) if self.registry is not None else Path(data_dir).name
        dialog = PassphraseDialog(name, why if "wrong passphrase" in why else "", self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.passphrase.text():
            self.library.open(Path(data_dir), passphrase=dialog.passphrase.text())
        else:
            self.show_error(f"The library “{name}” is encrypted and was not opened.", "Type its passphrase…",
                            lambda: self._on_passphrase_needed(data_dir, ""))

    @Slot(str)
    def _on_open_failed(self, message: str) -> None:
        self.show_error(f"The library could not be opened: {message}", "Open another library folder…",
                        self.open_library_folder)

    @Slot(list)
    def _on_rows_reset(self, rows: list[DocRow]) -> None:
        self.library_pane.set_rows(rows, self.library.roots)
        self._update_chat_state()

    @Slot(object)
    def _on_row_changed(self, row: DocRow) -> None:
        self.library_pane.update_row(row)
        if row.status == "indexed":
            self._update_chat_state()

    @Slot(list)
    def _on_roots(self, roots: list[str]) -> None:
        self.library_pane.set_roots(roots)
        self._update_chat_state()

    @Slot(bool)
    def _on_indexing(self, on: bool) -> None:
        self.library_pane.set_indexing(on)
        self.act_cancel.setEnabled(on)
        self._update_chat_state()

    @Slot(object)
    def _on_progress(self, p: IndexProgress) -> None:
        self.library_pane.update_progress(p)

    def _update_chat_state(self) -> None:
        done = [r for r in self.library.rows.values()  # a document being read again is still searchable
                if r.status == "indexed" or (r.status == "indexing" and r.chunks)]
        latest = heapq.nlargest(2, done, key=lambda r: r.indexed_at or 0)  # what the user just added
        titles = [Path(r.path).stem.replace("_", " ") for r in latest]
        self.chat_pane.set_library_state(len(done), bool(self.library.roots), self.library.indexing, titles)

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder to the library", str(Path.home()))
        if folder:
            self.add_paths([folder])

    def add_files_dialog(self) -> None:
        from docent.core.ingest.extract import SUPPORTED_SUFFIXES

        from docent.core.ingest.extract.common import KINDS

        patterns = " ".join(f"*{s}" for s in sorted(SUPPORTED_SUFFIXES))  # the indexer's own list
        by_kind = ";;".join(f"{k} ({' '.join(f'*{s}' for s in sorted(KINDS) if KINDS[s] == k)})"
                            for k in sorted(set(KINDS.values())))
        files, _ = QFileDialog.getOpenFileNames(
            self, "Add documents to the library", str(Path.home()),
            f"Documents ({patterns});;{by_kind};;All files (*)")
        if files:
            self.add_paths(files)

    def add_paths(self, paths: list[str]) -> None:
        if not self.library.is_open:
            self.show_error("No library is open yet; wait a moment or open a library folder.")
            return
        problems = self.library.add_paths(paths)
        if problems:
            self.show_error("Some items were not added: " + "; ".join(problems[:5]), kind="info")
        self.left.setCurrentWidget(self.library_pane)

    def add_samples(self) -> None:
        samples = (self.resources / "samples") if self.resources else None
        if samples is None or not samples.is_dir():
            self.show_error("The sample documents are not installed with this copy of Docent.", kind="info")
            return
        self.add_paths([str(samples)])

    def remove_path(self, path: str) -> None:
        root = path in self.library.roots
        name = Path(path).name or path
        text = (f"Stop following “{name}” and remove its documents from the library?" if root
                else f"Remove “{name}” from the library? It will not be indexed again.")
        answer = QMessageBox.question(self, "Remove from library", text + "\n\nThe files themselves are not touched.",
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Yes)
        if answer == QMessageBox.StandardButton.Yes:
            self.library.remove_path(path)

    def focus_filter(self) -> None:
        self.left.setCurrentWidget(self.library_pane)
        self.library_pane.focus_filter()

    @Slot(bool)
    def _on_gpu(self, ok: bool) -> None:
        self._gpu = ok

    def _update_model_label(self, settings: Settings) -> None:
        if settings.llm_server:  # answers come from the office's server (Settings › Office servers)
            self.model_label.setText(f"Model: on the server {host_port(settings.llm_server)}")
            self.model_label.setToolTip(f"Answers come from the model server {settings.llm_server}; "
                                        f"{model_label(settings.chat_model)} on this computer measures the prompts. "
                                        "Click to manage models.")
            return
        self.model_label.setToolTip("The chat model that writes answers — click to manage models")
        self.model_label.setText(f"Model: {model_label(settings.chat_model)}")

    # ---- messages -----------------------------------------------------------------------------
    def show_error(self, message: str, action: str = "", callback: Any = None, kind: str = "error") -> None:
        log.info("shown to the user: %s", message)
        self.banner.show_message(message, kind, action, callback)

    def show_notice(self, message: str) -> None:
        """Something to know, not an error: in the banner (as information) unless an error is shown
        there, then in the status bar; in the log either way."""
        if self.banner.isVisible() and self.banner.property("kind") == "error":
            log.info("said in the status bar: %s", message)
            self.statusBar().showMessage(message, 15000)
            return
        self.show_error(message, kind="info")

    # ---- drag and drop ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event)
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)


"""The library pane: followed folders and their documents with their state, a filter, add and remove,
drag and drop, and the indexing progress."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from docent.core.ingest.extract.common import KINDS
from docent.core.types import attachment_of
from docent.ui.controllers import DocRow, IndexProgress
from docent.ui.models.documents import KIND_ROLE, PATH_ROLE, DocumentsModel
from docent.ui.widgets.name_delegate import NameDelegate
from docent.ui.widgets.progress import IndexProgressWidget


def _on_disk(path: str) -> str:
    """The file a row's document is read from: an e-mail's attachment is in its message."""
    attached = attachment_of(path)
    return attached[0] if attached else path


def dropped_paths(event: QDropEvent | QDragEnterEvent) -> list[str]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]


NARROW_TREE = 330  # px: below this the Pages and Passages columns are hidden, for the names
MIN_WIDTH = 250  # px: the pane never gets narrower (a file name stays readable)
FILTER_DEBOUNCE_MS = 150  # in a big library the filter waits for a pause in typing
FILTER_DEBOUNCE_FROM = 1000  # documents: below this every keystroke filters at once


class LibraryPane(QWidget):
    """Signals:
        addFolderRequested(): the user wants to pick a folder
        addFilesRequested(): the user wants to pick files
        pathsDropped(list): files or folders dropped on the pane
        removeRequested(str): stop following / exclude this path
        openRequested(str): show this document in the viewer
        scopeRequested(list): limit questions to these paths
        syncRequested(bool): check for changes now (True: re-read everything)
        cancelRequested(): stop indexing
        filterApplied(str): the filter text now applied to the tree (after a pause in typing, in a
            big library)
    """

    addFolderRequested = Signal()
    addFilesRequested = Signal()
    pathsDropped = Signal(list)
    removeRequested = Signal(str)
    openRequested = Signal(str)
    scopeRequested = Signal(list)
    syncRequested = Signal(bool)
    cancelRequested = Signal()
    filterApplied = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setMinimumWidth(MIN_WIDTH)
        self.model = DocumentsModel(self)
        self.proxy = self.model  # what the tree shows: the model filters and sorts itself
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DEBOUNCE_MS)
        self._filter_timer.timeout.connect(self._apply_filter)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)

        buttons = QHBoxLayout()
        self.add_folder = QPushButton("Add folder…")
        self.add_folder.setToolTip("Add a folder: its PDFs, Word, PowerPoint, Excel, e-mail, web page, EPUB, OpenDocument, RTF, text and "
                                   "Markdown files are indexed and kept up to date")
        self.add_folder.clicked.connect(self.addFolderRequested)
        self.add_files = QPushButton("Add files…")
        self.add_files.clicked.connect(self.addFilesRequested)
        self.more = QToolButton()
        self.more.setText("⋯")
        self.more.setToolTip("More library actions")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more_menu = QMenu(self.more)
        self.sync_action = more_menu.addAction("Check for changes now")
        self.sync_action.triggered.connect(lambda: self.syncRequested.emit(False))
        self.reindex_action = more_menu.addAction("Re-index everything…")
        self.reindex_action.setToolTip("Read every document again (after changing how documents are split)")
        self.reindex_action.triggered.connect(lambda: self.syncRequested.emit(True))
        more_menu.addSeparator()
        self.remove_action = more_menu.addAction("Remove selected from library")
        self.remove_action.triggered.connect(self._remove_selected)
        self.more.setMenu(more_menu)
        buttons.addWidget(self.add_folder)
        buttons.addWidget(self.add_files)
        buttons.addStretch(1)
        buttons.addWidget(self.more)
        layout.addLayout(buttons)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter documents (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._on_filter)
        self.kind = QComboBox()  # documents of one kind only: "PowerPoint", "E-mail"...
        self.kind.setToolTip("Show documents of one kind only")
        self.kind.addItem("All kinds", "")
        for kind in sorted(set(KINDS.values())):
            self.kind.addItem(kind, kind)
        self.kind.currentIndexChanged.connect(self._on_kind)
        filters = QHBoxLayout()
        filters.addWidget(self.filter, 1)
        filters.addWidget(self.kind)
        layout.addLayout(filters)

        self.stack = QStackedWidget()
        self.empty = self._build_empty()
        self.stack.addWidget(self.empty)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.doubleClicked.connect(self._activated)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        metrics = header.fontMetrics()
        header.resizeSection(2, metrics.horizontalAdvance("Pages") + 16)
        header.resizeSection(3, metrics.horizontalAdvance("Passages") + 16)
        header.resizeSection(1, 120)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)  # a status reads "12 indexed, 1 fa…"
        self.names = NameDelegate(self.tree)  # names elided with their extension kept, twins with their folder
        self.names.duplicates = self.model.duplicates  # kept up to date by the model
        self.tree.setItemDelegateForColumn(0, self.names)
        self.tree.setIndentation(16)
        self.tree.viewport().installEventFilter(self)  # the status column follows the tree's own width
        self.stack.addWidget(self.tree)
        layout.addWidget(self.stack, 1)

        self.no_match = QLabel("No document matches the filter.")
        self.no_match.setObjectName("hint")
        self.no_match.hide()
        layout.addWidget(self.no_match)

        self.summary = QLabel("")
        self.summary.setObjectName("hint")
        layout.addWidget(self.summary)

        self.progress = IndexProgressWidget()
        self.progress.cancelRequested.connect(self.cancelRequested)
        self.progress.hide()
        layout.addWidget(self.progress)

        delete = QAction("Remove", self.tree)
        delete.setShortcut(QKeySequence.StandardKey.Delete)
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(self._remove_selected)
        self.tree.addAction(delete)
        self._roots: list[str] = []
        self._unfiltered_expanded: set[str] | None = None  # while filtering: the folders open before
        self._update_stack()

    def _build_empty(self) -> QWidget:
        frame = QFrame()
        frame.setObjectName("emptyState")
        v = QVBoxLayout(frame)
        v.addStretch(1)
        title = QLabel("No documents yet")
        title.setObjectName("emptyTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QLabel(
            "Add a folder of PDFs, Word files, text or Markdown files.\n"
            "Docent reads them on this computer and keeps the index up to date.\n\n"
            "You can also drop files and folders here."
        )
        body.setObjectName("emptyBody")
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        button = QPushButton("Add folder…")
        button.setObjectName("primary")
        button.clicked.connect(self.addFolderRequested)
        v.addWidget(title)
        v.addSpacing(6)
        v.addWidget(body)
        v.addSpacing(10)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(button)
        row.addStretch(1)
        v.addLayout(row)
        v.addStretch(2)
        return frame

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.tree.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_status_column()
        return super().eventFilter(watched, event)

    def _fit_status_column(self) -> None:
        # the status column gives way to file names when the pane is narrow (the pane's own resize
        # comes before the tree's when the window is first shown, so this follows the tree's width)
        # and in a narrow pane Pages and Passages make way (they are in each row's tooltip)
        header = self.tree.header()
        width = self.tree.viewport().width()
        narrow = width < NARROW_TREE
        for column in (2, 3):
            self.tree.setColumnHidden(column, narrow)
        counts = 0 if narrow else header.sectionSize(2) + header.sectionSize(3)
        status_min = header.fontMetrics().horizontalAdvance("100 indexed") + 24
        header.resizeSection(1, max(status_min, min(130, width - counts - 200)))

    # ---- state --------------------------------------------------------------------------------
    def set_rows(self, rows: list[DocRow], roots: list[str] | None = None) -> None:
        if roots is not None:
            self._roots = list(roots)
        expanded = self._expanded_paths()
        self.model.reset(rows, self._roots)
        self._restore_expanded(expanded)
        self._update_stack()

    def set_roots(self, roots: list[str]) -> None:
        if list(roots) == self._roots:
            return  # the tree already has them (the window is told the roots right after the rows)
        self._roots = list(roots)
        self.set_rows(list(self.model.rows.values()))

    def update_row(self, row: DocRow) -> None:
        self.model.update_row(row)
        self._update_stack()

    def _expanded_paths(self) -> set[str]:
        out: set[str] = set()

        def walk(parent: QModelIndex) -> None:
            for r in range(self.model.rowCount(parent)):
                idx = self.model.index(r, 0, parent)
                if self.tree.isExpanded(idx):
                    out.add(idx.data(PATH_ROLE))
                    walk(idx)

        walk(QModelIndex())
        return out

    def _restore_expanded(self, paths: set[str]) -> None:
        first = not paths
        for r in range(self.model.rowCount()):
            idx = self.model.index(r, 0)
            if first or idx.data(PATH_ROLE) in paths:
                self.tree.expand(idx)
        for path in paths:
            index = self.model.index_of(path)
            if index.isValid():
                self.tree.expand(index)

    def _update_stack(self) -> None:
        empty = self.model.document_count() == 0 and not self._roots
        self.stack.setCurrentWidget(self.empty if empty else self.tree)
        self.filter.setEnabled(not empty)
        self.kind.setEnabled(not empty)
        indexed, problems, pages = self.model.summary()
        if empty:
            self.summary.setText("")
        else:
            text = f"{indexed} document{'s' if indexed != 1 else ''} indexed"
            if pages:
                text += f" · {pages} pages"
            if problems:
                text += f" · {problems} not indexed (hover for the reason)"
            self.summary.setText(text)

    def set_indexing(self, on: bool) -> None:
        self.progress.setVisible(on)

    def update_progress(self, p: IndexProgress) -> None:
        self.progress.update_progress(p)

    def focus_filter(self) -> None:
        if self.filter.isEnabled():
            self.filter.setFocus()
            self.filter.selectAll()

    def _on_kind(self, _index: int) -> None:
        kind = str(self.kind.currentData() or "")
        self._before_filter()
        self.model.set_kind(kind)
        self._after_filter()
        self.filterApplied.emit(self.filter.text().strip())

    def _on_filter(self, _text: str) -> None:
        if self.model.document_count() >= FILTER_DEBOUNCE_FROM:
            self._filter_timer.start()  # (again): the tree is filtered once typing pauses
        else:
            self._apply_filter()

    def _apply_filter(self) -> None:
        self._filter_timer.stop()
        text = self.filter.text().strip()
        self._before_filter()
        self.model.set_filter(text)
        self._after_filter()
        self.filterApplied.emit(text)

    def _before_filter(self) -> None:
        if not self.model.filtering():  # the tree as the user left it, to come back to
            self._unfiltered_expanded = self._expanded_paths()

    def _after_filter(self) -> None:
        if self.model.filtering():
            self.tree.expandAll()  # lays the filtered tree out once (the model's change is laid out lazily)
        elif self._unfiltered_expanded is not None:
            # back to the folders open before filtering (not every folder a match opened), with
            # the row the user picked meanwhile in view
            expanded, self._unfiltered_expanded = self._unfiltered_expanded, None
            current = self.tree.currentIndex()
            self.tree.collapseAll()
            self._restore_expanded(expanded)
            if current.isValid():
                parent = current.parent()
                while parent.isValid():
                    self.tree.expand(parent)
                    parent = parent.parent()
                self.tree.scrollTo(current)
        matched, listed = self.model.matches()
        if self.model.filtering() and not matched:
            self.no_match.setText("No document matches the filter.")
        elif listed < matched:
            self.no_match.setText(f"Showing the first {listed:,} of {matched:,} matching documents: type more to narrow them down.")
        self.no_match.setVisible(self.model.filtering() and (not matched or listed < matched))

    # ---- actions ------------------------------------------------------------------------------
    def selected_paths(self) -> list[str]:
        out: list[str] = []
        for idx in self.tree.selectionModel().selectedRows(0):
            path = idx.data(PATH_ROLE)
            if path and path not in out:
                out.append(path)
        return out

    def _remove_selected(self) -> None:
        for path in self.selected_paths():
            self.removeRequested.emit(path)

    def _activated(self, index: QModelIndex) -> None:
        if index.data(KIND_ROLE) in ("doc", "root") and os.path.isfile(_on_disk(index.data(PATH_ROLE) or "")):
            self.openRequested.emit(index.data(PATH_ROLE))

    def _context_menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if not index.isValid():
            return
        path: str = index.data(PATH_ROLE)
        kind: str = index.data(KIND_ROLE)
        file = _on_disk(path)  # an attachment's: its message
        is_file = os.path.isfile(file)
        menu = QMenu(self)
        if is_file:
            menu.addAction("Show in viewer", lambda: self.openRequested.emit(path))
            menu.addAction("Open in system viewer", lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(file)))
        menu.addAction("Show in folder", lambda: QDesktopServices.openUrl(
            QUrl.fromLocalFile(path if os.path.isdir(path) else str(Path(file).parent))))
        selected = self.selected_paths() or [path]
        if path not in selected:
            selected = [path]
        label = "Ask about this only" if len(selected) == 1 else f"Ask about these {len(selected)} only"
        menu.addAction(label, lambda: self.scopeRequested.emit(selected))
        menu.addSeparator()
        if kind == "root":
            menu.addAction("Stop following (remove from library)", lambda: self.removeRequested.emit(path))
        else:
            menu.addAction("Remove from library", lambda: self.removeRequested.emit(path))
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    # ---- drag and drop ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_paths(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragEnterEvent) -> None:  # type: ignore[override]
        if dropped_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event)
        if paths:
            event.acceptProposedAction()
            self.pathsDropped.emit(paths)

"""The source viewer: a cited passage in its document. PDFs render in the window (QtPdf) at the cited
page with the whole passage highlighted and the sentence that supports the answer marked more
strongly (pdf_highlight.py); Word, text and Markdown files, and an e-mail's attachments of any kind,
show their text as it was indexed (from the library's catalog: the file is not parsed in the window's
process), highlighted the same way and scrolled into view. "Open in system viewer" hands the file to the desktop; a button detaches the viewer
into its own window."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QDesktopServices, QTextCharFormat, QTextCursor
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QStyle,
    QTextBrowser,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from docent.core.storage.chats import Passage
from docent.core.types import attachment_of
from docent.ui.theme import is_dark
from docent.ui.widgets.passage_span import locate_passage
from docent.ui.widgets.pdf_highlight import PdfPageView, passage_marks

ABOVE_PASSAGE = 48  # px of what comes before a passage kept in view above it


class SourceViewer(QWidget):
    """Signals:
        closeRequested(): hide the viewer
        detachRequested(): show the viewer in its own window (or back beside the chat)
        textRequested(str): load this document's text (answer with set_text or set_text_failed)
        passageShown(str, int): a document was shown (path, 1-based page or 0 for text)
    """

    closeRequested = Signal()
    detachRequested = Signal()
    textRequested = Signal(str)
    passageShown = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceViewer")
        self.passage: Passage | None = None
        self.path = ""
        self.mode = "none"  # "pdf" | "text" | "message" | "none"
        self.highlight = ""  # the text that is highlighted (for tests and the status line)
        self.support = ""  # the passage's sentence that supports the answer (marked more strongly)
        self._pdf_path = ""
        self._target: tuple[int, float] | None = None  # (page index, points from its top) to keep in view
        self.target_visible = False
        self._applying = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)

        header = QFrame()
        header.setObjectName("viewerHeader")
        h = QHBoxLayout(header)
        h.setContentsMargins(10, 6, 6, 6)
        titles = QVBoxLayout()
        titles.setSpacing(0)
        self.name = QLabel("")
        font = self.name.font()
        font.setBold(True)
        self.name.setFont(font)
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.location = QLabel("")
        self.location.setObjectName("hint")
        self.location.setTextFormat(Qt.TextFormat.PlainText)
        for label in (self.name, self.location):  # long names and heading paths must not widen the pane
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(40)
        titles.addWidget(self.name)
        titles.addWidget(self.location)
        h.addLayout(titles, 1)
        self.open_external = QPushButton("Open in system viewer")
        self.open_external.setToolTip("Open the file with the program your computer uses for it")
        self.open_external.clicked.connect(self.open_in_system_viewer)
        h.addWidget(self.open_external)
        self.detach = QToolButton()
        self.detach.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarNormalButton))
        self.detach.setToolTip("Show the viewer in its own window (again: back beside the chat)")
        self.detach.clicked.connect(self.detachRequested)
        h.addWidget(self.detach)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Close the viewer")
        close.clicked.connect(self.closeRequested)
        h.addWidget(close)
        layout.addWidget(header)

        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)

        # PDF
        self.pdf_page = QWidget()
        pv = QVBoxLayout(self.pdf_page)
        pv.setContentsMargins(0, 0, 0, 0)
        pv.setSpacing(0)
        self.document = QPdfDocument(self)
        self.pdf = PdfPageView(self.pdf_page)
        self.pdf.setDocument(self.document)
        self.pdf.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        pv.addWidget(self.pdf, 1)
        nav = QHBoxLayout()
        nav.setContentsMargins(8, 4, 8, 4)
        self.prev_page = QToolButton()
        self.prev_page.setText("◀")
        self.prev_page.setToolTip("Previous page")
        self.prev_page.clicked.connect(lambda: self.go_to_page(self.current_page() - 1))
        self.page_box = QSpinBox()
        self.page_box.setMinimum(1)
        self.page_box.setKeyboardTracking(False)
        self.page_box.valueChanged.connect(lambda v: self.go_to_page(v) if v != self.current_page() else None)
        self.page_count = QLabel("of 0")
        self.next_page = QToolButton()
        self.next_page.setText("▶")
        self.next_page.setToolTip("Next page")
        self.next_page.clicked.connect(lambda: self.go_to_page(self.current_page() + 1))
        zoom_out = QToolButton()
        zoom_out.setText("−")
        zoom_out.setToolTip("Zoom out")
        zoom_out.clicked.connect(lambda: self._zoom(1 / 1.2))
        zoom_in = QToolButton()
        zoom_in.setText("+")
        zoom_in.setToolTip("Zoom in")
        zoom_in.clicked.connect(lambda: self._zoom(1.2))
        fit = QToolButton()
        fit.setText("Fit width")
        fit.setToolTip("Fit the page's width to the viewer (the page being read stays in view)")
        fit.clicked.connect(lambda: self._zoom(0))
        for w in (self.prev_page, QLabel("Page"), self.page_box, self.page_count, self.next_page):
            nav.addWidget(w)
        nav.addStretch(1)
        for w in (zoom_out, zoom_in, fit):
            nav.addWidget(w)
        pv.addLayout(nav)
        self.pdf.pageNavigator().currentPageChanged.connect(self._on_page_changed)
        self.pdf.verticalScrollBar().actionTriggered.connect(self._user_scrolled)
        self.pdf.installEventFilter(self)
        self.stack.addWidget(self.pdf_page)

        # text
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.text.document().setDocumentMargin(16)
        self.stack.addWidget(self.text)

        # messages (loading, errors)
        self.message = QLabel("")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setObjectName("emptyBody")
        self.message.setMargin(24)
        self.stack.addWidget(self.message)

    # ---- showing ------------------------------------------------------------------------------
    def show_passage(self, passage: Passage, support: str = "") -> None:
        """`support`: the sentence of the passage that supports the answer (marked more strongly)."""
        self.passage = passage
        self.support = support
        self._show(passage.path, passage.location, passage.page)

    def show_document(self, path: str) -> None:
        self.passage = None
        self.support = ""
        self._show(path, "", None)

    def _show(self, path: str, location: str, page: int | None) -> None:
        self.path = path
        self._target = None
        self.highlight = ""
        self.pdf.set_marks([])
        p = Path(path)
        attached = attachment_of(path)  # an e-mail's attachment: its text from the catalog, whatever its kind
        where = f"attached to {Path(attached[0]).name}" if attached else str(p.parent)
        self.name.setText(p.name)
        self.name.setToolTip(path)
        self.location.setText(location or where)
        self.location.setToolTip(location or where)
        on_disk = Path(attached[0]) if attached else p
        if not on_disk.is_file():
            self._message(f"{on_disk.name} is no longer at\n{on_disk}\n\nIt was moved or deleted after it was indexed.")
            self.open_external.setEnabled(False)
            return
        self.open_external.setEnabled(True)
        if p.suffix.lower() == ".pdf" and not attached:
            self._show_pdf(path, page or 1)
        else:
            self._message("Loading the document…")
            self.textRequested.emit(path)

    def _message(self, text: str) -> None:
        self.mode = "message"
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    # ---- PDF ----------------------------------------------------------------------------------
    def _show_pdf(self, path: str, page: int) -> None:
        if self._pdf_path != path or self.document.status() != QPdfDocument.Status.Ready:
            self.document.close()
            err = self.document.load(path)
            if err != QPdfDocument.Error.None_:
                self._pdf_path = ""
                reason = {
                    QPdfDocument.Error.IncorrectPassword: "it is protected by a password",
                    QPdfDocument.Error.UnsupportedSecurityScheme: "its encryption is not supported",
                    QPdfDocument.Error.InvalidFileFormat: "it is not a valid PDF",
                    QPdfDocument.Error.FileNotFound: "the file was not found",
                    QPdfDocument.Error.DataNotYetAvailable: "the file could not be read yet",
                }.get(err, "it could not be opened")
                self._message(f"This PDF cannot be shown here: {reason}.\nUse “Open in system viewer”.")
                return
            self._pdf_path = path
        self.mode = "pdf"
        self.stack.setCurrentWidget(self.pdf_page)
        count = self.document.pageCount()
        self.page_box.blockSignals(True)
        self.page_box.setMaximum(max(1, count))
        self.page_box.blockSignals(False)
        self.page_count.setText(f"of {count}")
        page = max(1, min(page, count))
        self.go_to_page(page)
        if self.passage is not None:
            self._highlight_pdf(page - 1, self.passage.text)
        self.passageShown.emit(path, page)

    def go_to_page(self, page: int, y_points: float = 0.0) -> None:
        """Show a 1-based page, `y_points` from its top (PDF points), and keep it there while the
        view is laid out again (until the user scrolls)."""
        if self.mode != "pdf" or not self.document.pageCount():
            return
        page = max(1, min(page, self.document.pageCount()))
        self._target = (page - 1, y_points)
        self._apply_target()

    def _apply_target(self) -> None:
        if self._target is None or self.mode != "pdf":
            return
        index, y = self._target
        bar = self.pdf.verticalScrollBar()
        self._applying = True
        try:
            self.pdf.scroll_to(index, y, ABOVE_PASSAGE if y > 0 else 0)
        finally:
            self._applying = False
        # near the end of a document the view cannot scroll that far: the point is still in view
        wanted = self.pdf.page_rect(index).y() + int(y * self.pdf.scale(index))
        self.target_visible = bar.value() <= wanted < bar.value() + self.pdf.viewport().height()
        self._on_page_changed(index)

    def _user_scrolled(self, _action: int) -> None:
        if not self._applying:
            self._target = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.pdf and event.type() == QEvent.Type.Resize and self._target is not None:
            QTimer.singleShot(0, self._apply_target)  # the page layout changes with the width
        return super().eventFilter(watched, event)

    def current_page(self) -> int:
        """1-based page shown (PDF): the one navigated to, until the user scrolls elsewhere."""
        if self._target is not None and self.target_visible:
            return self._target[0] + 1
        return self.pdf.pageNavigator().currentPage() + 1

    def _on_page_changed(self, index: int) -> None:
        self.page_box.blockSignals(True)
        self.page_box.setValue(index + 1)
        self.page_box.blockSignals(False)
        self.prev_page.setEnabled(index > 0)
        self.next_page.setEnabled(index + 1 < self.document.pageCount())

    def _zoom(self, factor: float) -> None:
        """Zoom by `factor` (0: fit the width), keeping the page and the point being read."""
        keep = self._target
        if keep is None:
            self.pdf.zoom_by(factor) if factor else self.pdf.fit_width()
            index = self.pdf.anchor()[0]
        else:  # still where the viewer was sent: stay on that point
            self._applying = True
            try:
                self.pdf.zoom_by(factor) if factor else self.pdf.fit_width()
            finally:
                self._applying = False
            self._apply_target()
            index = keep[0]
        self._on_page_changed(index)

    def _highlight_pdf(self, page_index: int, passage: str) -> None:
        """Highlight the whole passage (its character boxes, across line, column and page breaks),
        the supporting sentence more strongly, and bring the passage's top into view."""
        marks = passage_marks(self.document, page_index, passage, self.support)
        self.pdf.set_marks(marks)
        if not marks:
            return
        self.highlight = " ".join(" ".join(m.text.split()) for m in marks if not m.strong)
        first = min((m for m in marks if not m.strong), key=lambda m: (m.page, min(r.y() for r in m.rects)))
        self.go_to_page(first.page + 1, max(1.0, min(r.y() for r in first.rects)))
        self.location.setText(f"{self.passage.location if self.passage else ''} — passage highlighted")

    # ---- text ---------------------------------------------------------------------------------
    def set_text(self, path: str, text: str) -> None:
        if path != self.path:
            return
        self.mode = "text"
        self.stack.setCurrentWidget(self.text)
        self.text.setPlainText(text)
        self.text.setExtraSelections([])
        if self.passage is None:
            self.text.moveCursor(QTextCursor.MoveOperation.Start)
            self.passageShown.emit(path, 0)
            return
        start, end = locate_passage(text, self.passage)
        if start < 0:
            self.location.setText(f"{self.passage.location} — the document changed since it was indexed; passage not found")
            self.passageShown.emit(path, 0)
            return
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        sel = QTextEdit.ExtraSelection()
        sel.cursor = cursor
        fmt = QTextCharFormat()
        fmt.setBackground(QColor("#6b5a12") if is_dark() else QColor("#fff1a8"))
        sel.format = fmt
        selections = [sel]
        at = text.find(self.support, start, end) if self.support else -1
        if at >= 0:  # the sentence that supports the answer, more strongly
            strong = QTextEdit.ExtraSelection()
            strong.cursor = QTextCursor(self.text.document())
            strong.cursor.setPosition(at)
            strong.cursor.setPosition(at + len(self.support), QTextCursor.MoveMode.KeepAnchor)
            strong_fmt = QTextCharFormat()
            strong_fmt.setBackground(QColor("#8a6a00") if is_dark() else QColor("#ffd35c"))
            strong.format = strong_fmt
            selections.append(strong)
        self.text.setExtraSelections(selections)
        self.highlight = text[start:end]
        self._scroll_text_to(start)
        QTimer.singleShot(0, lambda: self._scroll_text_to(start))
        self.passageShown.emit(path, 0)

    def set_text_failed(self, path: str, reason: str) -> None:
        if path == self.path:
            self._message(f"The text of {Path(path).name} cannot be shown: {reason}")

    def _scroll_text_to(self, pos: int) -> None:
        cursor = QTextCursor(self.text.document())
        cursor.setPosition(pos)
        self.text.setTextCursor(cursor)
        rect = self.text.cursorRect(cursor)
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.value() + rect.top() - self.text.viewport().height() // 4)

    # ---- outside ------------------------------------------------------------------------------
    def open_in_system_viewer(self) -> None:
        if self.path:
            attached = attachment_of(self.path)  # an attachment: its message
            QDesktopServices.openUrl(QUrl.fromLocalFile(attached[0] if attached else self.path))

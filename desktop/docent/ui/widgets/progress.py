"""Indexing progress: files and pages done, the current file, the time left, and Cancel."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from docent.ui.controllers import IndexProgress


def format_duration(seconds: float) -> str:
    if seconds < 45:
        return "less than a minute"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes:02d} min"


def describe_progress(p: IndexProgress) -> tuple[str, str]:
    """(main line, detail line) for the progress panel."""
    if p.phase == "preparing":
        return "Preparing to index…", "Loading the embedding model and looking for changes"
    if p.phase == "finishing":
        return "Finishing…", ""
    if not p.files_total:
        return "Checking your documents…", ""
    main = f"Indexing {min(p.files_done + (1 if p.current else 0), p.files_total)} of {p.files_total} files"
    if p.pages_done:
        main += f" · {p.pages_done} pages"
    detail = ""
    if p.current:
        detail = os.path.basename(p.current)
        done, total = p.current_pages
        ocr_done, ocr_total = p.current_ocr
        if total:
            detail += f" (page {done} of {total})"
        elif ocr_total:
            detail += f" (reading scanned pages: {ocr_done} of {ocr_total})"
    if p.seconds_left is not None:
        left = format_duration(p.seconds_left) + " left"
        detail = f"{detail} — {left}" if detail else left
    return main, detail


class IndexProgressWidget(QWidget):
    """Signals:
        cancelRequested(): the user pressed Cancel
    """

    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("indexProgress")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(3)
        top = QHBoxLayout()
        self.title = QLabel("Preparing to index…")
        self.title.setObjectName("progressTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        top.addWidget(self.title, 1)
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop indexing; documents already indexed are kept")
        self.cancel.clicked.connect(self.cancelRequested)
        top.addWidget(self.cancel)
        layout.addLayout(top)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        layout.addWidget(self.bar)
        self.detail = QLabel("")
        self.detail.setObjectName("hint")
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setMinimumWidth(50)
        layout.addWidget(self.detail)
        self.last: IndexProgress | None = None

    def update_progress(self, p: IndexProgress) -> None:
        self.last = p
        main, detail = describe_progress(p)
        self.title.setText(main)
        self.detail.setText(detail)
        self.detail.setToolTip(p.current)
        if p.phase == "preparing" or (p.phase == "indexing" and not p.files_total):
            self.bar.setRange(0, 0)  # busy indicator
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(1000 if p.phase == "finishing" else int(p.fraction * 1000))
        self.cancel.setEnabled(p.phase != "finishing")

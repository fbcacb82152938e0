"""Help › Show log file and the status bar's "Log": the end of Docent's log in a window (the last
lines, newest at the bottom), with buttons to open the whole file or its folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase, QTextCursor
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

TAIL_BYTES = 64_000


def log_tail(path: Path, max_bytes: int = TAIL_BYTES) -> str:
    """The last whole lines of a log file (up to `max_bytes`), or why there are none."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - max_bytes))
            data = fh.read()
    except FileNotFoundError:
        return f"Nothing has been logged yet ({path} does not exist)."
    except OSError as exc:
        return f"The log {path} cannot be read: {exc.strerror or exc}."
    text = data.decode("utf-8", errors="replace")
    if size > max_bytes and "\n" in text:
        text = text.split("\n", 1)[1]  # a partial first line
    return text.rstrip("\n") or "The log is empty."


class LogDialog(QDialog):
    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = path
        self.setWindowTitle("Docent's log")
        self.resize(900, 560)
        v = QVBoxLayout(self)
        where = QLabel(f"The end of {path}")
        where.setObjectName("hint")
        where.setWordWrap(True)
        v.addWidget(where)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        v.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_file = QPushButton("Open the log file")
        self.open_file.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        self.open_folder = QPushButton("Show its folder")
        self.open_folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))))
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        for b in (refresh, self.open_file, self.open_folder):
            buttons.addButton(b, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        v.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.text.setPlainText(log_tail(self.path))
        self.text.moveCursor(QTextCursor.MoveOperation.End)
        self.open_file.setEnabled(self.path.is_file())

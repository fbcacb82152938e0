"""Placeholder main window until the desktop app lands: shows the library's state and how to add
documents from the command line."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget


class MainWindow(QMainWindow):
    def __init__(self, data_dir: Path) -> None:
        super().__init__()
        self.setWindowTitle("Docent")
        self.resize(900, 600)
        body = QWidget()
        layout = QVBoxLayout(body)
        title = QLabel("<h1>Docent</h1><p>Ask questions about your documents — offline.</p>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(
            f"<p>Library: <code>{data_dir}</code></p>"
            "<p>Add a folder with <code>docent index FOLDER</code>, then ask with "
            "<code>docent ask \"QUESTION\"</code>. The full window is on its way.</p>"
        )
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addStretch(1)
        self.setCentralWidget(body)

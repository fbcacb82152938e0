"""The source viewer detached from the main window: a window of its own holding it; closing that
window puts the viewer back beside the chat (hidden)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget


class ViewerWindow(QWidget):
    """Signals:
        closing(): the window is being closed (take the viewer back)
    """

    closing = Signal()

    def __init__(self, viewer: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Docent — source")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(viewer)
        self.resize(760, 860)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        super().closeEvent(event)

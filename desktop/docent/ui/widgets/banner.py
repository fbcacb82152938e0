"""A message bar across the top of the window for errors (and notices) the user must see."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget


class Banner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        h = QHBoxLayout(self)
        h.setContentsMargins(12, 6, 6, 6)
        self.icon = QLabel("⚠")
        self.text = QLabel("")
        self.text.setObjectName("bannerText")
        self.text.setTextFormat(Qt.TextFormat.PlainText)  # messages quote file names and text as they are
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton("")
        self.action.hide()
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        h.addWidget(self.icon)
        h.addWidget(self.text, 1)
        h.addWidget(self.action)
        h.addWidget(close)
        self._callback: Callable[[], None] | None = None
        self.action.clicked.connect(self._run)
        self.hide()

    def show_message(self, text: str, kind: str = "error", action: str = "",
                     callback: Callable[[], None] | None = None) -> None:
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.icon.setText("⚠" if kind == "error" else "ℹ")
        self.text.setText(text)
        self._callback = callback
        self.action.setText(action)
        self.action.setVisible(bool(action and callback))
        self.show()

    def _run(self) -> None:
        if self._callback is not None:
            self._callback()
        self.hide()

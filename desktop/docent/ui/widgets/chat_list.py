"""Saved chats, most recent first: click to reopen, right-click to export or delete."""

from __future__ import annotations

import time

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QMenu, QPushButton, QVBoxLayout, QWidget

from docent.core.storage.chats import ChatSummary

ID_ROLE = Qt.ItemDataRole.UserRole + 1


def when(ts: float) -> str:
    now = time.time()
    if now - ts < 86400 and time.localtime(now).tm_mday == time.localtime(ts).tm_mday:
        return time.strftime("today %H:%M", time.localtime(ts))
    return time.strftime("%d %b %Y", time.localtime(ts))


class ChatList(QWidget):
    """Signals:
        chatRequested(str): open this chat
        deleteRequested(str): delete this chat
        newChatRequested(): start a new chat
    """

    chatRequested = Signal(str)
    deleteRequested = Signal(str)
    newChatRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        new = QPushButton("New chat")
        new.clicked.connect(self.newChatRequested)
        layout.addWidget(new)
        self.list = QListWidget()
        self.list.itemClicked.connect(lambda item: self.chatRequested.emit(item.data(ID_ROLE)))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        layout.addWidget(self.list, 1)
        self.empty = QLabel("Your chats are kept here, in the library folder.")
        self.empty.setObjectName("hint")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self._current = ""

    def set_chats(self, chats: list[ChatSummary]) -> None:
        self.list.clear()
        for c in chats:
            item = QListWidgetItem(f"{c.title}\n{when(c.updated)} · {c.turns} question{'s' if c.turns != 1 else ''}")
            item.setData(ID_ROLE, c.id)
            item.setToolTip(c.title)
            self.list.addItem(item)
        self.empty.setVisible(not chats)
        self.set_current(self._current)

    def set_current(self, chat_id: str) -> None:
        self._current = chat_id
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(ID_ROLE) == chat_id:
                self.list.setCurrentItem(item)
                return
        self.list.clearSelection()

    def _menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        chat_id = item.data(ID_ROLE)
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.chatRequested.emit(chat_id))
        menu.addAction("Delete", lambda: self.deleteRequested.emit(chat_id))
        menu.exec(self.list.viewport().mapToGlobal(pos))

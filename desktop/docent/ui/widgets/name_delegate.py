"""How the library pane draws a file name in a narrow column: elided at the end of its stem, with
the extension kept ("Annual report of the c….pdf", never "co…df"), and, when two documents of the
library have the same name, followed by their folder's name ("notes.txt — 2023"). The full path is
in the row's tooltip (models/documents.py)."""

from __future__ import annotations

import os
from collections import Counter
from typing import Iterable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QWidget

from docent.core.types import attachment_of
from docent.ui.models.documents import PATH_ROLE


ATTACHED = " (attached to "  # how the library pane names an e-mail's attachment (ui/models/documents.py)


def elide_name(name: str, metrics: QFontMetrics, width: int) -> str:
    """`name` fitted into `width` pixels: the stem elided at its end, the extension (and a " — folder"
    suffix) kept whole while there is room for a few letters of the stem. An attachment's name keeps
    its own file name whole and elides its message's name in the middle."""
    if width <= 0 or metrics.horizontalAdvance(name) <= width:
        return name
    attachment, mark, message = name.partition(ATTACHED)
    if mark and message.endswith(")"):  # "report.pdf (attached to visit.eml)": its own name first
        head = attachment + mark
        room = width - metrics.horizontalAdvance(head + ")")
        if room >= metrics.horizontalAdvance("Mm…"):
            return head + metrics.elidedText(message[:-1], Qt.TextElideMode.ElideMiddle, room) + ")"
        if width >= metrics.horizontalAdvance(attachment + " (att…"):  # still say it is an attachment
            return metrics.elidedText(name, Qt.TextElideMode.ElideRight, width)
        return elide_name(attachment, metrics, width)
    stem, sep, folder = name.partition(" — ")
    base, ext = os.path.splitext(stem)
    if not base or len(ext) > 6:
        base, ext = stem, ""
    tail = ext + (sep + folder if sep else "")
    room = width - metrics.horizontalAdvance(tail)
    if room < metrics.horizontalAdvance("Mm…"):  # no room for the suffix: elide the whole name
        return metrics.elidedText(name, Qt.TextElideMode.ElideRight, width)
    return metrics.elidedText(base, Qt.TextElideMode.ElideRight, room) + tail


def duplicate_names(paths: Iterable[str]) -> set[str]:
    """The file names that more than one of `paths` has."""
    counts = Counter(os.path.basename(p) for p in paths)
    return {name for name, n in counts.items() if n > 1}


class NameDelegate(QStyledItemDelegate):
    """Draws the Name column; `duplicates` (file names held twice) is kept up to date by the pane."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.duplicates: set[str] = set()

    def display_name(self, index: QModelIndex | QPersistentModelIndex) -> str:
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        path = str(index.data(PATH_ROLE) or "")
        if name in self.duplicates and path:
            attached = attachment_of(path)  # an e-mail's attachment: in its message's folder
            path = attached[0] if attached else path
            folder = os.path.basename(os.path.dirname(path)) or os.path.dirname(path)
            return f"{name} — {folder}"
        return name

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        name = self.display_name(index)
        width = option.rect.width() - 8  # the style's text margins
        if option.decorationSize.width() > 0 and not option.icon.isNull():
            width -= option.decorationSize.width() + 6
        option.text = elide_name(name, option.fontMetrics, width)

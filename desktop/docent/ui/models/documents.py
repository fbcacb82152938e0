"""The library as a tree: followed folders (and files) at the top, their subfolders, then documents.
Folder rows summarise their documents' states; every row explains itself in a tooltip."""

from __future__ import annotations

import html
import os
import time
from collections import Counter
from typing import Iterable, Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QStyle

from docent.core.ingest.extract.common import kind_of
from docent.ui.controllers import DocRow
from docent.ui.theme import STATUS_TEXT, status_icon

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # "root" | "folder" | "doc"
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
SORT_ROLE = Qt.ItemDataRole.UserRole + 4
FILTER_ROLE = Qt.ItemDataRole.UserRole + 5
DOC_KIND_ROLE = Qt.ItemDataRole.UserRole + 6  # a document's kind: "PDF", "PowerPoint", "E-mail"...

COLUMNS = ("Name", "Status", "Pages", "Passages")


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


class DocumentsModel(QStandardItemModel):
    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self._roots: list[str] = []
        self._rows: dict[str, DocRow] = {}
        self._items: dict[str, QStandardItem] = {}  # path (folder or document) → its column-0 item
        self._counts: dict[str, Counter[str]] = {}  # folder → statuses of the documents under it
        self._sums: dict[str, list[int]] = {}  # folder → [pages, chunks]
        self._folder_icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)

    # ---- queries ------------------------------------------------------------------------------
    @property
    def rows(self) -> dict[str, DocRow]:
        return self._rows

    def document_count(self) -> int:
        return len(self._rows)

    def index_of(self, path: str) -> QModelIndex:
        item = self._items.get(path)
        return item.index() if item is not None else QModelIndex()

    # ---- building -----------------------------------------------------------------------------
    def reset(self, rows: Iterable[DocRow], roots: Sequence[str]) -> None:
        self.beginResetModel()
        self.blockSignals(True)
        try:
            self.removeRows(0, self.rowCount())
            self._roots = sorted(roots, key=len, reverse=True)  # longest first: nested roots win
            self._rows = {r.path: r for r in rows}
            self._items = {}
            self._counts = {}
            self._sums = {}
            for root in sorted(roots):
                if root not in self._rows:
                    self._folder_item(root)
            for row in sorted(self._rows.values(), key=lambda r: r.path):
                self._insert(row)
            for folder in list(self._counts):
                self._refresh_folder(folder)
        finally:
            self.blockSignals(False)
            self.endResetModel()

    def update_row(self, row: DocRow) -> None:
        old = self._rows.get(row.path)
        self._rows[row.path] = row
        if old is None:
            self._insert(row)
        else:
            self._fill_doc(self._items[row.path], row)
            for folder in self._ancestors(row.path):
                counts = self._counts[folder]
                counts[old.status] -= 1
                counts[row.status] += 1
                self._sums[folder][0] += row.pages - old.pages
                self._sums[folder][1] += row.chunks - old.chunks
        for folder in self._ancestors(row.path):
            self._refresh_folder(folder)

    def _root_of(self, path: str) -> str | None:
        for root in self._roots:
            if _under(path, root):
                return root
        return None

    def _ancestors(self, path: str) -> list[str]:
        """The folder rows above a document, nearest first."""
        root = self._root_of(path)
        if root is None or root == path:
            return []
        out, folder = [], os.path.dirname(path)
        while True:
            out.append(folder)
            if folder == root or len(folder) <= len(root):
                break
            folder = os.path.dirname(folder)
        return out

    def _make_row(self, kind: str, path: str, name: str) -> list[QStandardItem]:
        items = [QStandardItem(name), QStandardItem(), QStandardItem(), QStandardItem()]
        for it in items:
            it.setEditable(False)
            it.setData(path, PATH_ROLE)
            it.setData(kind, KIND_ROLE)
        items[2].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        items[3].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        items[0].setData(("0" if kind != "doc" else "1") + name.lower(), SORT_ROLE)
        return items

    def _folder_item(self, folder: str) -> QStandardItem:
        item = self._items.get(folder)
        if item is not None:
            return item
        root = self._root_of(folder)
        is_root = root == folder or root is None
        name = os.path.basename(folder.rstrip(os.sep)) or folder
        row = self._make_row("root" if is_root else "folder", folder, name)
        row[0].setIcon(self._folder_icon)
        parent = self.invisibleRootItem() if is_root else self._folder_item(os.path.dirname(folder))
        parent.appendRow(row)
        self._items[folder] = row[0]
        self._counts[folder] = Counter()
        self._sums[folder] = [0, 0]
        return row[0]

    def _insert(self, row: DocRow) -> None:
        ancestors = self._ancestors(row.path)
        parent = self._folder_item(ancestors[0]) if ancestors else self.invisibleRootItem()
        kind = "root" if row.path in self._roots else "doc"
        items = self._make_row(kind, row.path, os.path.basename(row.path))
        parent.appendRow(items)
        self._items[row.path] = items[0]
        self._fill_doc(items[0], row)
        for folder in ancestors:
            self._counts[folder][row.status] += 1
            self._sums[folder][0] += row.pages
            self._sums[folder][1] += row.chunks

    def _siblings(self, item: QStandardItem) -> list[QStandardItem]:
        parent = item.parent() or self.invisibleRootItem()
        return [parent.child(item.row(), c) for c in range(len(COLUMNS))]

    def _fill_doc(self, item: QStandardItem, row: DocRow) -> None:
        name, status, pages, chunks = self._siblings(item)
        label = STATUS_TEXT.get(row.status, row.status.capitalize())
        if row.status == "indexed" and row.notes:
            label += " ⓘ"
        status.setText(label)
        name.setIcon(status_icon(row.status))  # the state at a glance, even when the pane is narrow
        status.setData(row.status, STATUS_ROLE)
        name.setData(row.status, STATUS_ROLE)
        pages.setText(str(row.pages) if row.pages else ("—" if row.status == "indexed" else ""))
        chunks.setText(str(row.chunks) if row.chunks else "")
        pages.setData(row.pages, SORT_ROLE)
        chunks.setData(row.chunks, SORT_ROLE)
        tip = _doc_tooltip(row)
        for it in (name, status, pages, chunks):
            it.setToolTip(tip)
        doc_kind = kind_of(row.path)
        name.setData(doc_kind, DOC_KIND_ROLE)
        name.setData(f"{os.path.basename(row.path)} {row.status} {doc_kind}", FILTER_ROLE)

    def _refresh_folder(self, folder: str) -> None:
        item = self._items.get(folder)
        if item is None:
            return
        name, status, pages, chunks = self._siblings(item)
        counts = self._counts[folder]
        total = sum(counts.values())
        busy = counts["indexing"] + counts["queued"]
        if not total:
            text, state = "No documents yet", "queued"
        elif busy:
            text, state = f"{total - busy} of {total} done", "indexing"
        else:
            parts = [f"{counts['indexed']} indexed"]
            if counts["failed"]:
                parts.append(f"{counts['failed']} failed")
            if counts["skipped"]:
                parts.append(f"{counts['skipped']} skipped")
            text = ", ".join(parts)
            state = "failed" if counts["failed"] else ("skipped" if counts["skipped"] and not counts["indexed"] else "indexed")
        status.setText(text)
        status.setData(state, STATUS_ROLE)
        p, c = self._sums[folder]
        pages.setText(str(p) if p else "")
        chunks.setText(str(c) if c else "")
        pages.setData(p, SORT_ROLE)
        chunks.setData(c, SORT_ROLE)
        detail = ", ".join(f"{n} {STATUS_TEXT.get(k, k).rstrip('…').lower()}" for k, n in sorted(counts.items()) if n)
        tip = f"<b>{html.escape(folder)}</b><br>{total} document{'s' if total != 1 else ''}" + (f": {detail}" if detail else "")
        for it in (name, status, pages, chunks):
            it.setToolTip(tip)
        name.setData(os.path.basename(folder), FILTER_ROLE)


def _doc_tooltip(row: DocRow) -> str:
    lines = [f"<b>{html.escape(row.path)}</b>", html.escape(kind_of(row.path))]
    label = STATUS_TEXT.get(row.status, row.status)
    if row.status == "indexed":
        detail = f"{row.pages} pages, " if row.pages else ""
        lines.append(f"{label}: {detail}{row.chunks} passages")
        if row.indexed_at:
            lines.append("Indexed " + time.strftime("%Y-%m-%d %H:%M", time.localtime(row.indexed_at)))
    elif row.status == "queued":
        lines.append(html.escape(row.reason[0].upper() + row.reason[1:]) if row.reason else "Waiting to be indexed")
    elif row.status == "indexing":
        lines.append("Being indexed now")
    else:
        lines.append(f"{label}: {html.escape(row.reason or 'no reason recorded')}")
    if row.notes:
        lines.append(f"<i>{html.escape(row.notes)}</i>")
    if row.size:
        lines.append(human_size(row.size))
    return "<br>".join(lines)


class DocumentsFilter(QSortFilterProxyModel):
    """Case-insensitive filter on names (and states), keeping the folders of matching documents."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterRole(FILTER_ROLE)
        self.setFilterKeyColumn(0)
        self.setSortRole(SORT_ROLE)
        self._kind = ""  # "" for every kind

    def set_kind(self, kind: str) -> None:
        """Show only documents of this kind ("PowerPoint"...; "" for all), with their folders."""
        self._kind = kind
        self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        if self._kind:
            index = self.sourceModel().index(row, 0, parent)
            if index.data(DOC_KIND_ROLE) != self._kind:
                return False  # a folder too: recursive filtering keeps those holding a match
        return super().filterAcceptsRow(row, parent)

    def lessThan(self, left: QModelIndex | QPersistentModelIndex, right: QModelIndex | QPersistentModelIndex) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if a is None or b is None:
            return str(left.data()) < str(right.data())
        return bool(a < b)

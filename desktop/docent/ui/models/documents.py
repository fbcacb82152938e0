"""The library as a tree: followed folders (and files) at the top, their subfolders, then documents.
Folder rows summarise their documents' states; every row explains itself in a tooltip. An e-mail's
attachment (a document of its own, core/types.attachment_path) is listed beside its message, in the
message's folder, as "report.pdf (attached to visit.eml)".

A model of its own (QAbstractItemModel), not a QStandardItemModel behind a QSortFilterProxyModel:
with 10,000 documents those built 40,000 items and four tooltips per document on the window's
thread at every reset, and the proxy then asked every row's data through Python at each keystroke.
Here a document is one small node (its DocRow, its folder, its place among its siblings); the text,
icon and tooltip of a row are made when the view asks for them, for the rows it shows. The model
filters (names, states and kinds, keeping the folders of matches) and sorts itself, in Python over
those nodes, and tells the view with one layout change that keeps its expanded rows and selection.
"""

from __future__ import annotations

import html
import os
import time
from collections import Counter
from typing import Any, Callable, Iterable, Sequence

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import QApplication, QStyle

from docent.core.ingest.extract.common import KINDS, kind_of
from docent.core.types import ATTACHMENT_MARK, attachment_of
from docent.ui.controllers import DocRow
from docent.ui.theme import STATUS_TEXT, status_icon

PATH_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # "root" | "folder" | "doc"
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
SORT_ROLE = Qt.ItemDataRole.UserRole + 4
FILTER_ROLE = Qt.ItemDataRole.UserRole + 5
DOC_KIND_ROLE = Qt.ItemDataRole.UserRole + 6  # a document's kind: "PDF", "PowerPoint", "E-mail"...

COLUMNS = ("Name", "Status", "Pages", "Passages")
RELAYOUT_MS = 150  # with a filter or a sort by state/counts on, changed rows are placed again after this
MATCH_LIMIT = 1000  # documents a typed filter lists at most (the first, in the tree's order): type more to narrow

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
AnyIndex = QModelIndex | QPersistentModelIndex


def _role(role: Any) -> int:
    return int(getattr(role, "value", role))


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


def _split(path: str) -> tuple[str, str]:
    """(folder, name) of a document's row: os.path.split, but an attachment goes in its message's
    folder, named after the message too."""
    if ATTACHMENT_MARK in path:
        found = attachment_of(path)
        if found is not None:
            folder, message = os.path.split(found[0])
            return folder, f"{found[2]} (attached to {message})"
    return os.path.split(path)


def _kind_of_name(name: str) -> str:
    """kind_of() of a file name, without building a Path (the same suffix rule)."""
    i = name.rfind(".")
    return KINDS.get(name[i:].lower(), "Other") if 0 < i < len(name) - 1 else "Other"


_NONE: tuple["_Node", ...] = ()


class _Node:
    """One row: a followed folder or file, a subfolder, or a document. `shown` is what the view sees
    of a folder's children (filtered, in the current order) and `row` a node's place in its parent's
    `shown` (-1 while the filter hides it: then so is everything under it). A folder keeps the
    states, pages and passages of every document under it; a document, its DocRow."""

    __slots__ = ("path", "name", "kind", "parent", "doc", "children", "shown", "row", "counts", "pages", "chunks",
                 "_doc_kind", "_filter_key")

    def __init__(self, path: str, name: str, kind: str, parent: "_Node | None", doc: DocRow | None = None) -> None:
        self.path = path
        self.name = name
        self.kind = kind  # "top" (the invisible root) | "root" | "folder" | "doc"
        self.parent = parent
        self.doc = doc  # None for a folder
        self.row = -1
        self._filter_key: str | None = None
        if doc is None:
            self.children: list[_Node] | tuple[_Node, ...] = []
            self.shown: list[_Node] | tuple[_Node, ...] = []
            self.counts: dict[str, int] = {}
            self.pages = 0
            self.chunks = 0
            self._doc_kind = ""
        else:  # a document: nothing below it
            self.children = self.shown = _NONE
            self._doc_kind = _kind_of_name(name if ATTACHMENT_MARK not in doc.path else doc.path)

    @property
    def doc_kind(self) -> str:
        return self._doc_kind

    @property
    def filter_key(self) -> str:
        """What the filter looks in, lower case: a document's name, state and kind; a folder's name."""
        if self._filter_key is None:
            if self.doc is None:
                self._filter_key = os.path.basename(self.path).lower()
            else:
                self._filter_key = f"{self.name} {self.doc.status} {self._doc_kind}".lower()
        return self._filter_key

    def set_doc(self, doc: DocRow) -> None:
        self.doc = doc
        self._filter_key = None

    # ---- what a row shows --------------------------------------------------------------------
    def status_text(self) -> str:
        if self.doc is not None:
            label = STATUS_TEXT.get(self.doc.status, self.doc.status.capitalize())
            return label + " ⓘ" if self.doc.status == "indexed" and self.doc.notes else label
        return self.folder_state()[0]

    def folder_state(self) -> tuple[str, str]:
        """(text, state) of a folder's status column."""
        counts = Counter(self.counts)
        total = sum(counts.values())
        busy = counts["indexing"] + counts["queued"]
        if not total:
            return "No documents yet", "queued"
        if busy:
            return f"{total - busy} of {total} done", "indexing"
        parts = [f"{counts['indexed']} indexed"]
        if counts["failed"]:
            parts.append(f"{counts['failed']} failed")
        if counts["skipped"]:
            parts.append(f"{counts['skipped']} skipped")
        state = "failed" if counts["failed"] else ("skipped" if counts["skipped"] and not counts["indexed"] else "indexed")
        return ", ".join(parts), state

    def tooltip(self) -> str:
        if self.doc is not None:
            return _doc_tooltip(self.doc)
        counts = self.counts
        total = sum(counts.values())
        detail = ", ".join(f"{n} {STATUS_TEXT.get(k, k).rstrip('…').lower()}" for k, n in sorted(counts.items()) if n)
        return (f"<b>{html.escape(self.path)}</b><br>{total} document{'s' if total != 1 else ''}"
                + (f": {detail}" if detail else ""))

    def pages_text(self) -> str:
        if self.doc is not None:
            d = self.doc
            return str(d.pages) if d.pages else ("—" if d.status == "indexed" else "")
        return str(self.pages) if self.pages else ""

    def chunks_text(self) -> str:
        n = self.doc.chunks if self.doc is not None else self.chunks
        return str(n) if n else ""

    def sort_key(self, column: int) -> Any:
        if column == 2:
            return self.doc.pages if self.doc is not None else self.pages
        if column == 3:
            return self.doc.chunks if self.doc is not None else self.chunks
        if column == 1:
            return self.status_text()
        if self.doc is not None and ATTACHMENT_MARK in self.doc.path:  # right after its message, in order
            found = attachment_of(self.doc.path)
            if found is not None:
                return "1" + os.path.basename(found[0]).lower() + "\x01" + f"{found[1]:04d}"
        return ("0" if self.doc is None else "1") + self.name.lower()  # folders first, then by name


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


class DocumentsModel(QAbstractItemModel):
    """The tree the library pane shows, filtered (`set_filter`, `set_kind`) and sorted (`sort`) in place."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._roots: list[str] = []
        self._rows: dict[str, DocRow] = {}
        self._top = _Node("", "", "top", None)
        self._previous: _Node | None = None  # the tree before the last reset, alive while Qt may still point into it
        self._nodes: dict[str, _Node] = {}  # path (folder or document) → its node
        self._text = ""  # the filter, lower case ("" for none)
        self._kind = ""  # documents of this kind only ("" for every kind)
        self._sort = (0, Qt.SortOrder.AscendingOrder)
        self._resort = False  # the order of some children may be out of date (placed at the next relayout)
        self.match_limit = MATCH_LIMIT
        self._matched = 0  # documents the filter matches
        self._listed = 0  # of which shown (at most match_limit while a text is typed)
        self._totals: Counter[str] = Counter()  # every document's state
        self._indexed_pages = 0
        self._names: Counter[str] = Counter()  # file name → how many documents have it
        self.duplicates: set[str] = set()  # the file names held by more than one document
        self._folder_icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._relayout_timer = QTimer(self)
        self._relayout_timer.setSingleShot(True)
        self._relayout_timer.setInterval(RELAYOUT_MS)
        self._relayout_timer.timeout.connect(self.relayout)
        self._data: dict[int, Callable[[_Node, int], Any]] = {
            _role(Qt.ItemDataRole.DisplayRole): self._display,
            _role(Qt.ItemDataRole.ToolTipRole): lambda n, c: n.tooltip(),
            _role(Qt.ItemDataRole.DecorationRole): self._decoration,
            _role(Qt.ItemDataRole.TextAlignmentRole): lambda n, c: _RIGHT if c >= 2 else None,
            _role(PATH_ROLE): lambda n, c: n.path,
            _role(KIND_ROLE): lambda n, c: n.kind,
            _role(STATUS_ROLE): self._status,
            _role(SORT_ROLE): lambda n, c: None if c == 1 else n.sort_key(c),
            _role(FILTER_ROLE): lambda n, c: n.filter_key if c == 0 else None,
            _role(DOC_KIND_ROLE): lambda n, c: (n.doc_kind or None) if c == 0 else None,
        }

    # ---- queries ------------------------------------------------------------------------------
    @property
    def rows(self) -> dict[str, DocRow]:
        return self._rows

    def document_count(self) -> int:
        return len(self._rows)

    def summary(self) -> tuple[int, int, int]:
        """(documents indexed, documents failed or skipped, pages of the indexed ones)."""
        return self._totals["indexed"], self._totals["failed"] + self._totals["skipped"], self._indexed_pages

    def index_of(self, path: str) -> QModelIndex:
        """The row of a folder or document, column 0 (invalid when unknown or hidden by the filter)."""
        node = self._nodes.get(path)
        return self._index(node) if node is not None else QModelIndex()

    def filtering(self) -> bool:
        return bool(self._text or self._kind)

    def matches(self) -> tuple[int, int]:
        """(documents the filter matches, of which listed): a typed filter lists the first
        `match_limit` only, so that each keystroke lays out a bounded tree."""
        return (self._matched, self._listed) if self.filtering() else (len(self._rows), len(self._rows))

    # ---- Qt's model interface -------------------------------------------------------------------
    # (the view calls these for every row it lays out: they are kept short)
    def _index(self, node: _Node, column: int = 0) -> QModelIndex:
        if node.row < 0 or node.parent is None:  # hidden (and so is all below), or the top
            return QModelIndex()
        return self.createIndex(node.row, column, node)

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:
        shown = parent.internalPointer().shown if parent.isValid() else self._top.shown
        if 0 <= row < len(shown) and 0 <= column < len(COLUMNS):
            return self.createIndex(row, column, shown[row])
        return QModelIndex()

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        up = index.internalPointer().parent
        if up is None or up is self._top:
            return QModelIndex()
        return self.createIndex(up.row, 0, up)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        if not parent.isValid():
            return len(self._top.shown)
        return len(parent.internalPointer().shown) if parent.column() == 0 else 0

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:
        if not parent.isValid():
            return bool(self._top.shown)
        return bool(parent.internalPointer().shown) and parent.column() == 0

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        get = self._data.get(role)  # roles are ints (IntEnum members hash alike)
        return get(index.internalPointer(), index.column()) if get is not None else None

    def _display(self, node: _Node, column: int) -> str:
        if column == 0:
            return node.name
        if column == 1:
            return node.status_text()
        return node.pages_text() if column == 2 else node.chunks_text()

    def _decoration(self, node: _Node, column: int) -> Any:
        if column != 0:
            return None
        if node.doc is None:
            return self._folder_icon
        return status_icon(node.doc.status)  # the state at a glance, even when the pane is narrow

    def _status(self, node: _Node, column: int) -> str | None:
        if node.doc is not None:
            return node.doc.status if column <= 1 else None
        return node.folder_state()[1] if column == 1 else None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self._sort = (column, order)
        self._resort = True
        self.relayout()

    # ---- filtering ------------------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        """Show the documents whose name, state or kind holds `text` (any case), with their folders,
        and the folders whose name holds it."""
        text = text.strip().lower()
        if text != self._text:
            self._text = text
            self.relayout()

    def set_kind(self, kind: str) -> None:
        """Show only documents of this kind ("PowerPoint"...; "" for all), with their folders."""
        if kind != self._kind:
            self._kind = kind
            self.relayout()

    def _place(self, node: _Node, resort: bool) -> bool:
        """Filter (and with `resort`, sort) `node`'s subtree into the `shown` lists → whether any
        of it is shown. `children` stay in the current order: a filter alone does not sort."""
        children = node.children
        if resort and len(children) > 1:
            column, order = self._sort
            children.sort(key=lambda n: n.sort_key(column), reverse=order == Qt.SortOrder.DescendingOrder)  # type: ignore[union-attr]
        if not self._text and not self._kind:  # everything shown
            node.shown = shown = list(children)
            for i, child in enumerate(shown):
                child.row = i
                if child.doc is None:
                    self._place(child, resort)
            return bool(shown)
        text, kind = self._text, self._kind
        limit = self.match_limit if text else len(self._rows)
        shown = []
        for child in children:
            if child.doc is None:
                keep = self._place(child, resort) or (not kind and text in child.filter_key)
            else:
                keep = (not kind or child._doc_kind == kind) and (not text or text in child.filter_key)
                if keep:
                    self._matched += 1
                    keep = self._listed < limit
                    self._listed += keep
            child.row = len(shown) if keep else -1
            if keep:
                shown.append(child)
        node.shown = shown
        return bool(shown)

    def _place_all(self, resort: bool) -> None:
        self._matched = self._listed = 0
        self._place(self._top, resort)
        self._resort = False

    def relayout(self) -> None:
        """Filter (and sort, if the order changed) the whole tree again; the view keeps its expanded
        rows and selection (those the filter hides are dropped)."""
        self._relayout_timer.stop()
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        kept = [(index.internalPointer(), index.column()) for index in old]
        self._place_all(self._resort)
        self.changePersistentIndexList(old, [self._index(node, column) for node, column in kept])
        self.layoutChanged.emit()

    # ---- building -----------------------------------------------------------------------------
    def reset(self, rows: Iterable[DocRow], roots: Sequence[str]) -> None:
        self.beginResetModel()
        try:
            self._relayout_timer.stop()
            self._previous = self._top
            self._top = _Node("", "", "top", None)
            self._roots = sorted(roots, key=len, reverse=True)  # longest first: nested roots win
            self._rows = {r.path: r for r in rows}
            self._nodes = {}
            self._totals = Counter()
            self._indexed_pages = 0
            self._names = Counter()
            for root in sorted(roots):
                if root not in self._rows:
                    self._folder(root)
            followed = set(roots)
            parents: dict[str, _Node] = {}  # a folder → the node its documents go under
            for row in self._rows.values():
                folder, name = _split(row.path)
                if row.path in followed:
                    parent = self._top  # a followed file
                else:
                    parent = parents.get(folder) or parents.setdefault(folder, self._parent_for(row.path))
                self._add_doc(row, parent, name, False)
            self._sum_folders(self._top)
            self._place_all(True)
            self.duplicates.clear()
            self.duplicates.update(name for name, n in self._names.items() if n > 1)
        finally:
            self.endResetModel()

    def update_row(self, row: DocRow) -> None:
        old = self._rows.get(row.path)
        self._rows[row.path] = row
        if old is None:
            self._insert(row)
            return
        node = self._nodes[row.path]
        node.set_doc(row)
        self._count(old, -1)
        self._count(row, 1)
        up = node.parent
        while up is not None and up.kind != "top":
            up.counts[old.status] = up.counts.get(old.status, 0) - 1
            up.counts[row.status] = up.counts.get(row.status, 0) + 1
            up.pages += row.pages - old.pages
            up.chunks += row.chunks - old.chunks
            up = up.parent
        self._changed(node)
        if self._sort[0] != 0:
            self._resort = True
        if self.filtering() or self._sort[0] != 0:
            self._relayout_timer.start()  # its state or counts may move or hide it: placed again soon

    def _changed(self, node: _Node) -> None:
        """Tell the view a row and its folders' rows changed."""
        while node is not self._top and node.parent is not None:
            index = self._index(node)
            if index.isValid():
                self.dataChanged.emit(index, index.siblingAtColumn(len(COLUMNS) - 1))
            node = node.parent

    def _count(self, row: DocRow, sign: int) -> None:
        self._totals[row.status] += sign
        if row.status == "indexed":
            self._indexed_pages += sign * row.pages

    def _root_of(self, path: str) -> str | None:
        for root in self._roots:
            if _under(path, root):
                return root
        return None

    def _parent_for(self, path: str) -> _Node:
        """The node a document goes under: its folder, or the top for a followed file or a document
        outside every followed folder."""
        folder = _split(path)[0]
        root = self._root_of(path)
        if root is None or root == path or not _under(folder, root):  # (an attachment of a followed file)
            return self._top
        return self._folder(folder)

    def _folder(self, folder: str) -> _Node:
        node = self._nodes.get(folder)
        if node is not None:
            return node
        root = self._root_of(folder)
        is_root = root == folder or root is None
        parent = self._top if is_root else self._folder(os.path.dirname(folder))
        node = _Node(folder, os.path.basename(folder.rstrip(os.sep)) or folder, "root" if is_root else "folder", parent)
        parent.children.append(node)
        self._nodes[folder] = node
        return node

    def _add_doc(self, row: DocRow, parent: _Node, name: str, above: bool = True) -> _Node:
        """A document's node under `parent`, counted in its folder (with `above`, in every folder
        above it too; else `_sum_folders` does that for the whole tree)."""
        node = _Node(row.path, name, "root" if parent is self._top and row.path in self._roots else "doc", parent, row)
        parent.children.append(node)  # type: ignore[union-attr]
        self._nodes[row.path] = node
        self._names[name] += 1
        self._count(row, 1)
        up: _Node | None = parent
        while up is not None and up.kind != "top":
            up.counts[row.status] = up.counts.get(row.status, 0) + 1
            up.pages += row.pages
            up.chunks += row.chunks
            up = up.parent if above else None
        return node

    def _sum_folders(self, node: _Node) -> None:
        """Add each folder's counts into the folders above it (after building: bottom up)."""
        for child in node.children:
            if child.doc is None:
                self._sum_folders(child)
                if node.kind != "top":
                    counts = node.counts
                    for status, n in child.counts.items():
                        counts[status] = counts.get(status, 0) + n
                    node.pages += child.pages
                    node.chunks += child.chunks

    def _insert(self, row: DocRow) -> None:
        """A document new to the library: in place at once, with any new folders above it."""
        node = self._add_doc(row, self._top if row.path in self._roots else self._parent_for(row.path),
                             _split(row.path)[1])
        if self._names[node.name] > 1:
            self.duplicates.add(node.name)
        if self.filtering():
            self._resort = True  # the new rows are in no order yet
            self._relayout_timer.start()
            return
        # with the filter off every row is shown (row >= 0) and `shown` is `children`, but the new
        # ones: the highest new node goes in its parent's list, in order; below it all is new
        top = node
        while top.parent is not None and top.parent is not self._top and top.parent.row < 0:
            top = top.parent
        above = top.parent if top.parent is not None else self._top
        above.children.remove(top)  # type: ignore[union-attr]
        column, order = self._sort
        key = top.sort_key(column)
        descending = order == Qt.SortOrder.DescendingOrder
        position = len(above.children)
        for i, sibling in enumerate(above.children):
            other = sibling.sort_key(column)
            if (other < key) if descending else (key < other):
                position = i
                break
        above.children.insert(position, top)  # type: ignore[union-attr]
        self._place_new(top)
        parent_index = self._index(above) if above is not self._top else QModelIndex()
        self.beginInsertRows(parent_index, position, position)
        above.shown.insert(position, top)  # type: ignore[union-attr]
        for i in range(position, len(above.shown)):
            above.shown[i].row = i
        self.endInsertRows()
        self._changed(above)
        if column != 0:
            self._resort = True
            self._relayout_timer.start()  # a folder's counts changed: its place may too

    def _place_new(self, node: _Node) -> None:
        """A new subtree (nothing filtered: the filter is off): every child shown, in order."""
        if node.doc is None:
            node.shown = list(node.children)
            for i, child in enumerate(node.shown):
                child.row = i
                self._place_new(child)

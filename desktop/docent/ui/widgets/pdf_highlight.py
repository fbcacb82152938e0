"""The source viewer's PDF view: QtPdf's QPdfView plus what its widget API lacks for a cited
passage: the passage's own character boxes highlighted (the whole passage, across line and column
breaks, and the sentence that supports the answer more strongly), scrolling to a point of a page,
and zooming or fitting the width without leaving the page being read.

QPdfView does not say where it draws a page, so `page_rect` mirrors QPdfViewPrivate::
calculateDocumentLayout (Qt 6.6 to 6.10: pages stacked in documentMargins with pageSpacing between
them, each scaled by the screen's logical DPI / 72 and the zoom, centred in the viewport);
tests/ui/test_ui_highlight.py checks it against the pixels QPdfView paints."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, QRectF
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPaintEvent
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QWidget

from docent.ui.widgets.passage_span import letters, page_span

# Multiplied into the (always white) page, so the text under them stays black in both themes.
PASSAGE_COLOR = QColor(255, 240, 150)
SUPPORT_COLOR = QColor(255, 200, 70)


@dataclass(frozen=True)
class Mark:
    """Highlighted character boxes of one page, in PDF points from the page's top left."""

    page: int  # 0-based
    rects: tuple[QRectF, ...]
    strong: bool  # the sentence that supports the answer
    text: str


def passage_marks(document: QPdfDocument, page: int, passage: str, support: str = "") -> list[Mark]:
    """The boxes of `passage` on `page` (0-based), and on the pages before and after it where it
    begins earlier or goes on; then those of `support` (one of its sentences), marked strong."""
    marks: list[Mark] = []
    total = len(letters(passage)[0])

    def on(index: int, text: str, strong: bool) -> tuple[int, int] | None:
        if not 0 <= index < document.pageCount() or not text.strip():
            return None
        found = page_span(document.getAllText(index).text(), text)
        if found is None:
            return None
        start, end, part_from, part_to = found
        selection = document.getSelectionAtIndex(index, start, end - start)
        rects = tuple(poly.boundingRect() for poly in selection.bounds())
        if rects:
            marks.append(Mark(index, rects, strong, selection.text()))
        return part_from, part_to

    found = on(page, passage, False)
    if found is not None:
        part_from, part_to = found
        where = letters(passage)[1]
        if part_from > 0:  # it begins on the page before
            on(page - 1, passage[: where[part_from - 1] + 1], False)
        if part_to < total:  # it goes on to the next page
            on(page + 1, passage[where[part_to]:], False)
    if support:
        for index in sorted({m.page for m in marks}):
            if on(index, support, True) is not None:
                break
    return marks


class PdfPageView(QPdfView):
    """A QPdfView that draws `marks` over its pages and knows where each page is."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.marks: list[Mark] = []
        screen = QGuiApplication.primaryScreen()
        self.resolution = (screen.logicalDotsPerInch() if screen is not None else 72.0) / 72.0

    # ---- where the pages are ------------------------------------------------------------------
    def _page_size(self, index: int) -> tuple[int, int]:
        doc = self.document()
        points = doc.pagePointSize(index)
        w, h = round(points.width() * self.resolution), round(points.height() * self.resolution)
        if self.zoomMode() == QPdfView.ZoomMode.Custom:
            z = self.zoomFactor()
            return round(points.width() * self.resolution * z), round(points.height() * self.resolution * z)
        margins = self.documentMargins()
        if self.zoomMode() == QPdfView.ZoomMode.FitToWidth and w > 0:
            factor = (self.viewport().width() - margins.left() - margins.right()) / w
            return round(w * factor), round(h * factor)
        if self.zoomMode() == QPdfView.ZoomMode.FitInView and w > 0 and h > 0:
            room_w = self.viewport().width() - margins.left() - margins.right()
            room_h = self.viewport().height() - self.pageSpacing()
            factor = min(room_w / w, room_h / h)
            return round(w * factor), round(h * factor)
        return w, h

    def page_rects(self) -> dict[int, QRect]:
        """Every page's rectangle in the document's coordinates (the viewport's plus the scroll)."""
        doc = self.document()
        if doc is None or doc.status() != QPdfDocument.Status.Ready:
            return {}
        single = self.pageMode() == QPdfView.PageMode.SinglePage
        first = self.pageNavigator().currentPage() if single else 0
        pages = range(first, first + 1) if single else range(doc.pageCount())
        sizes = {i: self._page_size(i) for i in pages}
        margins = self.documentMargins()
        total_w = max((w for w, _ in sizes.values()), default=0) + margins.left() + margins.right()
        out, y = {}, margins.top()
        for i in pages:
            w, h = sizes[i]
            x = (max(total_w, self.viewport().width()) - w) // 2
            out[i] = QRect(x, y, w, h)
            y += h + self.pageSpacing()
        return out

    def page_rect(self, index: int) -> QRect:
        return self.page_rects().get(index, QRect())

    def scale(self, index: int) -> float:
        """Pixels per PDF point on page `index`."""
        points = self.document().pagePointSize(index).width()
        return self.page_rect(index).width() / points if points > 0 else 1.0

    def to_viewport(self, index: int, rect: QRectF) -> QRectF:
        """A rectangle of page `index` (PDF points) where the viewport shows it."""
        page, k = self.page_rect(index), self.scale(index)
        return QRectF(page.x() + rect.x() * k - self.horizontalScrollBar().value(),
                      page.y() + rect.y() * k - self.verticalScrollBar().value(), rect.width() * k, rect.height() * k)

    def anchor(self) -> tuple[int, float]:
        """The page at the viewport's top and how far down it (PDF points) the view starts."""
        top = self.verticalScrollBar().value()
        rects = self.page_rects()
        for index, rect in sorted(rects.items()):
            if rect.bottom() + self.pageSpacing() >= top:
                return index, max(0.0, (top - rect.y()) / self.scale(index))
        return (max(rects) if rects else 0), 0.0

    def scroll_to(self, index: int, y_points: float = 0.0, above: int = 0) -> None:
        """Show page `index` from `y_points` down it, `above` pixels of what comes before kept in view."""
        rect = self.page_rect(index)
        if rect.isNull():
            return
        self.verticalScrollBar().setValue(int(rect.y() + y_points * self.scale(index)) - above)
        page = self.page_rect(index)
        left = max(0, page.x() + page.width() // 2 - self.viewport().width() // 2)
        self.horizontalScrollBar().setValue(left)

    # ---- zoom that keeps the page ---------------------------------------------------------------
    def zoom_by(self, factor: float) -> None:
        index, y = self.anchor()
        current = self.scale(index) / self.resolution  # what FitToWidth chose, or the custom zoom
        self.setZoomMode(QPdfView.ZoomMode.Custom)
        self.setZoomFactor(max(0.25, min(6.0, current * factor)))
        self.scroll_to(index, y)

    def fit_width(self) -> None:
        index, y = self.anchor()
        self.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.scroll_to(index, y)

    # ---- the marks ------------------------------------------------------------------------------
    def set_marks(self, marks: list[Mark]) -> None:
        self.marks = list(marks)
        self.viewport().update()

    def mark_rects(self) -> list[tuple[Mark, QRectF]]:
        """Each highlighted box where the viewport shows it (for tests)."""
        return [(m, self.to_viewport(m.page, r)) for m in self.marks for r in m.rects]

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.marks:
            return
        painter = QPainter(self.viewport())
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        pad = QPointF(1.5, 1.0)
        for mark, rect in self.mark_rects():
            if rect.intersects(QRectF(event.rect())):
                painter.fillRect(QRectF(rect.topLeft() - pad, rect.bottomRight() + pad),
                                 SUPPORT_COLOR if mark.strong else PASSAGE_COLOR)
        painter.end()

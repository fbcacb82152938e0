"""The PDF viewer on a cited passage: the WHOLE passage is highlighted across its line and column
breaks (its character boxes, from the page's text layer), the sentence that supports the answer more
strongly, with a translucent colour that leaves the text black; the viewer opens with the passage in
view, and "+" zoom and "Fit width" keep the page being read."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from docent.core.storage.chats import Passage

FILLER = ("The survey team visited every district office and recorded the staffing levels in detail. " * 6).strip()
PASSAGE = ("Between 2019 and 2021 the regional registry counted new cases in every province. "
           "The cumulative incidence in China at 5502 cases per million was the highest of the group, "
           "while the neighbouring countries reported far fewer cases over the same period.")
SUPPORT = "The cumulative incidence in China at 5502 cases per million was the highest of the group, while the neighbouring countries reported far fewer cases over the same period."


def two_columns(path: Path, pages: list[list[str]]) -> Path:
    """A letter-size PDF in two columns (reportlab); a paragraph flows from the left column on to the right."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=letter, invariant=1)
    _w, h = letter
    for paragraphs in pages:
        x, y = 54, h - 72
        for para in paragraphs:
            for line in textwrap.wrap(para, 42):
                if y < 90:
                    x, y = 320, h - 72
                c.setFont("Helvetica", 10)
                c.drawString(x, y, line)
                y -= 13
            y -= 13
        c.showPage()
    c.save()
    return path


def _letters(text: str) -> str:
    return "".join(ch.lower() for ch in text if ch.isalnum())


def _open(w: Any, qtbot: Any, path: Path, page: int, text: str, support: str = "") -> Any:
    w.open_passage(Passage(1, str(path), page, f"p. {page}", text), support)
    viewer = w.viewer
    qtbot.waitUntil(lambda: viewer.mode == "pdf" and bool(viewer.pdf.marks), timeout=10_000)
    qtbot.wait(50)  # the layout settles (the splitter gives the viewer its width)
    return viewer


def test_the_whole_passage_is_highlighted_across_the_column_break(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    pdf = two_columns(tmp_path / "registry.pdf", [[FILLER, FILLER, FILLER, PASSAGE, FILLER]])
    w = make_window()
    w.resize(1280, 800)
    viewer = _open(w, qtbot, pdf, 1, PASSAGE, SUPPORT)
    marks = viewer.pdf.marks
    plain = [m for m in marks if not m.strong]
    # every letter of the passage is covered, and nothing before or after it
    assert _letters("".join(m.text for m in plain)) == _letters(PASSAGE)
    assert "cumulative incidence in China at 5502" in " ".join(viewer.highlight.split())
    rects = [r for m in plain for r in m.rects]
    assert min(r.x() for r in rects) < 100 and max(r.x() for r in rects) > 300  # both columns
    assert len(rects) >= 5  # one box per line, not just the opening words
    strong = [m for m in marks if m.strong]
    assert strong and "5502" in strong[0].text and _letters(strong[0].text) == _letters(SUPPORT)

    # the viewer opened with the passage's first line in view
    shown = viewer.pdf.viewport().rect()
    first = min((vr for m, vr in viewer.pdf.mark_rects() if not m.strong), key=lambda r: (r.x() > 300, r.y()))
    assert shown.contains(first.toRect().center()), (first, shown)

    # the boxes sit on the painted text (page_rect mirrors QPdfView's layout), and the highlight is
    # translucent: inside a box the letters stay dark, the paper between them turns yellow
    qtbot.wait(300)  # QPdfView renders pages on a thread
    first = min((vr for m, vr in viewer.pdf.mark_rects() if not m.strong), key=lambda r: (r.x() > 300, r.y()))
    image = viewer.pdf.viewport().grab().toImage()
    box = first.toRect().adjusted(2, 2, -2, -2)
    dark = yellow = 0
    for x in range(box.left(), box.right(), 2):
        for y in range(box.top(), box.bottom()):
            c = image.pixelColor(x, y)
            dark += c.red() < 150 and c.green() < 150 and c.blue() < 150
            yellow += c.red() > 200 and c.green() > 150 and c.blue() < 180
    assert dark > 20 and yellow > 20, (dark, yellow)
    above = first.toRect().translated(0, -int(first.height() * 2.2))  # the blank line before the paragraph
    assert not any(image.pixelColor(x, above.center().y()).blue() < 180 for x in range(above.left(), above.right(), 3))


def test_zoom_and_fit_width_keep_the_page(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    pages = [[FILLER, f"Page {i} says where it is: section {i} of the report."] for i in range(1, 6)]
    pages[2] = [FILLER, PASSAGE]
    pdf = two_columns(tmp_path / "report.pdf", pages)
    w = make_window()
    w.resize(1280, 800)
    viewer = _open(w, qtbot, pdf, 3, PASSAGE)
    assert viewer.current_page() == 3 and viewer.pdf.anchor()[0] == 2
    buttons = {b.text(): b for b in viewer.pdf_page.findChildren(type(viewer.prev_page))}
    widths = []
    for label in ("+", "+", "Fit width", "−"):
        buttons[label].click()
        qtbot.wait(20)
        widths.append(viewer.pdf.page_rect(2).width())
        assert viewer.current_page() == 3, label
        assert viewer.pdf.anchor()[0] == 2, label  # the page at the top of the view is still page 3
        assert viewer.page_box.value() == 3
    assert widths[0] < widths[1] and widths[2] < widths[1] and widths[3] < widths[2]  # it did zoom
    # the user scrolls to page 2 (the viewer lets go of the passage): zooming keeps page 2
    bar = viewer.pdf.verticalScrollBar()
    bar.setValue(viewer.pdf.page_rect(1).y() + 40)
    bar.triggerAction(bar.SliderAction.SliderNoAction)  # a user action: the viewer stops holding page 3
    viewer._user_scrolled(0)
    for label in ("+", "Fit width"):
        buttons[label].click()
        qtbot.wait(20)
        assert viewer.pdf.anchor()[0] == 1, label

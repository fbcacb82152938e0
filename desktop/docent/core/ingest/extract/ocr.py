"""OCR for PDF pages that have no text layer (scans): each such page is rendered with PDFium
(pypdfium2) and read by RapidOCR (PP-OCRv6 small, on onnxruntime), whose model files ship inside
its PyPI package: nothing is downloaded, the models are opened from site-packages by path.

Only pages where both pypdf and PDFium find no text come here. Detected text lines are put back in
reading order (columns first, then top to bottom) and rebuilt into paragraphs like a text page, and
keep their page number. It runs inside the extraction worker: the worker allows a file that is being
OCR'd more time than its usual budget as long as pages keep coming (`ocr_limits`), up to
DOCENT_OCR_TIMEOUT_S (default 1200 s: a 200-page scan takes ~8 min at 2-2.5 s a page on 2 cores);
pages past that are left unread and the document's notes say so. `DOCENT_OCR=0` turns OCR off;
so does `DOCENT_PDF_FALLBACK=0` (pypdf alone). tests/bench/ocr.py measures accuracy and speed."""

from __future__ import annotations

import functools
import logging
import os
import statistics
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from docent.core.ingest.extract.common import clean, normalize_ws
from docent.core.ingest.extract.paragraphs import Line, split_paragraphs

log = logging.getLogger(__name__)

# tests/bench/ocr.py: at 120 dpi 99.96% of characters right; at 150-200 dpi the recogniser starts to
# run words of body-size print together (word recall 0.98, then 0.96); 7-pt print still reads at 120
RENDER_DPI = 120
MAX_SIDE_PX = 2000  # the recogniser shrinks larger images anyway; bounds memory for poster-size pages
DEFAULT_TIMEOUT_S = 1200.0
# pages tried without finding any text, after which OCR stops: not a scan (drawings, empty forms), or
# a file built to keep the reader busy
GIVE_UP_AFTER = 20
_ENGINE_PACKAGE = "rapidocr"
_MODELS = {  # in rapidocr's wheel, under rapidocr/models
    "det": "PP-OCRv6_det_small.onnx",
    "rec": "PP-OCRv6_rec_small.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}

OnPage = Callable[[int, int], None]


@dataclass(frozen=True)
class _Limits:
    deadline: float | None = None
    on_page: OnPage | None = None


_LIMITS: ContextVar[_Limits | None] = ContextVar("docent_ocr_limits", default=None)


@contextmanager
def ocr_limits(deadline: float | None = None, on_page: OnPage | None = None) -> Iterator[None]:
    """Within this block, OCR starts no page after `deadline` (time.monotonic()) and calls
    `on_page(done, total)` after each page it reads (the worker tells its parent that it is alive)."""
    token = _LIMITS.set(_Limits(deadline, on_page))
    try:
        yield
    finally:
        _LIMITS.reset(token)


def timeout_s() -> float:
    """How long OCR may keep one file's worker busy (DOCENT_OCR_TIMEOUT_S)."""
    try:
        value = float(os.environ.get("DOCENT_OCR_TIMEOUT_S", ""))
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


class OcrError(Exception):
    """OCR could not run on this file (the reason says why)."""


@dataclass
class OcrResult:
    """Paragraphs of each page OCR read text on; `tried`: the pages it looked at; `unread`: those
    it had no time left for; `count`: the document's page count as PDFium sees it."""

    count: int = 0
    texts: dict[int, list[str]] = field(default_factory=dict)
    tried: list[int] = field(default_factory=list)
    unread: list[int] = field(default_factory=list)
    seconds: float = 0.0


def unavailable_reason() -> str | None:
    """None when OCR can run; otherwise why not, in words for the document's reason."""
    if os.environ.get("DOCENT_OCR", "1") == "0":
        return "OCR is off (DOCENT_OCR=0)"
    try:
        _model_paths()
    except OcrError as exc:
        return str(exc)
    return None


@functools.lru_cache(maxsize=1)
def _model_paths() -> dict[str, str]:
    import importlib.util

    spec = importlib.util.find_spec(_ENGINE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise OcrError(f"OCR is unavailable (the '{_ENGINE_PACKAGE}' package is not installed)")
    models = Path(next(iter(spec.submodule_search_locations))) / "models"
    paths = {task: models / name for task, name in _MODELS.items()}
    missing = [p.name for task, p in paths.items() if task != "cls" and not p.is_file()]
    if missing:
        raise OcrError(f"OCR is unavailable (its model files are missing: {', '.join(missing)})")
    return {task: str(p) for task, p in paths.items()}


@functools.lru_cache(maxsize=1)
def _engine() -> Any:
    """One recogniser per process (the worker lives for many files): loading takes ~0.5 s."""
    paths = _model_paths()
    try:
        from docent.core.models.embedder import onnxruntime_offline

        onnxruntime_offline()  # RapidOCR runs on onnxruntime: its telemetry off first
        from rapidocr import RapidOCR
    except Exception as exc:  # noqa: BLE001 - a broken install (e.g. OpenCV's native libraries)
        raise OcrError(f"OCR is unavailable (its engine cannot be loaded: {str(exc)[:80]})") from exc
    # Explicit model paths: with them RapidOCR never looks for (or downloads) models elsewhere.
    return RapidOCR(params={
        "Global.log_level": "error",
        "Global.use_cls": False,  # upright pages; the orientation model costs time for little
        "Det.model_path": paths["det"],
        "Rec.model_path": paths["rec"],
        "Cls.model_path": paths["cls"],
    })


def render_scale(width_pt: float, height_pt: float, dpi: float = RENDER_DPI) -> float:
    """PDF points → pixels: `dpi`, but never more than MAX_SIDE_PX on the long side."""
    longest = max(width_pt, height_pt, 1.0)
    return min(dpi / 72.0, MAX_SIDE_PX / longest)


def read_pages(path: Path | str | bytes, pages: Sequence[int] | None = None,
               dpi: float = RENDER_DPI, expect_pages: int | None = None) -> OcrResult:
    """OCR the given 1-based pages (all when None). Raises OcrError when OCR is unavailable or the
    file cannot be opened. Stops starting pages once the `ocr_limits` deadline has passed. With
    `expect_pages`, reads nothing when PDFium counts another number of pages (the numbers would
    not match the other readers')."""
    why = unavailable_reason()
    if why:
        raise OcrError(why)
    import pypdfium2 as pdfium

    engine = _engine()
    limits = _LIMITS.get() or _Limits()
    started = time.monotonic()
    try:
        document = pdfium.PdfDocument(path if isinstance(path, bytes) else str(path))
    except pdfium.PdfiumError as exc:
        raise OcrError("OCR could not open the file") from exc
    result = OcrResult()
    try:
        result.count = len(document)
        if expect_pages is not None and result.count != expect_pages:
            return result
        todo = [n for n in (pages if pages is not None else range(1, result.count + 1)) if 1 <= n <= result.count]
        for k, number in enumerate(todo):
            if limits.deadline is not None and time.monotonic() > limits.deadline:
                result.unread = todo[k:]
                break
            try:
                paragraphs = _read_page(document, number - 1, engine, dpi)
            except pdfium.PdfiumError:
                paragraphs = []
            except MemoryError:
                result.unread = todo[k:]
                break
            result.tried.append(number)
            if paragraphs:
                result.texts[number] = paragraphs
            if limits.on_page is not None:
                limits.on_page(k + 1, len(todo))
            if not result.texts and len(result.tried) >= GIVE_UP_AFTER:
                break
    finally:
        document.close()
    result.seconds = time.monotonic() - started
    return result


def _read_page(document: Any, index: int, engine: Any, dpi: float) -> list[str]:
    page = document[index]
    try:
        width, height = page.get_size()
        scale = render_scale(width, height, dpi)
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            image = bitmap.to_numpy().copy()
        finally:
            bitmap.close()
    finally:
        page.close()
    if image.size == 0 or int(image.min()) >= 200:  # nothing darker than light grey: a blank page
        return []
    output = engine(image)
    if output.boxes is None or not output.txts:
        return []
    boxes = [
        TextBox(float(b[:, 0].min()) / scale, float(b[:, 1].min()) / scale,
             float(b[:, 0].max()) / scale, float(b[:, 1].max()) / scale, normalize_ws(clean(text)))
        for b, text in zip(output.boxes, output.txts)
    ]
    return page_paragraphs([b for b in boxes if b.text])


# ---- reading order -----------------------------------------------------------------------------
@dataclass(frozen=True)
class TextBox:
    """One detected text line (or part of one), in PDF points from the page's top-left corner."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def width(self) -> float:
        return self.x1 - self.x0


def page_paragraphs(boxes: list[TextBox]) -> list[str]:
    """Detected boxes → the page's paragraphs in reading order."""
    if not boxes:
        return []
    typical = statistics.median(b.height for b in boxes)
    groups: list[list[TextBox]] = []
    for box in _order(boxes):
        if groups and _same_line(groups[-1][-1], box):
            groups[-1].append(box)
        else:
            groups.append([box])
    lines: list[Line] = []
    for group in groups:
        height = max(b.height for b in group)
        # one size for body text: box heights vary with ascenders and descenders, and a change of size
        # starts a paragraph; only a clearly larger or smaller line (a heading) keeps its own
        size = typical if abs(height - typical) < 0.3 * typical else height
        y = statistics.mean((b.y0 + b.y1) / 2 for b in group)
        lines.append(Line(" ".join(b.text for b in group), -y, size))  # y grows upwards, as in PDF
    return split_paragraphs(lines)


def _same_line(a: TextBox, b: TextBox) -> bool:
    """b continues a's line: to its right, vertically overlapping by most of the smaller height."""
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return b.x0 >= a.x1 - 0.5 * min(a.height, b.height) and overlap > 0.5 * min(a.height, b.height)


def _order(boxes: list[TextBox], depth: int = 0) -> list[TextBox]:
    """Recursive XY-cut: a region splits into columns where a clear gutter runs through it (both
    sides holding lines of text, not table cells), else into blocks at wide horizontal gaps, each
    ordered the same way; lines read top to bottom, each left to right."""
    if len(boxes) <= 1 or depth > 40:
        return sorted(boxes, key=lambda b: (b.y0, b.x0))
    cut = _column_cut(boxes)
    if cut is not None:
        left = [b for b in boxes if b.x1 <= cut]
        right = [b for b in boxes if b.x1 > cut]
        return _order(left, depth + 1) + _order(right, depth + 1)
    bands = _bands(boxes)
    if len(bands) == 1:
        return _rows(boxes)
    # blocks apart by a line's height or more (a title over two columns, a section break) are ordered
    # on their own; bands closer than that are lines of one block, read in turn
    typical = statistics.median(b.height for b in boxes)
    blocks: list[list[TextBox]] = [list(bands[0])]
    for above, band in zip(bands, bands[1:]):
        if min(b.y0 for b in band) - max(b.y1 for b in above) >= 0.8 * typical:
            blocks.append(list(band))
        else:
            blocks[-1].extend(band)
    if len(blocks) > 1:
        return [b for block in blocks for b in _order(block, depth + 1)]
    return [b for band in bands for b in _rows(band)]


def _column_cut(boxes: list[TextBox]) -> float | None:
    """x of a gutter no box crosses, wide enough (a line height) and with column-wide lines on both
    sides (a table's narrow cells are read row by row instead)."""
    typical = statistics.median(b.height for b in boxes)
    region = max(b.x1 for b in boxes) - min(b.x0 for b in boxes)
    spans = sorted((b.x0, b.x1) for b in boxes)
    reach = spans[0][1]
    best: tuple[float, float] | None = None
    for x0, x1 in spans[1:]:
        if x0 - reach >= typical and (best is None or x0 - reach > best[1]):
            cut = (reach + x0) / 2
            left = [b for b in boxes if b.x1 <= cut]
            right = [b for b in boxes if b.x1 > cut]
            if (len(left) >= 3 and len(right) >= 3
                    and statistics.median(b.width for b in left) >= 0.25 * region
                    and statistics.median(b.width for b in right) >= 0.25 * region):
                best = (cut, x0 - reach)
        reach = max(reach, x1)
    return best[0] if best else None


def _bands(boxes: list[TextBox]) -> list[list[TextBox]]:
    """Boxes grouped into horizontal bands separated by gaps no box covers, top to bottom."""
    bands: list[list[TextBox]] = []
    bottom = float("-inf")
    for box in sorted(boxes, key=lambda b: b.y0):
        # a box reaching above the band's bottom by half its height or more joins it (OCR boxes are
        # padded: lines that follow each other may touch)
        if bands and box.y0 < bottom - 0.5 * box.height:
            bands[-1].append(box)
            bottom = max(bottom, box.y1)
        else:
            bands.append([box])
            bottom = box.y1
    return bands


def _rows(boxes: list[TextBox]) -> list[TextBox]:
    """A band that no gap divides: rows by vertical centre, each read left to right."""
    rows: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: (b.y0 + b.y1) / 2):
        centre = (box.y0 + box.y1) / 2
        if rows and rows[-1][0].y0 <= centre <= rows[-1][0].y1:
            rows[-1].append(box)
        else:
            rows.append([box])
    return [b for row in rows for b in sorted(row, key=lambda b: b.x0)]

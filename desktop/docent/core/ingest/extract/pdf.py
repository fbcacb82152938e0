"""PDF with pypdf, page by page. Pages keep their 1-based number and printed label; each page's
text is rebuilt into paragraphs (lines joined, hyphenation undone).

Where pypdf cannot open a file, or finds no text on a page, PDFium (pypdfium2) tries: it repairs
broken cross-reference tables and reads fonts pypdf misses (on the messy test corpus it indexes
more files and pages; tests/bench/messy.py measures it). Both run inside the extraction worker
process, under its time and memory budget, so a crash in native PDFium code costs one file, not
the run. `DOCENT_PDF_FALLBACK=0` turns the fallback off (to compare)."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from docent.core.ingest.extract.common import EMPTY_REASON, ExtractError, clean, normalize_ws
from docent.core.ingest.extract.paragraphs import Line, lines_from_segments, split_paragraphs
from docent.core.ingest.extract.tables import table_lines
from docent.core.types import Block, Extraction

if TYPE_CHECKING:
    from docent.core.ingest.extract.ocr import OcrResult

log = logging.getLogger(__name__)

def page_lines(page: object) -> list[Line]:
    """The page's lines in reading order; a page that is mostly a table (a financial statement)
    as labelled rows (tables.py)."""
    runs: list[tuple[str, float, float, float]] = []  # (text, x, baseline y, font size)

    def visitor(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text:
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = abs(tm[3] * cm[3]) or 1.0
            runs.append((text, x, y, float(size or 0) * scale))

    raw = page.extract_text(visitor_text=visitor) or ""  # type: ignore[attr-defined]
    if "".join(r[0] for r in runs) != raw:  # positions unusable: fall back to plain lines
        return [Line(t) for t in clean(raw).split("\n")]
    table = table_lines([(clean(t), x, y, s) for t, x, y, s in runs])
    if table is not None:
        return table
    return [Line(clean(line.text), line.y, line.size) for line in lines_from_segments([(t, y, s) for t, _, y, s in runs])]


def _page_labels(reader: object, count: int) -> list[str | None]:
    try:
        labels = list(reader.page_labels)  # type: ignore[attr-defined]
    except Exception:
        return [None] * count
    if len(labels) != count:
        return [None] * count
    return [lab if lab and lab != str(i + 1) else None for i, lab in enumerate(labels)]


def open_reader(path: Path) -> object:
    try:
        from pypdf import PdfReader
        from pypdf.errors import DependencyError, FileNotDecryptedError
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ExtractError(f"pypdf is not installed ({exc})") from exc
    pypdf_log = logging.getLogger("pypdf")
    if pypdf_log.level == logging.NOTSET and not logging.getLogger().isEnabledFor(logging.DEBUG):
        # pypdf's warnings about damaged files quote its raw bytes, document text included (in an
        # uncompressed page): kept out of the log unless debugging. What matters is the file's outcome.
        pypdf_log.setLevel(logging.CRITICAL)  # its robustness fixes are logged as errors too
    with path.open("rb") as fh:
        head = fh.read(1024)
    if not head:
        raise ExtractError(EMPTY_REASON, status="skipped")  # like an empty .txt: nothing to read, nothing broken
    if b"%PDF" not in head:
        raise ExtractError("not a PDF (no %PDF header)")
    try:
        reader = PdfReader(str(path), strict=False)
    except Exception as exc:  # pypdf raises many types on damaged files
        raise ExtractError(damage_reason(exc)) from exc
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except DependencyError as exc:
            raise ExtractError(
                "encrypted PDF, and the 'cryptography' package needed to open it is missing"
            ) from exc
        except (FileNotDecryptedError, NotImplementedError) as exc:
            raise ExtractError(f"encrypted PDF with an unsupported scheme ({exc})", status="skipped") from exc
        except Exception as exc:
            raise ExtractError("damaged PDF: its encryption settings cannot be read") from exc
        if not ok:
            raise ExtractError(PASSWORD_REASON, status="skipped")
    return reader


PASSWORD_REASON = ("password-protected PDF (it opens only with its password): save a copy without the password, "
                   "e.g. print it to PDF from a viewer that has the password, and index that")
SCANNED_REASON = "no text (scanned?)"  # how the reason for a PDF whose pages have no text layer starts

# pypdf's messages for damaged files → what a user can understand (first match wins)
_DAMAGE = [
    (re.compile(r"startxref|xref|trailer|/Root|root object", re.I),
     "its cross-reference table or trailer is missing or broken (truncated or damaged file)"),
    (re.compile(r"ended unexpectedly|EOF marker|unexpected end|end of (the )?(file|stream)", re.I),
     "the file ends too early (truncated?)"),
    (re.compile(r"cyclic|loop", re.I), "its page tree loops back on itself"),
    (re.compile(r"/Pages|/Kids|page tree|/Type", re.I), "its page tree is broken"),
    (re.compile(r"decrypt|encrypt|key size|RC4|AES", re.I), "its encryption settings cannot be read"),
    (re.compile(r"Elementary Object|stream|object|token|dictionary|delimiter|parse", re.I),
     "its internal objects cannot be parsed"),
]


def damage_reason(exc: BaseException, what: str = "damaged PDF") -> str:
    """A reason a user can read for an exception pypdf raised on a damaged file."""
    if isinstance(exc, RecursionError):
        return f"{what}: its structure is nested too deeply to read"
    if isinstance(exc, MemoryError):
        return f"{what}: it needs too much memory to read"
    message = str(exc)
    for pattern, text in _DAMAGE:
        if pattern.search(message):
            return f"{what}: {text}"
    return f"{what}: its structure cannot be parsed"


def fallback_enabled() -> bool:
    return os.environ.get("DOCENT_PDF_FALLBACK", "1") != "0"


def extract_pdf(path: Path) -> Extraction:
    """pypdf first; PDFium for a file pypdf cannot open or finds no text in, and for the pages
    where pypdf finds none; OCR (ocr.py) for the pages where neither finds any (so not with the
    fallback off: pypdf alone, to compare)."""
    fallback = fallback_enabled()
    try:
        result = _extract_pypdf(path)
    except ExtractError as exc:
        if not fallback or exc.reason == PASSWORD_REASON or exc.reason.startswith("empty file"):
            raise
        rescued = _extract_pdfium(path)
        if rescued is None or not rescued.blocks:
            if exc.reason.startswith(SCANNED_REASON):
                return _ocr_scanned(path, exc)
            raise
        rescued.warnings.insert(0, f"read with PDFium; pypdf could not ({exc.reason})")
        if rescued.empty_pages:
            _ocr_empty_pages(path, rescued)
        return rescued
    if fallback and result.empty_pages:
        _fill_empty_pages(path, result)
        if result.empty_pages:
            _ocr_empty_pages(path, result)
    return result


def _extract_pypdf(path: Path) -> Extraction:
    reader = open_reader(path)
    try:
        pages = reader.pages  # type: ignore[attr-defined]
        count = len(pages)
    except Exception as exc:
        raise ExtractError(damage_reason(exc)) from exc
    if count == 0:
        raise ExtractError("damaged PDF: it has no pages")
    labels = _page_labels(reader, count)
    blocks: list[Block] = []
    empty: list[int] = []
    warnings: list[str] = []
    for index in range(count):
        number = index + 1
        try:
            lines = page_lines(pages[index])
        except Exception as exc:
            log.debug("p. %d of %s: %r", number, path, exc)
            warnings.append(f"p. {number}: text could not be read (damaged page)")
            empty.append(number)
            continue
        paragraphs = split_paragraphs(lines)
        if not paragraphs:
            empty.append(number)
            continue
        for para, text in enumerate(paragraphs, start=1):
            blocks.append(Block(text=text, page=number, label=labels[index], para=para))
    if not blocks:
        if len(empty) == count and not warnings:
            if _text_only_in_annotations(pages, count):
                raise ExtractError(
                    "no text in its pages: what it shows is in form fields or annotations, which are not indexed",
                    status="skipped",
                )
            raise ExtractError(f"{SCANNED_REASON}: none of its {count} pages has a text layer", status="skipped")
        raise ExtractError(f"no readable text on any of its {count} pages")
    return Extraction(blocks=blocks, pages=count, empty_pages=empty, warnings=warnings)


def _text_only_in_annotations(pages: object, count: int) -> bool:
    """Whether a page without text carries form fields or annotations with text of their own."""
    try:
        for index in range(min(count, 20)):
            annots = pages[index].get("/Annots")  # type: ignore[index]
            for ref in (annots.get_object() if annots is not None else None) or []:
                annot = ref.get_object()
                if annot.get("/Subtype") in ("/Widget", "/FreeText", "/Text") and (
                    annot.get("/V") or annot.get("/Contents") or annot.get("/AP")
                ):
                    return True
    except Exception:  # only refines a reason: a damaged annotation must not matter
        return False
    return False


# ---- PDFium (pypdfium2) fallback --------------------------------------------------------------------
_PDFIUM_SOFT_HYPHEN = re.compile("\ufffe(\r?\n)?")  # PDFium marks a hyphen that ends a line


def pdfium_page_texts(path: Path, only: set[int] | None = None) -> tuple[int, dict[int, list[str]]]:
    """PDFium's page count and {1-based page: paragraphs} for the pages with text (`only`: just
    those pages). Raises ExtractError with a reason when PDFium cannot open the file."""
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ExtractError(f"pypdfium2 is not installed ({exc})") from exc
    try:
        document = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium.raw.FPDF_ERR_PASSWORD:
            raise ExtractError(PASSWORD_REASON, status="skipped") from exc
        if code == pdfium.raw.FPDF_ERR_SECURITY:
            raise ExtractError("encrypted PDF with an unsupported scheme", status="skipped") from exc
        raise ExtractError("damaged PDF: PDFium cannot open it either") from exc
    texts: dict[int, list[str]] = {}
    try:
        count = len(document)
        for index in range(count):
            number = index + 1
            if only is not None and number not in only:
                continue
            try:
                page = document[index]
                try:
                    textpage = page.get_textpage()
                    try:
                        raw = textpage.get_text_range()
                    finally:
                        textpage.close()
                finally:
                    page.close()
            except pdfium.PdfiumError:
                continue
            text = clean(_PDFIUM_SOFT_HYPHEN.sub("", raw))
            paragraphs = split_paragraphs(text)
            if paragraphs:
                texts[number] = paragraphs
    finally:
        document.close()
    return count, texts


def _extract_pdfium(path: Path) -> Extraction | None:
    """The whole file with PDFium (page numbers are PDFium's), or None when it reads no text."""
    try:
        count, texts = pdfium_page_texts(path)
    except ExtractError:
        return None
    blocks = [
        Block(text=text, page=number, para=para)
        for number in sorted(texts)
        for para, text in enumerate(texts[number], start=1)
    ]
    if not blocks:
        return None
    empty = [n for n in range(1, count + 1) if n not in texts]
    return Extraction(blocks=blocks, pages=count, empty_pages=empty, warnings=[])


def _fill_empty_pages(path: Path, result: Extraction) -> None:
    """Pages where pypdf found no text, read again with PDFium (when both agree on the page count,
    so page numbers stay right)."""
    try:
        count, texts = pdfium_page_texts(path, only=set(result.empty_pages))
    except ExtractError:
        return
    if count != result.pages or not texts:
        return
    labels = {b.page: b.label for b in result.blocks}
    by_page: dict[int, list[Block]] = {}
    for block in result.blocks:
        by_page.setdefault(block.page or 0, []).append(block)
    for number, paragraphs in texts.items():
        by_page[number] = [Block(text=t, page=number, label=labels.get(number), para=k)
                           for k, t in enumerate(paragraphs, start=1)]
    result.blocks[:] = [b for number in sorted(by_page) for b in by_page[number]]
    result.empty_pages[:] = [n for n in result.empty_pages if n not in texts]
    result.warnings[:] = [w for w in result.warnings if not any(w.startswith(f"p. {n}:") for n in texts)]
    result.warnings.append(f"text of {len(texts)} page(s) read with PDFium (pypdf found none)")


# ---- OCR for pages without a text layer (ocr.py) ------------------------------------------------------
def _ocr_scanned(path: Path, exc: ExtractError) -> Extraction:
    """A PDF none of whose pages has a text layer: its pages read by OCR, or a reason that says why
    not (OCR off or unavailable, or it found no text either)."""
    import docent.core.ingest.extract.ocr as ocr

    try:
        got = ocr.read_pages(path)
    except ocr.OcrError as why:
        raise ExtractError(f"{exc.reason}; {why}", status="skipped") from exc
    except Exception as error:  # noqa: BLE001 - the OCR engine failing is this file's outcome
        log.debug("OCR of %s failed: %r", path, error)
        raise ExtractError(f"{exc.reason}; OCR failed on it ({str(error)[:80]})", status="skipped") from exc
    if not got.texts:
        shortfall = "OCR ran out of time" if got.unread else "OCR found none either"
        raise ExtractError(f"{exc.reason}, and {shortfall}", status="skipped") from exc
    labels = _labels_of(path, got.count)
    blocks = [Block(text=text, page=number, label=labels.get(number), para=para)
              for number in sorted(got.texts) for para, text in enumerate(got.texts[number], start=1)]
    empty = [n for n in range(1, got.count + 1) if n not in got.texts]
    return Extraction(blocks=blocks, pages=got.count, empty_pages=empty, warnings=_ocr_notes(got))


def _ocr_empty_pages(path: Path, result: Extraction) -> None:
    """The pages where neither pypdf nor PDFium found text, read by OCR (when PDFium counts the
    same pages, so page numbers stay right). Blank pages stay empty."""
    import docent.core.ingest.extract.ocr as ocr

    if ocr.unavailable_reason():
        return
    try:
        got = ocr.read_pages(path, pages=list(result.empty_pages), expect_pages=result.pages)
    except Exception as error:  # noqa: BLE001 - the text layer's pages are still good
        log.debug("OCR of %s failed: %r", path, error)
        result.warnings.append(f"OCR failed on its pages without text ({str(error)[:80]})")
        return
    if got.count != result.pages or not (got.texts or got.unread):
        return
    labels = _labels_of(path, result.pages)
    by_page: dict[int, list[Block]] = {}
    for block in result.blocks:
        by_page.setdefault(block.page or 0, []).append(block)
    for number, paragraphs in got.texts.items():
        by_page[number] = [Block(text=t, page=number, label=labels.get(number), para=k)
                           for k, t in enumerate(paragraphs, start=1)]
    result.blocks[:] = [b for number in sorted(by_page) for b in by_page[number]]
    result.empty_pages[:] = [n for n in result.empty_pages if n not in got.texts]
    result.warnings[:] = [w for w in result.warnings if not any(w.startswith(f"p. {n}:") for n in got.texts)]
    result.warnings[:0] = _ocr_notes(got)  # first, so the document's notes show it


def _ocr_notes(got: OcrResult) -> list[str]:
    """ "14 pages read by OCR", and the pages it had no time for."""
    notes = []
    if got.texts:
        n = len(got.texts)
        notes.append(f"{n} page{'' if n == 1 else 's'} read by OCR")
    if got.unread:
        span = f"{got.unread[0]}–{got.unread[-1]}" if len(got.unread) > 1 else str(got.unread[0])
        notes.append(f"{len(got.unread)} page(s) without text not read: OCR stopped at its time limit "
                     f"(DOCENT_OCR_TIMEOUT_S): {span}")
    return notes


def _labels_of(path: Path, count: int) -> dict[int, str]:
    """Printed page labels (pypdf), for pages read another way; none when pypdf cannot tell."""
    try:
        labels = _page_labels(open_reader(path), count)
    except Exception:  # noqa: BLE001 - labels are a nicety
        return {}
    return {i + 1: lab for i, lab in enumerate(labels) if lab}

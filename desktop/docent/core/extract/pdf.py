"""PDF with pypdf, page by page. Pages keep their 1-based number and printed label; each page's
text is rebuilt into paragraphs (lines joined, hyphenation undone)."""

from __future__ import annotations

import logging
import re
import statistics
from pathlib import Path

from docent.core.extract import ExtractError
from docent.core.extract.common import clean, normalize_ws
from docent.core.types import Block, Extraction

log = logging.getLogger(__name__)

_END_PUNCT = re.compile(r"[.!?:;\"”’)\]]$")
_HYPHEN_END = re.compile(r"[A-Za-zÀ-ÿ]-$")
_BULLET = re.compile(r"^([•▪◦●\-–*]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+")


def split_paragraphs(page_text: str) -> list[str]:
    """Rebuild paragraphs from the lines pypdf returns for one page."""
    lines = [normalize_ws(line) for line in page_text.replace("\r", "\n").split("\n")]
    lengths = [len(line) for line in lines if len(line) > 20]
    typical = statistics.median(lengths) if lengths else 0
    paragraphs: list[str] = []
    current = ""
    prev_len = 0
    for line in lines:
        if not line:
            if current:
                paragraphs.append(current)
                current = ""
            continue
        if current:
            ends_sentence = bool(_END_PUNCT.search(current))
            short_prev = typical > 0 and prev_len < 0.75 * typical
            starts_new = bool(_BULLET.match(line)) or (ends_sentence and short_prev)
            # A short line without final punctuation followed by a line (a heading) ends a block.
            heading_like = short_prev and not ends_sentence and prev_len < 60 and len(current) == prev_len
            if starts_new or heading_like:
                paragraphs.append(current)
                current = line
            elif _HYPHEN_END.search(current) and line[:1].islower():
                current = current[:-1] + line
            else:
                current = current + " " + line
        else:
            current = line
        prev_len = len(line)
    if current:
        paragraphs.append(current)
    return [p for p in paragraphs if p.strip()]


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
        from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ExtractError(f"pypdf is not installed ({exc})") from exc
    with path.open("rb") as fh:
        head = fh.read(1024)
    if not head:
        raise ExtractError("empty file (0 bytes)")
    if b"%PDF" not in head:
        raise ExtractError("not a PDF (no %PDF header)")
    try:
        reader = PdfReader(str(path), strict=False)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise ExtractError(f"damaged PDF ({type(exc).__name__}: {str(exc)[:120]})") from exc
    except Exception as exc:
        raise ExtractError(f"damaged PDF ({type(exc).__name__}: {str(exc)[:120]})") from exc
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
            raise ExtractError(f"damaged encryption dictionary ({type(exc).__name__})") from exc
        if not ok:
            raise ExtractError("password-protected", status="skipped")
    return reader


def extract_pdf(path: Path) -> Extraction:
    reader = open_reader(path)
    try:
        pages = reader.pages  # type: ignore[attr-defined]
        count = len(pages)
    except Exception as exc:
        raise ExtractError(f"damaged PDF: its page tree cannot be read ({type(exc).__name__})") from exc
    if count == 0:
        raise ExtractError("the PDF has no pages")
    labels = _page_labels(reader, count)
    blocks: list[Block] = []
    empty: list[int] = []
    warnings: list[str] = []
    for index in range(count):
        number = index + 1
        try:
            raw = pages[index].extract_text() or ""
        except Exception as exc:
            warnings.append(f"p. {number}: text could not be read ({type(exc).__name__})")
            empty.append(number)
            continue
        paragraphs = split_paragraphs(clean(raw))
        if not paragraphs:
            empty.append(number)
            continue
        for para, text in enumerate(paragraphs, start=1):
            blocks.append(Block(text=text, page=number, label=labels[index], para=para))
    if not blocks:
        if len(empty) == count and not warnings:
            raise ExtractError(f"no text (scanned?): none of its {count} pages has a text layer", status="skipped")
        raise ExtractError(f"no readable text on any of its {count} pages")
    return Extraction(blocks=blocks, pages=count, empty_pages=empty, warnings=warnings)

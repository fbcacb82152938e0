"""PDF with pypdf, page by page. Pages keep their 1-based number and printed label; each page's
text is rebuilt into paragraphs (lines joined, hyphenation undone)."""

from __future__ import annotations

import logging
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from docent.core.extract import ExtractError
from docent.core.extract.common import clean, normalize_ws
from docent.core.types import Block, Extraction

log = logging.getLogger(__name__)

_END_PUNCT = re.compile(r"[.!?:;\"”’)\]]$")
_HYPHEN_END = re.compile(r"[A-Za-zÀ-ÿ]-$")
_BULLET = re.compile(r"^([•▪◦●\-–*]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+")


@dataclass
class Line:
    text: str
    y: float | None = None
    size: float = 0.0


def lines_from_segments(segments: list[tuple[str, float, float]]) -> list[Line]:
    """pypdf's visitor segments (text, baseline y, font size), which concatenate to exactly the
    extracted text, → lines carrying the position of their first visible text."""
    lines: list[Line] = []
    current = Line("")
    for text, y, size in segments:
        parts = text.split("\n")
        for k, part in enumerate(parts):
            if k > 0:
                lines.append(current)
                current = Line("")
            if part.strip() and current.y is None:
                current.y, current.size = y, size
            current.text += part
    lines.append(current)
    return lines


def split_paragraphs(page_text: str | list[Line]) -> list[str]:
    """Rebuild paragraphs from the lines of one page. With baseline positions, a gap wider than
    the usual line spacing (or a change of font size) starts a paragraph; without them, a short
    line that ends a sentence does."""
    if isinstance(page_text, str):
        lines = [Line(t) for t in page_text.replace("\r", "\n").split("\n")]
    else:
        lines = page_text
    for line in lines:
        line.text = normalize_ws(line.text)
    gaps = [
        a.y - b.y
        for a, b in zip(lines, lines[1:])
        if a.y is not None and b.y is not None and a.text and b.text and 0 < a.y - b.y < 4 * max(a.size, b.size, 1)
    ]
    spacing = statistics.median(gaps) if len(gaps) >= 3 else None
    lengths = [len(line.text) for line in lines if len(line.text) > 20]
    typical = statistics.median(lengths) if lengths else 0
    paragraphs: list[str] = []
    current = ""
    prev: Line | None = None
    for line in lines:
        text = line.text
        if not text:
            if current:
                paragraphs.append(current)
                current = ""
            prev = None
            continue
        if current and prev is not None:
            ends_sentence = bool(_END_PUNCT.search(current))
            short_prev = typical > 0 and len(prev.text) < 0.75 * typical
            if spacing is not None and prev.y is not None and line.y is not None:
                gap = prev.y - line.y
                size_change = prev.size and line.size and abs(prev.size - line.size) > 0.15 * max(prev.size, line.size)
                starts_new = gap > spacing * 1.25 + 0.5 or gap < -0.5 or bool(size_change)
            else:
                heading_like = short_prev and not ends_sentence and len(prev.text) < 60 and len(current) == len(prev.text)
                starts_new = (ends_sentence and short_prev) or heading_like
            if starts_new or _BULLET.match(text):
                paragraphs.append(current)
                current = text
            elif _HYPHEN_END.search(current) and text[:1].islower():
                current = current[:-1] + text
            else:
                current = current + " " + text
        else:
            current = text
        prev = line
    if current:
        paragraphs.append(current)
    return [p for p in paragraphs if p.strip()]


def page_lines(page: object) -> list[Line]:
    segments: list[tuple[str, float, float]] = []

    def visitor(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text:
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            scale = abs(tm[3] * cm[3]) or 1.0
            segments.append((text, y, float(size or 0) * scale))

    raw = page.extract_text(visitor_text=visitor) or ""  # type: ignore[attr-defined]
    if "".join(t for t, _, _ in segments) != raw:  # positions unusable: fall back to plain lines
        return [Line(t) for t in clean(raw).split("\n")]
    return [Line(clean(line.text), line.y, line.size) for line in lines_from_segments(segments)]


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
            lines = page_lines(pages[index])
        except Exception as exc:
            warnings.append(f"p. {number}: text could not be read ({type(exc).__name__})")
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
            raise ExtractError(f"no text (scanned?): none of its {count} pages has a text layer", status="skipped")
        raise ExtractError(f"no readable text on any of its {count} pages")
    return Extraction(blocks=blocks, pages=count, empty_pages=empty, warnings=warnings)

"""Paragraphs from a page's lines: lines joined by their baseline gaps and font sizes, hyphenation
undone, bullets and headings kept apart. Shared by the PDF reader (pypdf's text positions) and OCR
(recognised text boxes)."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from docent.core.ingest.extract.common import normalize_ws

_END_PUNCT = re.compile(r"[.!?:;\"”’)\]]$")
_HYPHEN_END = re.compile(r"[A-Za-zÀ-ÿ]-$")
_BULLET = re.compile(r"^([•▪◦●\-–*]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+")


@dataclass
class Line:
    text: str
    y: float | None = None
    size: float = 0.0
    row: bool = False  # a table's labelled row (tables.py): one a line, never joined into prose


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
        if line.row or (prev is not None and prev.row):
            if current and prev is not None and prev.row and line.row:
                current = current + "\n" + text  # the next row of the same table
            else:
                if current:
                    paragraphs.append(current)
                current = text
        elif current and prev is not None:
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

"""Word documents (.docx) with python-docx: body paragraphs and tables in document order,
each paragraph with its heading path ("2 Scope › 2.1 Terms") and its number in that section."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from docent.core.extract import ExtractError
from docent.core.extract.common import clean, heading_path, normalize_ws
from docent.core.types import Block, Extraction

_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|título|titolo|kop)\s*(\d)", re.I)
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # zip-bomb guard for the whole package


def _heading_level(paragraph: Any) -> int | None:
    style = getattr(paragraph, "style", None)
    name = (getattr(style, "name", "") or "") if style is not None else ""
    if name.lower() == "title":
        return 0
    m = _HEADING_STYLE.match(name)
    if m:
        return int(m.group(1))
    # Outline level set directly on the paragraph (documents that don't use heading styles).
    ppr = paragraph._p.pPr
    if ppr is not None:
        lvl = ppr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}outlineLvl")
        if lvl is not None:
            val = lvl.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val")
            if val is not None and val.isdigit() and int(val) < 9:
                return int(val) + 1
    return None


def _is_list_item(paragraph: Any) -> bool:
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return True
    name = (paragraph.style.name or "") if paragraph.style is not None else ""
    return name.lower().startswith("list")


def _table_rows(table: Any) -> list[str]:
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            # merged cells repeat the same object; keep each once
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(normalize_ws(clean(cell.text.replace("\n", " "))))
        if any(cells):
            rows.append(cells)
    if not rows:
        return []
    header = rows[0]
    looks_like_header = len(rows) > 1 and all(h and len(h) < 60 for h in header)
    out = [" | ".join(header)]
    for cells in rows[1:]:
        if looks_like_header and len(cells) == len(header):
            out.append(" | ".join(f"{h}: {c}" for h, c in zip(header, cells) if c))
        else:
            out.append(" | ".join(cells))
    return out


def _check_package(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
            if total > MAX_UNCOMPRESSED:
                raise ExtractError(
                    f"refused: the package would unpack to {total // (1024 * 1024)} MB (zip bomb?)"
                )
            if "word/document.xml" not in zf.namelist():
                raise ExtractError("not a Word document (no word/document.xml inside)")
    except zipfile.BadZipFile:
        head = path.read_bytes()[:8]
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise ExtractError(
                "legacy or password-protected Word file (OLE container): save it as .docx to index it",
                status="skipped",
            ) from None
        raise ExtractError("not a valid .docx (the zip container is damaged)") from None


def extract_docx(path: Path) -> Extraction:
    _check_package(path)
    try:
        import docx  # python-docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise ExtractError(f"python-docx is not installed ({exc})") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many types on damaged files
        msg = str(exc).split("\n")[0][:160]
        if "content type" in msg and "not a Word file" in msg:
            raise ExtractError("not a Word document (wrong content type inside the package)") from exc
        raise ExtractError(f"damaged Word document ({type(exc).__name__}: {msg})") from exc

    stack: list[tuple[int, str]] = []
    blocks: list[Block] = []
    para = 0
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(child, document)
            text = normalize_ws(clean(p.text))
            if not text:
                continue
            level = _heading_level(p)
            if level is not None:
                stack = [(lv, t) for lv, t in stack if lv < level] + [(level, text)]
                para = 0
                blocks.append(Block(text=text, heading=heading_path(stack), kind="heading"))
                continue
            para += 1
            is_list = _is_list_item(p)
            blocks.append(
                Block(
                    text=("• " + text) if is_list else text,
                    heading=heading_path(stack),
                    para=para,
                    kind="list" if is_list else "text",
                )
            )
        elif tag == "tbl":
            rows = _table_rows(Table(child, document))
            if rows:
                para += 1
                blocks.append(Block(text="\n".join(rows), heading=heading_path(stack), para=para, kind="table"))
    if not any(b.kind != "heading" for b in blocks) and not blocks:
        raise ExtractError("no text in this document", status="skipped")
    if not blocks:
        raise ExtractError("no text in this document", status="skipped")
    return Extraction(blocks=blocks, pages=0)

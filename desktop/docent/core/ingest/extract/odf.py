"""OpenDocument files (LibreOffice, OpenOffice) with odfpy, which reads all three kinds:
text (.odt) like Word (headings as the heading path, paragraphs, lists, tables), spreadsheets (.ods)
like Excel ("sheet Sales, rows 12–30", rows under their header; repeated empty rows are counted, not
expanded) and presentations (.odp) like PowerPoint ("slide 7", "notes of slide 7")."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from docent.core.ingest.extract.common import ExtractError, clean, heading_path, normalize_ws, table_lines
from docent.core.ingest.extract.package import Kind, damage_reason, open_package
from docent.core.ingest.extract.xlsx import MAX_COLUMNS, MAX_ROWS, sheet_blocks
from docent.core.types import Block, Extraction

ODF = Kind("OpenDocument file", "LibreOffice", ".odt/.ods/.odp", "content.xml")
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_DRAW_NS = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
_PRES_NS = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"


def _name(el: Any) -> str:
    qname = getattr(el, "qname", None)
    return qname[1] if qname else ""


def _text(el: Any) -> str:
    from odf import teletype

    return normalize_ws(clean(teletype.extractText(el)))


def _attr(el: Any, ns: str, name: str) -> str:
    try:
        return str(el.getAttrNS(ns, name) or "")
    except (ValueError, AttributeError):
        return ""


def _children(el: Any) -> list[Any]:
    return [c for c in getattr(el, "childNodes", []) if getattr(c, "nodeType", 0) == 1]


def _rows(table: Any) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of a table, repeated rows and cells counted as a spreadsheet does."""
    number = 0
    stack = _children(table)
    while stack:
        el = stack.pop(0)
        name = _name(el)
        if name in ("table-header-rows", "table-rows", "table-row-group"):
            stack[0:0] = _children(el)
            continue
        if name != "table-row":
            continue
        repeat = int(_attr(el, _TABLE_NS, "number-rows-repeated") or 1)
        cells: list[str] = []
        for cell in _children(el):
            if _name(cell) not in ("table-cell", "covered-table-cell"):
                continue
            text = _text(cell)
            times = int(_attr(cell, _TABLE_NS, "number-columns-repeated") or 1)
            cells.extend([text] * min(times, MAX_COLUMNS - len(cells)))  # empty ones too: columns stay aligned
            if len(cells) >= MAX_COLUMNS:
                break
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            number += repeat  # 1,048,576 repeated empty rows are a count, never a loop
            continue
        for _ in range(min(repeat, MAX_ROWS)):
            number += 1
            yield number, cells


def _text_blocks(body: Any) -> list[Block]:
    stack_h: list[tuple[int, str]] = []
    blocks: list[Block] = []
    para = 0
    todo: list[tuple[Any, bool]] = [(c, False) for c in _children(body)]
    while todo:
        el, in_list = todo.pop(0)
        name = _name(el)
        if name in ("section", "list", "list-item", "list-header", "index-body", "table-of-content",
                    "alphabetical-index", "illustration-index"):
            todo[0:0] = [(c, in_list or name.startswith("list")) for c in _children(el)]
        elif name == "h":
            title = _text(el)
            if title:
                level = int(_attr(el, _TEXT_NS, "outline-level") or 1)
                stack_h = [(lv, t) for lv, t in stack_h if lv < level] + [(level, title)]
                para = 0
                blocks.append(Block(text=title, heading=heading_path(stack_h), kind="heading"))
        elif name == "p":
            text = _text(el)
            if text:
                para += 1
                blocks.append(Block(text=("• " + text) if in_list else text, heading=heading_path(stack_h),
                                    para=para, kind="list" if in_list else "text"))
        elif name == "table":
            lines = table_lines([cells for _, cells in _rows(el)][:MAX_ROWS])
            if lines:
                para += 1
                blocks.append(Block(text="\n".join(lines), heading=heading_path(stack_h), para=para, kind="table"))
    return blocks


def _sheet_blocks(body: Any, warnings: list[str]) -> list[Block]:
    blocks: list[Block] = []
    for table in (c for c in _children(body) if _name(c) == "table"):
        name = normalize_ws(_attr(table, _TABLE_NS, "name")) or "(unnamed)"
        found, unread = sheet_blocks(name, _rows(table), MAX_ROWS - len(blocks))
        if unread is not None:
            warnings.append(f"sheet {name}: rows from {unread:,} on not read (Docent reads at most {MAX_ROWS:,} "
                            f"rows a workbook)")
        blocks.extend(found)
    return blocks


def _frame_lines(el: Any) -> list[str]:
    from odf import text as odf_text

    return [t for t in (_text(p) for p in el.getElementsByType(odf_text.P)) if t]


def _slide_blocks(body: Any) -> tuple[list[Block], int]:
    blocks: list[Block] = []
    pages = [c for c in _children(body) if _name(c) == "page"]
    for n, page in enumerate(pages, start=1):
        place, title, para = f"slide {n}", "", 0
        notes: list[str] = []
        for shape in _children(page):
            if _name(shape) == "notes":
                notes.extend(_frame_lines(shape))
                continue
            lines = _frame_lines(shape)
            if not lines:
                continue
            if not title and _attr(shape, _PRES_NS, "class") == "title":
                title = " ".join(lines)
                blocks.append(Block(text=title, heading=title, place=place, kind="heading"))
                continue
            para += 1
            blocks.append(Block(text="\n".join(lines), heading=title, place=place, para=para,
                                kind="list" if len(lines) > 1 else "text"))
        if notes:
            blocks.append(Block(text="\n".join(notes), heading=title, place=f"notes of slide {n}", para=1))
    return blocks, len(pages)


def extract_odf(path: Path) -> Extraction:
    with open_package(path, ODF) as zf:
        manifest = zf.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in zf.namelist() else b""
    if b"encryption-data" in manifest:
        raise ExtractError("password-protected OpenDocument file (encrypted): remove the password in LibreOffice "
                           "(File › Properties) to index it", status="skipped")
    try:
        from odf.opendocument import load

        doc = load(str(path))
    except Exception as exc:  # odfpy raises many types on damaged files
        raise ExtractError(damage_reason(ODF, exc)) from exc
    warnings: list[str] = []
    pages = 0
    mimetype = str(getattr(doc, "mimetype", ""))
    if "spreadsheet" in mimetype:
        blocks = _sheet_blocks(doc.spreadsheet, warnings)
    elif "presentation" in mimetype:
        blocks, pages = _slide_blocks(doc.presentation)
    elif "text" in mimetype:
        blocks = _text_blocks(doc.text)
    else:
        raise ExtractError(f"an OpenDocument file of a kind Docent does not read ({mimetype or 'unknown'})",
                           status="skipped")
    if not blocks:
        raise ExtractError("no text in this document", status="skipped")
    return Extraction(blocks=blocks, pages=pages, warnings=warnings)

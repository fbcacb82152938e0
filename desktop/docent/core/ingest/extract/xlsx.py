"""Excel workbooks (.xlsx, .xlsm) with openpyxl, streamed (read_only) and with formulas as the values
Excel last calculated and saved (data_only). Each sheet's used range becomes one block per row,
and under a header row each row reads "Region: West | Q3 revenue: 4.2M". Blocks carry their sheet
("sheet Sales") as their place and their row number, so a chunk says "sheet Sales, rows 12–30"
and never crosses a sheet. A very large workbook is read up to MAX_ROWS rows, with a warning."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterable

from docent.core.ingest.extract.common import ExtractError, clean, normalize_ws
from docent.core.ingest.extract.package import Kind, damage_reason, open_package
from docent.core.types import Block, Extraction

XLSX = Kind("Excel workbook", "Excel", ".xlsx", "xl/workbook.xml", legacy_stream="workbook")
MAX_ROWS = 20_000  # rows with text read in a workbook, all sheets together
MAX_COLUMNS = 200  # columns read in a row
MAX_CELL_CHARS = 2_000


def cell_text(value: Any) -> str:
    """A cell's value as a person reads it: 4.0 → "4", a date without its midnight, text trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.10g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return normalize_ws(clean(str(value)))[:MAX_CELL_CHARS]


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def is_header(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return len(filled) >= 2 and all(len(c) < 60 and not _is_number(c) for c in filled)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def sheet_blocks(name: str, rows: Iterable[tuple[int, list[str]]], budget: int) -> tuple[list[Block], int | None]:
    """(row number, cell texts) of one sheet → its blocks, at most `budget` rows of them; also the
    number of the first row with text left unread past the budget (None when all were read)."""
    place = f"sheet {name}"
    blocks: list[Block] = []
    header: list[str] | None = None
    for number, cells in rows:
        if not any(cells):
            continue
        if len(blocks) >= budget:
            return blocks, number
        if header is None and is_header(cells):
            header = [h or _column_name(i) for i, h in enumerate(cells)]
            blocks.append(Block(text=" | ".join(c for c in cells if c), heading=name, place=place, row=number,
                                kind="heading"))
            continue
        if header is not None:
            text = " | ".join(f"{header[i] if i < len(header) else _column_name(i)}: {c}"
                              for i, c in enumerate(cells) if c)
        else:
            text = " | ".join(c for c in cells if c)
        blocks.append(Block(text=text, heading=name, place=place, row=number, kind="text"))
    return blocks, None


def _rows(ws: Any) -> Iterable[tuple[int, list[str]]]:
    for row in ws.iter_rows(max_col=MAX_COLUMNS):
        number = next((c.row for c in row if getattr(c, "row", None) is not None), None)
        if number is None:
            continue
        cells = [cell_text(c.value) for c in row]
        while cells and not cells[-1]:
            cells.pop()
        yield number, cells


def extract_xlsx(path: Path) -> Extraction:
    with open_package(path, XLSX) as zf:
        has_macros = any(n.lower().endswith("vbaproject.bin") for n in zf.namelist())
    try:
        import openpyxl

        wb = openpyxl.load_workbook(str(path), read_only=True, data_only=True, keep_links=False)
    except ExtractError:
        raise
    except Exception as exc:  # openpyxl raises many types on damaged files
        raise ExtractError(damage_reason(XLSX, exc)) from exc
    blocks: list[Block] = []
    warnings: list[str] = []
    empty: list[str] = []
    try:
        sheets = list(wb.worksheets)
        for ws in sheets:
            name = normalize_ws(clean(ws.title)) or "(unnamed)"
            try:
                found, unread = sheet_blocks(name, _rows(ws), MAX_ROWS - len(blocks))
            except Exception as exc:
                raise ExtractError(f"{damage_reason(XLSX, exc)} (sheet {name})") from exc
            if not found:
                empty.append(name)
            if unread is not None:
                last = ws.max_row if isinstance(ws.max_row, int) and ws.max_row >= unread else None
                upto = f"rows {unread:,}–{last:,}" if last else f"rows from {unread:,} on"
                warnings.append(f"sheet {name}: {upto} not read (Docent reads at most {MAX_ROWS:,} rows a "
                                f"workbook; split it to index the rest)")
            blocks.extend(found)
    finally:
        wb.close()
    if not blocks:
        if has_macros:
            raise ExtractError("the workbook holds only macros, no cell text (nothing to index)", status="skipped")
        if not sheets:
            raise ExtractError("the workbook has no worksheets (only charts?)", status="skipped")
        raise ExtractError(f"its {len(sheets)} sheet{'s are' if len(sheets) > 1 else ' is'} empty", status="skipped")
    if empty:
        warnings.append(f"empty sheet{'s' if len(empty) > 1 else ''}: {', '.join(empty[:12])}")
    return Extraction(blocks=blocks, pages=0, warnings=warnings)

"""Plain text and Markdown: paragraphs split on blank lines, Markdown headings kept as a path."""

from __future__ import annotations

import re
from pathlib import Path

from docent.core.ingest.extract.common import EMPTY_REASON, ExtractError
from docent.core.ingest.extract.common import heading_path, normalize_ws
from docent.core.types import Block, Extraction

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def extract_text(path: Path) -> Extraction:
    data = path.read_bytes()
    if b"\x00" in data[:4096] and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise ExtractError("binary file with a text extension", status="skipped")
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    markdown = path.suffix.lower() in {".md", ".markdown"}
    stack: list[tuple[int, str]] = []
    blocks: list[Block] = []
    para = 0
    for raw in re.split(r"\n\s*\n", text):
        raw = raw.strip("\n")
        if not raw.strip():
            continue
        lines = raw.split("\n")
        if markdown:
            # A heading may be followed by text without a blank line in between.
            while lines and (m := _MD_HEADING.match(lines[0].strip())):
                level, title = len(m.group(1)), normalize_ws(m.group(2))
                stack = [(lv, t) for lv, t in stack if lv < level] + [(level, title)]
                if title:  # "#" followed by nothing readable (spaces, control characters) ends a section only
                    blocks.append(Block(text=title, heading=heading_path(stack), kind="heading"))
                para = 0
                lines = lines[1:]
            if not lines:
                continue
        body = normalize_ws(" ".join(line.strip() for line in lines))
        if not body:
            continue
        para += 1
        is_list = bool(re.match(r"^\s*([-*+•]|\d+[.)])\s+", lines[0]))
        if is_list:
            # keep list items on their own lines
            body = "\n".join(normalize_ws(line) for line in lines if line.strip())
        blocks.append(Block(text=body, heading=heading_path(stack), para=para, kind="list" if is_list else "text"))
    if not blocks:
        raise ExtractError(EMPTY_REASON, status="skipped")
    return Extraction(blocks=blocks, pages=0)

"""Rich Text Format (.rtf) with striprtf, which turns RTF's control words into plain text (pictures,
fonts and other destinations dropped, \\'xx and \\u escapes decoded): paragraphs are its lines."""

from __future__ import annotations

import re
from pathlib import Path

from docent.core.ingest.extract.common import ExtractError, check_size, clean, normalize_ws
from docent.core.types import Block, Extraction

MAX_BYTES = 64 * 1024 * 1024
_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")


def extract_rtf(path: Path) -> Extraction:
    check_size(path, MAX_BYTES, "RTF file|RTF")
    data = path.read_bytes()
    if not data.lstrip().startswith(b"{\\rtf"):
        raise ExtractError("not an RTF document (it does not start with {\\rtf)", status="skipped")
    m = _CODEPAGE.search(data[:4096])
    encoding = f"cp{int(m.group(1))}" if m else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    from striprtf.striprtf import rtf_to_text

    try:
        raw = data.decode("latin-1")  # RTF is 7-bit; \'xx escapes are decoded with its code page
        text = str(rtf_to_text(raw, encoding=encoding, errors="replace"))  # type: ignore[no-untyped-call]
    except (ValueError, IndexError, RecursionError) as exc:
        raise ExtractError(f"damaged RTF document: its contents cannot be parsed ({type(exc).__name__})") from exc
    blocks = []
    para = 0
    for line in clean(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = normalize_ws(line.replace("|", " | ").strip(" |")) if "|" in line else normalize_ws(line)
        if line:
            para += 1
            blocks.append(Block(text=line, para=para))
    if not blocks:
        raise ExtractError("no text in this document (pictures only?)", status="skipped")
    return Extraction(blocks=blocks, pages=0)

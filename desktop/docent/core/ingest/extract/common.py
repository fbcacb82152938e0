"""Text helpers shared by the extractors."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

_WS = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

SEP = " › "


def normalize_ws(text: str) -> str:
    text = _CTRL.sub(" ", text)
    return _WS.sub(" ", text).strip()


def clean(text: str) -> str:
    """NFC, no control characters, no lone surrogates."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return unicodedata.normalize("NFC", _CTRL.sub(" ", text))


def heading_path(stack: list[tuple[int, str]]) -> str:
    return SEP.join(title for _, title in stack if title)


def table_lines(rows: list[list[str]]) -> list[str]:
    """A table's rows as lines; under a header row (short cells, all filled), each row reads
    "Region: West | Q3 revenue: 4.2M", so a passage keeps what its numbers are."""
    rows = [cells for cells in rows if any(cells)]
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


# The kind of document each suffix is, as the library pane and `docent status` show it. Legacy
# binary Office files (.doc, .ppt, .xls) and Outlook's .msg are listed so that such files show up as
# skipped with a reason (save as .docx/.pptx/.xlsx/.eml), not silently ignored; one that is really a
# .docx under an old name is read as one.
KINDS: dict[str, str] = {
    ".pdf": "PDF",
    ".docx": "Word", ".docm": "Word", ".dotx": "Word", ".dotm": "Word", ".doc": "Word",
    ".txt": "Text", ".md": "Markdown", ".markdown": "Markdown",
    ".pptx": "PowerPoint", ".pptm": "PowerPoint", ".ppt": "PowerPoint",
    ".xlsx": "Excel", ".xlsm": "Excel", ".xls": "Excel",
    ".eml": "E-mail", ".msg": "E-mail",
    ".html": "Web page", ".htm": "Web page", ".xhtml": "Web page",
    ".epub": "EPUB",
    ".odt": "OpenDocument", ".ods": "OpenDocument", ".odp": "OpenDocument",
    ".rtf": "RTF",
}
SUPPORTED_SUFFIXES = set(KINDS)


def kind_of(path: str | Path) -> str:
    """"PDF", "Word", "PowerPoint", "Excel", "E-mail", "Web page"... ("Other" for anything else)."""
    return KINDS.get(Path(path).suffix.lower(), "Other")


class ExtractError(Exception):
    """The file cannot be read. `status` is "skipped" (not our kind of file, no text, locked)
    or "failed" (broken file)."""

    def __init__(self, reason: str, status: str = "failed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def is_supported(path: Path) -> bool:
    """A file type Docent reads, under a path it can store. A name holding bytes that are not valid
    in the file system's encoding (kept by Python as lone surrogates) cannot go into the catalog:
    such a file is left out rather than stop the whole run. By the name alone: nothing is opened."""
    return is_supported_path(str(path))


def is_supported_path(path: str) -> bool:
    """is_supported for a path as text, without building a Path (the scan asks it of every file: a
    Path costs ~5 us, most of a scan's time). The suffix is Path.suffix's: from the last dot of the
    name, not a leading one, and not a dot that ends the name."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    name = os.path.basename(path)
    dot = name.rfind(".")
    return 0 < dot < len(name) - 1 and name[dot:].lower() in SUPPORTED_SUFFIXES


EMPTY_REASON = "empty file (no text)"  # skipped, whatever the kind: nothing to read, nothing broken


def check_size(path: Path, max_bytes: int, what: str) -> int:
    """The file's size; ExtractError for an empty file (skipped, EMPTY_REASON) or one over
    `max_bytes` ("refused: a 70 MB message (Docent reads e-mails up to 64 MB)", skipped), `what`
    naming the kind in both halves of that sentence: ("message", "e-mails")."""
    size = path.stat().st_size
    if size == 0:
        raise ExtractError(EMPTY_REASON, status="skipped")
    if size > max_bytes:
        mb = 1024 * 1024
        one, many = what.split("|")
        raise ExtractError(f"refused: a {size // mb:,} MB {one} (Docent reads {many} up to {max_bytes // mb} MB)",
                           status="skipped")
    return size

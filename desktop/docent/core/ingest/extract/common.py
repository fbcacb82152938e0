"""Text helpers shared by the extractors."""

from __future__ import annotations

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


# .doc (Word 97-2003) is listed so that such files show up as skipped with a reason (save as .docx),
# not silently ignored; one that is really a .docx under an old name is read as one.
SUPPORTED_SUFFIXES = {".pdf", ".docx", ".docm", ".dotx", ".dotm", ".doc", ".txt", ".md", ".markdown"}


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
    such a file is left out rather than stop the whole run."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return path.suffix.lower() in SUPPORTED_SUFFIXES

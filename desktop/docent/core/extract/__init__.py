"""One module per format. `extract(path)` returns text blocks with provenance or raises
`ExtractError` with a reason a user can read."""

from __future__ import annotations

from pathlib import Path

from docent.core.types import Extraction

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


def extract(path: Path) -> Extraction:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from docent.core.extract.pdf import extract_pdf

        return extract_pdf(path)
    if suffix in {".docx", ".docm", ".dotx", ".dotm", ".doc"}:
        from docent.core.extract.docx import extract_docx

        return extract_docx(path)
    if suffix in {".txt", ".md", ".markdown"}:
        from docent.core.extract.text import extract_text

        return extract_text(path)
    raise ExtractError(f"unsupported file type '{suffix or path.name}'", status="skipped")

"""One module per format. `extract(path)` returns text blocks with provenance or raises
`ExtractError` with a reason a user can read."""

from __future__ import annotations

from pathlib import Path

from docent.core.ingest.extract.common import SUPPORTED_SUFFIXES, ExtractError, is_supported
from docent.core.types import Extraction

__all__ = ["SUPPORTED_SUFFIXES", "ExtractError", "extract", "is_supported"]


def extract(path: Path) -> Extraction:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from docent.core.ingest.extract.pdf import extract_pdf

        return extract_pdf(path)
    if suffix in {".docx", ".docm", ".dotx", ".dotm", ".doc"}:
        from docent.core.ingest.extract.docx import extract_docx

        return extract_docx(path)
    if suffix in {".txt", ".md", ".markdown"}:
        from docent.core.ingest.extract.text import extract_text

        return extract_text(path)
    raise ExtractError(f"unsupported file type '{suffix or path.name}'", status="skipped")

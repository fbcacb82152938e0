"""One module per format. `extract(path)` returns text blocks with provenance or raises
`ExtractError` with a reason a user can read."""

from __future__ import annotations

from pathlib import Path

from docent.core.ingest.extract.common import SUPPORTED_SUFFIXES, ExtractError, is_supported, is_supported_path, kind_of
from docent.core.types import Extraction

__all__ = ["SUPPORTED_SUFFIXES", "ExtractError", "extract", "is_supported", "is_supported_path", "kind_of"]

_WORD = {".docx", ".docm", ".dotx", ".dotm", ".doc"}
_SLIDES = {".pptx", ".pptm", ".ppt"}
_SHEETS = {".xlsx", ".xlsm", ".xls"}


def _is_zip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == b"PK\x03\x04"


def extract(path: Path) -> Extraction:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from docent.core.ingest.extract.pdf import extract_pdf

        return extract_pdf(path)
    if suffix in _WORD:
        from docent.core.ingest.extract.docx import extract_docx

        return extract_docx(path)
    if suffix in {".txt", ".md", ".markdown"}:
        from docent.core.ingest.extract.text import extract_text

        return extract_text(path)
    if suffix in (".ppt", ".xls") and not _is_zip(path):  # a legacy binary file (one renamed .pptx is read)
        from docent.core.ingest.extract.package import ole_reason

        if suffix == ".ppt":
            from docent.core.ingest.extract.pptx import PPTX as kind
        else:
            from docent.core.ingest.extract.xlsx import XLSX as kind
        raise ole_reason(path, kind)
    if suffix in _SLIDES:
        from docent.core.ingest.extract.pptx import extract_pptx

        return extract_pptx(path)
    if suffix in _SHEETS:
        from docent.core.ingest.extract.xlsx import extract_xlsx

        return extract_xlsx(path)
    if suffix == ".eml":
        from docent.core.ingest.extract.eml import extract_eml

        return extract_eml(path, extract)  # its attachments by their own readers
    if suffix == ".msg":
        # extract-msg, the one maintained reader of Outlook's format, is GPL-3.0: not for an Apache-2.0 app
        raise ExtractError("an Outlook .msg message, which Docent does not read: save it as .eml (most mail "
                           "programs, and the new Outlook, save messages as .eml) to index it", status="skipped")
    if suffix in {".html", ".htm", ".xhtml"}:
        from docent.core.ingest.extract.html import extract_html

        return extract_html(path)
    if suffix == ".epub":
        from docent.core.ingest.extract.epub import extract_epub

        return extract_epub(path)
    if suffix in {".odt", ".ods", ".odp"}:
        from docent.core.ingest.extract.odf import extract_odf

        return extract_odf(path)
    if suffix == ".rtf":
        from docent.core.ingest.extract.rtf import extract_rtf

        return extract_rtf(path)
    raise ExtractError(f"unsupported file type '{suffix or path.name}'", status="skipped")

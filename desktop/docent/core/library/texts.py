"""A document's text as it was indexed, from the catalog: its passages in order, laid out at the
offsets the chunker gave them (the offsets a citation carries). Nothing is read from the file, so
showing a Word or text document never parses it outside the sandboxed extraction worker, and the
cited passage is found where it was when the answer was written."""

from __future__ import annotations

from dataclasses import dataclass

from docent.core.storage.catalog import Catalog
from docent.core.types import DocumentRecord
from docent.errors import DocentError

DUPLICATE = "duplicate of "  # the reason of a document skipped as a copy of an indexed one


@dataclass(frozen=True)
class TextPassage:
    """One indexed passage: its span in DocumentText.text, where it is in the document."""

    char_start: int
    char_end: int
    location: str
    page: int | None


@dataclass(frozen=True)
class DocumentText:
    path: str
    text: str
    passages: tuple[TextPassage, ...]


def document_text(catalog: Catalog, path: str) -> DocumentText:
    """The indexed text of the document at `path` (for a duplicate, of the document it copies).
    DocentError, saying why, when the library holds no text for it."""
    doc = catalog.document(path)
    if doc is None:
        raise DocentError("it is not in the library (it was removed, or it is not indexed yet)")
    source = doc
    if doc.status == "skipped" and doc.reason.startswith(DUPLICATE):
        source = catalog.document(doc.reason[len(DUPLICATE):]) or doc
    if source.status != "indexed":
        raise DocentError(_no_text(source))
    rows = sorted(catalog.document_chunks(source.id), key=lambda r: (r[7], r[3]))  # by char_start, ordinal
    passages = tuple(TextPassage(int(r[7]), int(r[8]), str(r[6]), r[5]) for r in rows)
    return DocumentText(path, _lay_out([(str(r[4]), int(r[7])) for r in rows]), passages)


def _lay_out(pieces: list[tuple[str, int]]) -> str:
    """Passages (text, offset) → one text in which each passage starts at its offset. Passages may
    overlap (a long paragraph is cut in overlapping windows); between two, the chunker left only
    whitespace (the blank line between paragraphs, spaces it trimmed), filled in at its length."""
    parts: list[str] = []
    pos = 0
    for text, start in pieces:
        if start > pos:
            gap = start - pos
            parts.append(" " if gap == 1 else "\n" * gap)
            pos = start
        end = start + len(text)
        if end > pos:
            parts.append(text[pos - start:])
            pos = end
    return "".join(parts)


def _no_text(doc: DocumentRecord) -> str:
    if doc.status in ("indexing", "queued"):
        return "it is being indexed: open it again once indexing is done"
    return doc.reason or f"it is not indexed ({doc.status})"

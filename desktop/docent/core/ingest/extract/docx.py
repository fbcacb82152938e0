"""Word documents (.docx) with python-docx: body paragraphs and tables in document order,
each paragraph with its heading path ("2 Scope › 2.1 Terms") and its number in that section."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from docent.core.ingest.extract.common import EMPTY_REASON, ExtractError
from docent.core.ingest.extract.common import clean, heading_path, normalize_ws, table_lines
from docent.core.types import Block, Extraction

_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|titre|título|titolo|kop)\s*(\d)", re.I)
MAX_UNCOMPRESSED = 512 * 1024 * 1024  # zip-bomb guard for the whole package


def _heading_level(paragraph: Any) -> int | None:
    style = getattr(paragraph, "style", None)
    name = (getattr(style, "name", "") or "") if style is not None else ""
    if name.lower() == "title":
        return 0
    m = _HEADING_STYLE.match(name)
    if m:
        return int(m.group(1))
    # Outline level set directly on the paragraph (documents that don't use heading styles).
    ppr = paragraph._p.pPr
    if ppr is not None:
        lvl = ppr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}outlineLvl")
        if lvl is not None:
            val = lvl.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val")
            if val is not None and val.isdigit() and int(val) < 9:
                return int(val) + 1
    return None


def _is_list_item(paragraph: Any) -> bool:
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return True
    name = (paragraph.style.name or "") if paragraph.style is not None else ""
    return name.lower().startswith("list")


def _table_rows(table: Any) -> list[str]:
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            # merged cells repeat the same object; keep each once
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(normalize_ws(clean(cell.text.replace("\n", " "))))
        if any(cells):
            rows.append(cells)
    return table_lines(rows)


def _check_package(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(8)
    if head == _OLE_MAGIC:  # checked first: zipfile finds a zip embedded near the end of some .doc files
        raise _not_a_zip(path)
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
            if total > MAX_UNCOMPRESSED:
                raise ExtractError(
                    f"refused: the package would unpack to {total // (1024 * 1024)} MB (zip bomb?)"
                )
            names = zf.namelist()
            if "_rels/.rels" in names and _is_strict(zf):
                raise ExtractError(
                    "a Strict Open XML document, which Docent cannot read yet: save it as a regular .docx to index it",
                    status="skipped",
                )
            if "word/document.xml" not in names:
                raise ExtractError("not a Word document (no word/document.xml inside)")
    except zipfile.BadZipFile:
        raise _not_a_zip(path) from None


def _is_strict(zf: zipfile.ZipFile) -> bool:
    """ISO 29500 Strict packages name their relationships under purl.oclc.org/ooxml."""
    try:
        with zf.open("_rels/.rels") as fh:
            return b"purl.oclc.org/ooxml" in fh.read(64 * 1024)
    except Exception:  # a damaged entry: python-docx reports the damage below
        return False


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _not_a_zip(path: Path) -> ExtractError:
    """Why a Word file that is not a zip package cannot be read: most often a Word 97-2003 .doc, or
    a .docx encrypted with a password (both are OLE compound files)."""
    with path.open("rb") as fh:
        data = fh.read(64 << 20)  # the OLE directory can be anywhere in the file
    legacy_name = path.suffix.lower() == ".doc"
    if data.startswith(_OLE_MAGIC):
        # stream names in the OLE directory are UTF-16 (ASCII case folds byte by byte)
        data = data.lower()
        if _utf16("encryptedpackage") in data or _utf16("encryptioninfo") in data:
            return ExtractError(
                "password-protected Word document (encrypted): remove the password in Word to index it",
                status="skipped",
            )
        if _utf16("worddocument") in data:
            where = "" if legacy_name else " under a .docx name"
            return ExtractError(
                f"legacy Word 97-2003 document (.doc format){where}: save it as .docx to index it", status="skipped"
            )
        return ExtractError("not a Word document (an OLE file of another Office program?)", status="skipped")
    if data.lstrip().startswith(b"{\\rtf"):
        return ExtractError("an RTF document, not .docx: save it as .docx to index it", status="skipped")
    if legacy_name:
        if data[:2] in (b"\xdb\xa5", b"\x9b\xa5", b"\x31\xbe"):
            return ExtractError("legacy Word document (pre-1997 .doc format): save it as .docx to index it",
                                status="skipped")
        return ExtractError("not a Word document (the .doc file is in an unknown format)", status="skipped")
    if not data:
        return ExtractError(EMPTY_REASON, status="skipped")  # like an empty .txt
    return ExtractError("not a valid .docx (the zip container is damaged)")


# Word's macro-enabled documents (.docm) and templates (.dotx, .dotm) hold the same WordprocessingML
# as a .docx under another content type, which python-docx's Document() refuses.
_WORD_MAIN_TYPES = (
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
)


def _open_document(path: Path) -> Any:
    from docx.opc.part import PartFactory
    from docx.package import Package
    from docx.parts.document import DocumentPart

    for content_type in _WORD_MAIN_TYPES:
        PartFactory.part_type_for.setdefault(content_type, DocumentPart)
    part = Package.open(str(path)).main_document_part
    if not isinstance(part, DocumentPart):
        raise ExtractError("not a Word document (wrong content type inside the package)")
    return part.document


def _damage_reason(exc: Exception) -> str:
    """A reason a user can read for what python-docx raised on a damaged package."""
    message = str(exc).split("\n")[0]
    if isinstance(exc, KeyError) or "no item named" in message or "no relationship" in message.lower():
        missing = re.search(r"'([^']+)'", message)
        part = f" ({missing.group(1)})" if missing else ""
        return f"damaged Word document: a part it refers to is missing{part}"
    if type(exc).__name__ == "XMLSyntaxError" or "xml" in message.lower():
        return "damaged Word document: its XML is malformed"
    if isinstance(exc, (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile)) or "zip" in message.lower():
        return "damaged Word document: its zip container cannot be read"
    if isinstance(exc, RecursionError):
        return "damaged Word document: its structure is nested too deeply to read"
    return "damaged Word document: its contents cannot be parsed"


def extract_docx(path: Path) -> Extraction:
    _check_package(path)
    try:
        import docx  # python-docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise ExtractError(f"python-docx is not installed ({exc})") from exc
    try:
        document = _open_document(path)
    except ExtractError:
        raise
    except Exception as exc:  # python-docx raises many types on damaged files
        raise ExtractError(_damage_reason(exc)) from exc
    try:
        return _read_body(document, Paragraph, Table)
    except ExtractError:
        raise
    except Exception as exc:  # parts that are XML but not what Word writes (a body or styles part)
        raise ExtractError(_damage_reason(exc)) from exc


def _read_body(document: Any, Paragraph: Any, Table: Any) -> Extraction:  # noqa: N803 - the classes
    stack: list[tuple[int, str]] = []
    blocks: list[Block] = []
    para = 0
    body = document.element.body
    for child in body.iterchildren():
        if not isinstance(child.tag, str):  # an XML comment or processing instruction
            continue
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(child, document)
            text = normalize_ws(clean(p.text))
            if not text:
                continue
            level = _heading_level(p)
            if level is not None:
                stack = [(lv, t) for lv, t in stack if lv < level] + [(level, text)]
                para = 0
                blocks.append(Block(text=text, heading=heading_path(stack), kind="heading"))
                continue
            para += 1
            is_list = _is_list_item(p)
            blocks.append(
                Block(
                    text=("• " + text) if is_list else text,
                    heading=heading_path(stack),
                    para=para,
                    kind="list" if is_list else "text",
                )
            )
        elif tag == "tbl":
            rows = _table_rows(Table(child, document))
            if rows:
                para += 1
                blocks.append(Block(text="\n".join(rows), heading=heading_path(stack), para=para, kind="table"))
    if not any(b.kind != "heading" for b in blocks) and not blocks:
        raise ExtractError("no text in this document", status="skipped")
    if not blocks:
        raise ExtractError("no text in this document", status="skipped")
    return Extraction(blocks=blocks, pages=0)

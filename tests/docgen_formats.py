"""Real slides, workbooks, e-mails, web pages, e-books, OpenDocument and RTF files for the tests,
generated on the fly with the libraries that write them (python-pptx, XlsxWriter, the standard
library's email, odfpy), in docgen.py's style. EPUB and RTF have no writer among our dependencies:
they are small text formats, written out here by hand as their specifications lay them out."""

from __future__ import annotations

import zipfile
from email.message import EmailMessage
from pathlib import Path
from typing import Sequence


# ---- PowerPoint ----------------------------------------------------------------------------------
def write_pptx(path: Path, slides: Sequence[dict[str, object]]) -> Path:
    """Each slide: {"title": str, "bullets": [str], "notes": str, "table": [[str]], "picture": bytes}."""
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    for spec in slides:
        layout = prs.slide_layouts[1] if spec.get("bullets") else prs.slide_layouts[6 if not spec.get("title") else 5]
        slide = prs.slides.add_slide(layout)
        if spec.get("title") and slide.shapes.title is not None:
            slide.shapes.title.text = str(spec["title"])
        bullets = list(spec.get("bullets") or [])  # type: ignore[call-overload]
        if bullets:
            frame = slide.placeholders[1].text_frame
            frame.text = bullets[0]
            for line in bullets[1:]:
                frame.add_paragraph().text = line
        table = spec.get("table")
        if table:
            rows = list(table)  # type: ignore[call-overload]
            shape = slide.shapes.add_table(len(rows), len(rows[0]), Inches(1), Inches(2), Inches(6), Inches(2))
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    shape.table.cell(i, j).text = value
        if spec.get("picture"):
            import io

            slide.shapes.add_picture(io.BytesIO(spec["picture"]), Inches(1), Inches(1))  # type: ignore[arg-type]
        if spec.get("notes"):
            slide.notes_slide.notes_text_frame.text = str(spec["notes"])
    path.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(path))
    return path


def png_bytes() -> bytes:
    """A small real PNG (a 4×4 grey square)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x80" * 4 for _ in range(4))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# ---- Excel ---------------------------------------------------------------------------------------
def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]],
               formulas: dict[str, tuple[str, object]] | None = None, vba: bool = False) -> Path:
    """Sheets of rows (row 1 first). `formulas`: cell ("Sales!C2") → (formula, cached value), written
    as Excel writes them, with the value it last calculated. `vba`: a macro project inside (.xlsm)."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    ws.write(r, c, value)
        for cell, (formula, value) in (formulas or {}).items():
            sheet, ref = cell.split("!")
            if sheet == name:
                ws.write_formula(ref, formula, None, value)
    if vba:
        vba_bin = path.with_suffix(".bin")
        vba_bin.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)  # an (empty) OLE macro store
        wb.add_vba_project(str(vba_bin))
    wb.close()
    return path


def write_big_xlsx(path: Path, rows: int) -> Path:
    """One sheet, header + `rows` rows of two cells, streamed (XlsxWriter's constant_memory)."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Log")
    ws.write_row(0, 0, ["Event", "Count"])
    for r in range(1, rows + 1):
        ws.write_number(r, 0, r)
        ws.write_number(r, 1, r % 7)
    wb.close()
    return path


# ---- e-mail --------------------------------------------------------------------------------------
def write_eml(path: Path, sender: str, to: str, subject: str, date: str, body: str, html: str = "",
              attachments: Sequence[tuple[str, bytes]] = ()) -> Path:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"], msg["Date"] = sender, to, subject, date
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(msg))
    return path


# ---- EPUB ----------------------------------------------------------------------------------------
def write_epub(path: Path, chapters: Sequence[tuple[str, Sequence[str]]], nav: bool = True) -> Path:
    """An EPUB 3: each chapter (title, paragraphs) one XHTML file in the spine, listed in reverse
    order in the manifest (the spine, not the manifest, gives the reading order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    items, spine, links = [], [], []
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        zf.writestr("META-INF/container.xml", '<?xml version="1.0"?><container version="1.0" '
                    'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile '
                    'full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
        for n, (title, paragraphs) in enumerate(chapters, start=1):
            body = "".join(f"<p>{p}</p>" for p in paragraphs)
            zf.writestr(f"OEBPS/text/ch{n}.xhtml", '<?xml version="1.0" encoding="utf-8"?><html xmlns='
                        f'"http://www.w3.org/1999/xhtml"><head><title>{title}</title></head><body><h1>{title}</h1>'
                        f"{body}</body></html>")
            items.insert(0, f'<item id="c{n}" href="text/ch{n}.xhtml" media-type="application/xhtml+xml"/>')
            spine.append(f'<itemref idref="c{n}"/>')
            links.append(f'<li><a href="text/ch{n}.xhtml">{title}</a></li>')
        if nav:
            items.append('<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>')
            zf.writestr("OEBPS/nav.xhtml", '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" '
                        'xmlns:epub="http://www.idpf.org/2007/ops"><body><nav epub:type="toc"><ol>'
                        + "".join(links) + "</ol></nav></body></html>")
        zf.writestr("OEBPS/content.opf", '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
                    'version="3.0"><metadata/><manifest>' + "".join(items) + "</manifest><spine>"
                    + "".join(spine) + "</spine></package>")
    return path


# ---- OpenDocument (odfpy) ------------------------------------------------------------------------
def write_odt(path: Path, sections: Sequence[tuple[str, Sequence[str]]]) -> Path:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    doc = OpenDocumentText()
    for title, paragraphs in sections:
        doc.text.addElement(H(outlinelevel=1, text=title))
        for p in paragraphs:
            doc.text.addElement(P(text=p))
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def write_ods(path: Path, sheets: dict[str, Sequence[Sequence[str]]], empty_rows_after: int = 0) -> Path:
    """Sheets of text rows; `empty_rows_after` adds one row element repeated that many times (as
    LibreOffice pads a sheet to its last row), which a reader must count, not expand."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for row in rows:
            tr = TableRow()
            for value in row:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=value))
                tr.addElement(cell)
            table.addElement(tr)
        if empty_rows_after:
            tr = TableRow(numberrowsrepeated=empty_rows_after)
            tr.addElement(TableCell())
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def write_odp(path: Path, slides: Sequence[tuple[str, str, str]]) -> Path:
    """Slides of (title, body, notes)."""
    from odf.draw import Frame, Page, TextBox
    from odf.namespaces import PRESENTATIONNS
    from odf.opendocument import OpenDocumentPresentation
    from odf.presentation import Notes
    from odf.style import MasterPage, PageLayout
    from odf.text import P

    doc = OpenDocumentPresentation()
    layout = PageLayout(name="PL")
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="M", pagelayoutname=layout)
    doc.masterstyles.addElement(master)
    for title, body, notes in slides:
        page = Page(masterpagename=master)
        for cls, text in (("title", title), ("outline", body)):
            frame = Frame(width="20cm", height="3cm", x="1cm", y="1cm")
            frame.setAttrNS(PRESENTATIONNS, "class", cls)
            box = TextBox()
            box.addElement(P(text=text))
            frame.addElement(box)
            page.addElement(frame)
        if notes:
            note = Notes()
            frame = Frame(width="20cm", height="3cm", x="1cm", y="1cm")
            frame.setAttrNS(PRESENTATIONNS, "class", "notes")
            box = TextBox()
            box.addElement(P(text=notes))
            frame.addElement(box)
            note.addElement(frame)
            page.addElement(note)
        doc.presentation.addElement(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


# ---- RTF -----------------------------------------------------------------------------------------
def write_rtf(path: Path, paragraphs: Sequence[str]) -> Path:
    """Plain paragraphs in RTF 1.x, non-ASCII as \\uN? escapes, with a font table and a picture
    destination (which a reader must drop)."""
    def esc(text: str) -> str:
        return "".join(c if ord(c) < 128 and c not in "\\{}" else (f"\\{c}" if c in "\\{}" else f"\\u{ord(c)}?")
                       for c in text)

    body = "".join(f"{esc(p)}\\par\n" for p in paragraphs)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Arial;}}\n"
                    "{\\pict\\pngblip 89504e470d0a1a0a}\n" + body + "}", encoding="ascii")
    return path

"""The readers of slides, workbooks, e-mails, web pages, e-books, OpenDocument and RTF: exact
locations on generated files, chunks that never cross a slide or a sheet, a specific reason for
each kind of bad input (in the sandboxed worker, within its budget), and real files from the messy
corpus."""

from __future__ import annotations

import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from docgen_formats import (png_bytes, write_big_xlsx, write_eml, write_epub, write_odp, write_ods, write_odt,
                            write_pptx, write_rtf, write_xlsx)

from docent.core.ingest.chunking import ChunkParams, chunk_blocks, location_of
from docent.core.ingest.extract import ExtractError, extract, is_supported, kind_of
from docent.core.ingest.extract.worker import ProcessExtractor
from docent.core.ingest.extract.xlsx import MAX_ROWS

MESSY = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "messy"
if not MESSY.is_dir():
    MESSY = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "messy"


def _words(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def _reason(path: Path) -> tuple[str, str]:
    with pytest.raises(ExtractError) as info:
        extract(path)
    return info.value.status, info.value.reason


def _deck(path: Path) -> Path:
    return write_pptx(path, [
        {"title": "Quarterly results", "bullets": ["Revenue grew 12%", "West led the regions"],
         "notes": "Mention the hiring freeze in March"},
        {"title": "Regions", "table": [["Region", "Q3 revenue"], ["West", "4.2M"], ["East", "3.1M"]]},
        {"title": "Agenda"},
        {"title": "Agenda", "bullets": ["Budget", "Hiring"]},
    ])


# ---- PowerPoint ----------------------------------------------------------------------------------
def test_pptx_slides_notes_and_tables_with_their_slide(tmp_path: Path) -> None:
    e = extract(_deck(tmp_path / "deck.pptx"))
    got = [(location_of(b), b.kind, b.text) for b in e.blocks]
    assert ("slide 1", "heading", "Quarterly results") in got
    assert ("slide 1", "list", "Revenue grew 12%\nWest led the regions") in got
    assert ("notes of slide 1", "text", "Mention the hiring freeze in March") in got
    assert ("slide 2", "table", "Region | Q3 revenue\nRegion: West | Q3 revenue: 4.2M\nRegion: East | Q3 revenue: 3.1M") in got
    assert e.pages == 4


def test_chunks_never_cross_a_slide(tmp_path: Path) -> None:
    chunks = chunk_blocks(extract(_deck(tmp_path / "deck.pptx")).blocks, _words, ChunkParams(max_tokens=200))
    # slide 3 holds only its title, and slide 4 has the same title: each is still its own chunk
    assert [c.location for c in chunks] == ["slide 1", "notes of slide 1", "slide 2", "slide 3", "slide 4"]
    assert chunks[3].text == "Agenda" and "Budget" in chunks[4].text


def test_pptx_bad_input_has_a_specific_reason(tmp_path: Path) -> None:
    pictures = write_pptx(tmp_path / "pictures.pptx", [{"picture": png_bytes()}, {"picture": png_bytes()}])
    assert _reason(pictures) == ("skipped", "no text on its 2 slides, only pictures (nothing to index)")
    images = tmp_path / "images.pptx"  # a .zip of images under a .pptx name
    with zipfile.ZipFile(images, "w") as zf:
        zf.writestr("a.png", png_bytes())
        zf.writestr("b.png", png_bytes())
    status, reason = _reason(images)
    assert status == "skipped" and reason.startswith("not a PowerPoint presentation (no ppt/presentation.xml")
    broken = tmp_path / "broken.pptx"
    broken.write_bytes(_deck(tmp_path / "ok.pptx").read_bytes()[:3000])
    assert "zip container is damaged" in _reason(broken)[1]
    legacy = tmp_path / "old.ppt"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "PowerPoint Document".encode("utf-16-le") + b"\0" * 600)
    assert _reason(legacy) == ("skipped", "legacy PowerPoint 97-2003 file: save it as .pptx to index it")


def test_encrypted_office_files_say_so(tmp_path: Path) -> None:
    """A real password-protected Office package from the messy corpus (an OLE file holding the
    EncryptedPackage stream, the same container for .docx, .pptx and .xlsx), under each name."""
    import csv

    rows = list(csv.DictReader((MESSY / "INDEX.csv").open(encoding="utf-8")))
    encrypted = [MESSY / r["path"] for r in rows if r.get("encrypted") == "True" and r["container"] == "ole2"]
    if not encrypted:
        pytest.skip("no encrypted Office file in the messy corpus")
    for suffix, program in ((".pptx", "PowerPoint"), (".xlsx", "Excel")):
        copy = tmp_path / f"locked{suffix}"
        shutil.copy(encrypted[0], copy)
        status, reason = _reason(copy)
        assert status == "skipped" and reason.startswith("password-protected") and program in reason


# ---- Excel ---------------------------------------------------------------------------------------
def test_xlsx_rows_keep_their_header_and_cite_the_row_range(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Region", "Q3 revenue", "Total"]]
    rows += [[f"Region {i}", 4.2 + i, None] for i in range(40)]
    path = write_xlsx(tmp_path / "sales.xlsx", {"Sales": rows, "Empty": []},
                      formulas={"Sales!C2": ("=B2*2", 8.4)})
    e = extract(path)
    assert e.blocks[1].text == "Region: Region 0 | Q3 revenue: 4.2 | Total: 8.4"  # the cached formula value
    assert (e.blocks[1].place, e.blocks[1].row) == ("sheet Sales", 2)
    assert e.warnings == ["empty sheet: Empty"]
    chunks = chunk_blocks(e.blocks, _words, ChunkParams(max_tokens=60))
    assert chunks[0].location == f"sheet Sales, rows 2\u2013{1 + chunks[0].text.count(chr(10) * 2)}"
    assert all(re.fullmatch(r"sheet Sales, rows? \d+(\u2013\d+)?", c.location) for c in chunks)
    assert chunks[-1].location.endswith("41") and len(chunks) > 3


def test_chunks_never_cross_a_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "two.xlsx", {"A": [["k", "v"], ["x", "1"]], "B": [["k", "v"], ["y", "2"]]})
    chunks = chunk_blocks(extract(path).blocks, _words)
    assert [c.location for c in chunks] == ["sheet A, row 2", "sheet B, row 2"]


def test_xlsx_bad_input(tmp_path: Path) -> None:
    empty = write_xlsx(tmp_path / "empty.xlsx", {"One": [], "Two": []})
    assert _reason(empty) == ("skipped", "its 2 sheets are empty")
    macros = write_xlsx(tmp_path / "macros.xlsm", {"Sheet1": []}, vba=True)
    assert _reason(macros) == ("skipped", "the workbook holds only macros, no cell text (nothing to index)")
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "Workbook".encode("utf-16-le") + b"\0" * 600)
    assert _reason(legacy) == ("skipped", "legacy Excel 97-2003 file: save it as .xlsx to index it")


def test_a_million_row_sheet_is_bounded_in_the_worker(tmp_path: Path) -> None:
    path = write_big_xlsx(tmp_path / "log.xlsx", 1_000_000)
    started = time.monotonic()
    with ProcessExtractor(timeout_s=120) as worker:
        e = worker.result(str(path))
    seconds = time.monotonic() - started
    assert len(e.blocks) == MAX_ROWS and e.blocks[-1].row == MAX_ROWS
    assert e.warnings == [f"sheet Log: rows {MAX_ROWS + 1:,}–1,000,001 not read (Docent reads at most "
                          f"{MAX_ROWS:,} rows a workbook; split it to index the rest)"]
    assert seconds < 60, seconds


# ---- e-mail --------------------------------------------------------------------------------------
def test_eml_headers_body_and_attachments(tmp_path: Path) -> None:
    deck = _deck(tmp_path / "src" / "deck.pptx").read_bytes()
    path = write_eml(tmp_path / "budget.eml", "Ann Lee <ann@example.org>", "Bob Stone <bob@example.org>",
                     "Offsite budget", "Sat, 02 Mar 2024 10:00:00 +0000",
                     "Hello Bob,\n\nThe offsite budget is 12,400 euros.\n\nAnn",
                     attachments=[("deck.pptx", deck), ("photo.png", png_bytes()), ("broken.docx", b"not a zip")])
    e = extract(path)
    place = "e-mail from Ann Lee to Bob Stone, 2024-03-02"
    assert e.blocks[0].place == place and "Subject: Offsite budget" in e.blocks[0].text
    assert "Attachments: deck.pptx, photo.png, broken.docx" in e.blocks[0].text
    assert (location_of(e.blocks[2]), e.blocks[2].text) == (place, "The offsite budget is 12,400 euros.")
    assert all(b.place == place for b in e.blocks)  # the attachments are documents of their own
    deck_att, broken = e.attachments  # the picture is not a kind Docent reads
    assert (deck_att.n, deck_att.name, deck_att.about, deck_att.size) == (1, "deck.pptx", f"attached to {place}", len(deck))
    assert deck_att.extraction is not None
    assert ("notes of slide 1", "Mention the hiring freeze in March") in [
        (location_of(b), b.text) for b in deck_att.extraction.blocks]  # its own locations
    assert (broken.n, broken.extraction, broken.status) == (3, None, "failed") and broken.reason


def test_eml_html_body_and_200_attachments(tmp_path: Path) -> None:
    path = write_eml(tmp_path / "many.eml", "a@example.org", "b@example.org", "Files", "Mon, 04 Mar 2024 08:00:00 +0000",
                     "", html="<html><body><script>x()</script><p>The code word is <b>heron</b>.</p></body></html>",
                     attachments=[(f"note{i}.txt", f"note {i}".encode()) for i in range(200)])
    started = time.monotonic()
    e = extract(path)
    assert time.monotonic() - started < 20
    assert any(b.text == "The code word is heron." for b in e.blocks)
    assert e.warnings == ["read 20 of its 200 attachments of kinds Docent reads (at most 20 a message)"]
    assert [(a.n, a.name) for a in e.attachments] == [(i + 1, f"note{i}.txt") for i in range(20)]
    msg = tmp_path / "outlook.msg"
    msg.write_bytes(b"\xd0\xcf\x11\xe0")
    assert _reason(msg)[1].startswith("an Outlook .msg message, which Docent does not read: save it as .eml")


# ---- HTML, EPUB ----------------------------------------------------------------------------------
def test_html_main_text_and_heading_path(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><head><style>p{}</style></head><body><nav>Home | About</nav><main><h1>Guide</h1>"
                    "<p>Intro <b>bold</b> text.<script>evil()</script></p><h2>Setup</h2><ul><li>Install it</li></ul>"
                    "</main><footer>© us</footer></body></html>", encoding="utf-8")
    got = [(b.heading, b.text) for b in extract(page).blocks]
    assert got == [("Guide", "Guide"), ("Guide", "Intro bold text."), ("Guide › Setup", "Setup"),
                   ("Guide › Setup", "• Install it")]
    bomb = tmp_path / "bomb.html"
    bomb.write_bytes(b"<div>" * 100_000 + b"x" + b"</div>" * 100_000)
    assert _reason(bomb)[1].startswith("refused: its elements are nested more than 256 deep")


def test_epub_chapters_in_spine_order_with_titles(tmp_path: Path) -> None:
    path = write_epub(tmp_path / "book.epub", [("The Harbour", ["Ships came in at dawn."]),
                                               ("The Storm", ["The storm broke the pier."])])
    blocks = extract(path).blocks
    texts = [(b.place, b.text) for b in blocks if b.kind != "heading"]
    assert texts == [("chapter 1: The Harbour", "Ships came in at dawn."), ("chapter 2: The Storm", "The storm broke the pier.")]
    drm = tmp_path / "drm.epub"
    shutil.copy(path, drm)
    with zipfile.ZipFile(drm, "a") as zf:
        zf.writestr("META-INF/encryption.xml", '<encryption xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:'
                    'EncryptedData><enc:CipherData><enc:CipherReference URI="OEBPS/text/ch1.xhtml"/></enc:CipherData>'
                    "</enc:EncryptedData></encryption>")
    assert _reason(drm)[1].startswith("a DRM-protected e-book")


# ---- OpenDocument, RTF ---------------------------------------------------------------------------
def test_opendocument_text_sheets_and_slides(tmp_path: Path) -> None:
    odt = extract(write_odt(tmp_path / "a.odt", [("Scope", ["The scope is the north wing."])]))
    assert [(b.heading, b.text) for b in odt.blocks] == [("Scope", "Scope"), ("Scope", "The scope is the north wing.")]
    ods = extract(write_ods(tmp_path / "b.ods", {"Stock": [["Item", "Count"], ["Bolts", "40"]]},
                            empty_rows_after=1_048_000))
    assert [(location_of(b), b.text) for b in ods.blocks][1] == ("sheet Stock, row 2", "Item: Bolts | Count: 40")
    odp = extract(write_odp(tmp_path / "c.odp", [("Plan", "Phase one starts in May", "Say it twice")]))
    assert [(location_of(b), b.text) for b in odp.blocks] == [
        ("slide 1", "Plan"), ("slide 1", "Phase one starts in May"), ("notes of slide 1", "Say it twice")]


def test_rtf(tmp_path: Path) -> None:
    path = write_rtf(tmp_path / "memo.rtf", ["First paragraph.", "Zweiter Absatz über Größe."])
    assert [b.text for b in extract(path).blocks] == ["First paragraph.", "Zweiter Absatz über Größe."]
    fake = tmp_path / "fake.rtf"
    fake.write_text("plain words", encoding="utf-8")
    assert _reason(fake) == ("skipped", "not an RTF document (it does not start with {\\rtf)")


def test_every_kind_is_supported_and_named() -> None:
    for name, kind in (("a.pptx", "PowerPoint"), ("a.xlsm", "Excel"), ("a.eml", "E-mail"), ("a.htm", "Web page"),
                       ("a.epub", "EPUB"), ("a.ods", "OpenDocument"), ("a.rtf", "RTF"), ("a.pdf", "PDF")):
        assert is_supported(Path(name)) and kind_of(name) == kind


# ---- real files ----------------------------------------------------------------------------------
def test_real_opendocument_and_html_files_from_the_messy_corpus() -> None:
    files = sorted(MESSY.rglob("*.odt")) + sorted(MESSY.rglob("*.html"))
    if not files:
        pytest.skip("the messy corpus is not here")
    for path in files:
        e = extract(path)
        assert e.blocks and all(b.text.strip() for b in e.blocks), path
    arabic = next(p for p in files if p.name == "habibi.html")
    assert "habibi" in extract(arabic).blocks[0].text


def test_real_legacy_word_files_under_office_names(tmp_path: Path) -> None:
    """Real Word 97-2003 files renamed .ppt/.xls: an OLE file of another program, said so."""
    docs = sorted(MESSY.rglob("*.doc"))[:3]
    if not docs:
        pytest.skip("the messy corpus is not here")
    for doc in docs:
        copy = tmp_path / (doc.stem + ".ppt")
        shutil.copy(doc, copy)
        status, reason = _reason(copy)
        assert status == "skipped" and reason in ("not a PowerPoint presentation (an OLE file of another program?)",
                                                  "password-protected PowerPoint presentation (encrypted): remove "
                                                  "the password in PowerPoint to index it"), reason

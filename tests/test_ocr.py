"""OCR of PDF pages without a text layer: a scan made here (a generated text PDF rendered to images
with PDFium, written back as an image-only PDF) is indexed with its page numbers, found by search,
and its status says how many pages OCR read; with OCR off or missing it is still skipped, saying
why; a long scan is not cut off by the per-file budget while pages keep coming."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path
from typing import Sequence

import pytest

import docgen
from docent.core.cancel import CancelToken
from docent.core.ingest.extract import ExtractError, extract, ocr
from docent.core.ingest.extract.worker import ProcessExtractor
from docent.core.types import FileOcrProgress
from docent.core.library import Library
from docent.errors import Cancelled
from helpers import by_name, run_index

pytest.importorskip("rapidocr", reason="the OCR engine (rapidocr) is not installed")

TEXT_PAGE = "The harbour master of Quillon records every tide in a brass-bound logbook."


def scan_bytes(pages: Sequence[str | Sequence[str]], dpi: int = 150) -> bytes:
    """A PDF of images only, as a scanner makes: docgen's text PDF rendered page by page."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(docgen.pdf_bytes(pages))
    try:
        images = [document[i].render(scale=dpi / 72, grayscale=True).to_pil() for i in range(len(document))]
    finally:
        document.close()
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


def write_scan(path: Path, pages: Sequence[str | Sequence[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(scan_bytes(pages))
    return path


def write_mixed(path: Path) -> Path:
    """Page 1 has a text layer, page 2 is a scan, page 3 has a text layer."""
    from pypdf import PdfReader, PdfWriter

    text = PdfReader(io.BytesIO(docgen.pdf_bytes([TEXT_PAGE, "Ledger entries are copied each evening."])))
    scan = PdfReader(io.BytesIO(scan_bytes([docgen.ATLAS_PAGES[2:4]])))
    writer = PdfWriter()
    for page in (text.pages[0], scan.pages[0], text.pages[1]):
        writer.add_page(page)
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())
    return path


def test_a_scanned_pdf_is_indexed_by_ocr_with_its_page_numbers(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    docs = tmp_path / "docs"
    # page 2 is blank (a drawn rectangle, no text): OCR finds nothing there
    scan = write_scan(docs / "scan.pdf", [docgen.ATLAS_PAGES[:2], "", docgen.ATLAS_PAGES[2:4]])
    with Library(tmp_path / "lib", embedder=embedder) as lib:  # the real worker process
        events, done = run_index(lib, [docs])
        assert (done.indexed, done.skipped, done.failed) == (1, 0, 0)
        # each page read by OCR is reported as it is read (seconds each), before the file is done
        ocr = [(e.pages_done, e.pages_total) for e in events if isinstance(e, FileOcrProgress)]
        assert ocr == [(1, 3), (2, 3), (3, 3)], ocr
        kinds = [type(e).__name__ for e in events]
        assert kinds.index("FileOcrProgress") > kinds.index("FileStarted")
        assert len(kinds) - 1 - kinds[::-1].index("FileOcrProgress") < kinds.index("FileDone")
        doc = by_name(lib)["scan.pdf"]
        assert (doc.status, doc.reason, doc.pages) == ("indexed", "", 3)
        notes = lib.catalog.notes(doc.id)
        assert "2 pages read by OCR" in notes
        assert "1 of 3 pages has no text (scanned?): page " in notes

        top = lib.search("who built the lighthouse on Karvik Island", top_k=1)[0]
        assert (top.path, top.page) == (str(scan), 3)
        assert "Margit Solberg" in top.text
        top = lib.search("seismometers at the Teide volcano observatory", top_k=1)[0]
        assert (top.path, top.page) == (str(scan), 1)
        assert "twelve broadband seismometers" in top.text


def test_ocr_keeps_paragraphs_and_reads_only_pages_without_text(tmp_path: Path) -> None:
    got = extract(write_mixed(tmp_path / "mixed.pdf"))
    assert got.pages == 3 and got.empty_pages == []
    assert [b.page for b in got.blocks] == [1, 2, 2, 3]
    assert got.blocks[0].text == TEXT_PAGE  # the text layer, not OCR
    assert got.blocks[1].text.startswith("The lighthouse on Karvik Island was built in 1887")
    assert got.blocks[2].text.startswith("Aged Gruyere wheels are turned and brushed with brine")
    assert got.warnings[0] == "1 page read by OCR"


@pytest.mark.parametrize("how", ["off", "missing"])
def test_without_ocr_a_scan_is_skipped_saying_ocr_is_unavailable(tmp_path: Path, how: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    scan = write_scan(tmp_path / "scan.pdf", [docgen.ATLAS_PAGES[0]])
    if how == "off":
        monkeypatch.setenv("DOCENT_OCR", "0")
        expected = "OCR is off (DOCENT_OCR=0)"
    else:
        ocr._model_paths.cache_clear()
        monkeypatch.setattr(ocr, "_ENGINE_PACKAGE", "no_such_ocr_engine")
        expected = "OCR is unavailable (the 'no_such_ocr_engine' package is not installed)"
    try:
        with pytest.raises(ExtractError) as info:
            extract(scan)
        mixed = extract(write_mixed(tmp_path / "mixed.pdf"))
    finally:
        ocr._model_paths.cache_clear()
    assert info.value.status == "skipped"
    assert info.value.reason == f"no text (scanned?): none of its 1 pages has a text layer; {expected}"
    assert mixed.empty_pages == [2] and not any("OCR" in w for w in mixed.warnings)


def test_a_blank_scan_stays_skipped_as_no_text(tmp_path: Path) -> None:
    blank = docgen.write_pdf(tmp_path / "blank.pdf", ["", ""])
    with pytest.raises(ExtractError) as info:
        extract(blank)
    assert info.value.status == "skipped"
    assert info.value.reason.startswith("no text (scanned?)") and "OCR found none" in info.value.reason


def test_pages_past_the_ocr_time_limit_are_noted(tmp_path: Path) -> None:
    mixed = write_mixed(tmp_path / "mixed.pdf")
    scan = write_scan(tmp_path / "scan.pdf", [docgen.ATLAS_PAGES[0]])
    with ocr.ocr_limits(deadline=time.monotonic() - 1):
        got = extract(mixed)
        with pytest.raises(ExtractError) as info:
            extract(scan)
    assert got.empty_pages == [2]
    assert got.warnings[0] == "1 page(s) without text not read: OCR stopped at its time limit (DOCENT_OCR_TIMEOUT_S): 2"
    assert info.value.status == "skipped" and info.value.reason.endswith("and OCR ran out of time")


def test_a_scan_longer_than_the_file_budget_is_read_while_pages_keep_coming(tmp_path: Path) -> None:
    warm = write_scan(tmp_path / "warm.pdf", [docgen.ATLAS_PAGES[0]])
    pages = [[p, p] for p in docgen.ATLAS_PAGES] + [docgen.ATLAS_PAGES[k:k + 3] for k in range(3)]
    long = write_scan(tmp_path / "long.pdf", pages)
    with ProcessExtractor(timeout_s=60, grace_s=0.0) as ex:
        assert "1 page read by OCR" in ex.result(str(warm)).warnings  # the worker's OCR engine is loaded
        started = time.monotonic()
        ex.result(str(warm))
        one = time.monotonic() - started  # one page, as fast as this machine reads it now
        # more than one page takes, less than the eight do: measured, not fixed, so that a machine
        # busy with other work (one page took over 3 s beside three benchmarks) tests the same thing
        ex.timeout_s = max(1.0, 2.5 * one)
        started = time.monotonic()
        got = ex.result(str(long))
        spent = time.monotonic() - started
    assert sorted({b.page for b in got.blocks}) == list(range(1, 9))
    assert got.warnings[0] == "8 pages read by OCR"
    assert spent > ex.timeout_s  # the file took longer than its budget, and was read whole
    print(f"8 scanned pages in {spent:.1f} s under a {ex.timeout_s:.1f} s budget per file (one page: {one:.2f} s)")


def test_a_cancel_stops_a_long_ocr_at_once(tmp_path: Path) -> None:
    long = write_scan(tmp_path / "long.pdf", [docgen.ATLAS_PAGES] * 10)
    token = CancelToken()
    timer = threading.Timer(1.0, token.cancel)
    with ProcessExtractor(timeout_s=60, cancel=token) as ex:
        timer.start()
        started = time.monotonic()
        try:
            with pytest.raises(Cancelled):
                ex.result(str(long))
        finally:
            timer.join()
        assert time.monotonic() - started < 4  # not the ten pages' worth
        assert ex._proc is None  # the worker was stopped


def test_reading_order_follows_columns_and_table_rows() -> None:
    box = ocr.TextBox
    two_columns = [  # lines at the same heights in both columns, under a title spanning both
        box(72, 40, 540, 60, "Title across the page"),
        box(72, 80, 290, 92, "left one"), box(322, 80, 540, 92, "right one"),
        box(72, 96, 290, 108, "left two"), box(322, 96, 540, 108, "right two"),
        box(72, 112, 290, 124, "left three."), box(322, 112, 540, 124, "right three."),
    ]
    paragraphs = ocr.page_paragraphs(two_columns)
    assert " ".join(paragraphs) == "Title across the page left one left two left three. right one right two right three."
    table = [  # narrow cells: read row by row
        box(72, 80, 130, 92, "Item"), box(200, 80, 260, 92, "Supplier"), box(330, 80, 370, 92, "Code"),
        box(72, 96, 140, 108, "Fenders"), box(200, 96, 280, 108, "Nordvik"), box(330, 96, 380, 108, "FX-2210"),
        box(72, 112, 130, 124, "Chains"), box(200, 112, 270, 124, "Baltic"), box(330, 112, 380, 124, "MC-7781"),
    ]
    assert " ".join(ocr.page_paragraphs(table)) == "Item Supplier Code Fenders Nordvik FX-2210 Chains Baltic MC-7781"

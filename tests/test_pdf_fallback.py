"""PDFium (pypdfium2) reads what pypdf cannot, keeping page numbers; a crash in a native reader
costs one file, not the run; and a small sample of the real messy corpus (../shared/corpus/messy)
ends each file with its expected status and a specific reason."""

from __future__ import annotations

import csv
import os
import re
import signal
import time
from pathlib import Path

import pytest

import docgen
from docent.core.ingest.extract import ExtractError, extract
from docent.core.ingest.extract.pdf import PASSWORD_REASON
from docent.core.ingest.extract.worker import ProcessExtractor

MESSY = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "messy"
PAGE_ONE = "The lighthouse keeper of Varnholm logs every passing ship in a green ledger."
PAGE_TWO = "Tidal charts of the Orkney firth are redrawn after each winter storm."


def _without_xref(pages: list[str]) -> bytes:
    """A real PDF with its cross-reference table and startxref cut out (the trailer kept), as some
    hand-written and truncated files are: pypdf cannot open it; PDFium rebuilds the table."""
    data = docgen.pdf_bytes(pages)
    xref = data.rfind(b"\nxref")
    trailer, startxref = data.rfind(b"trailer"), data.rfind(b"startxref")
    assert 0 < xref < trailer < startxref
    return data[: xref + 1] + data[trailer:startxref] + b"%%EOF\n"


def _hand_pdf(streams: list[bytes]) -> bytes:
    """A minimal PDF, one page per content stream, Helvetica as /F1, with a correct xref table."""
    n = len(streams)
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
    ]
    font = 3 + 2 * n
    for i, stream in enumerate(streams):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _text(extraction) -> str:  # noqa: ANN001
    return " ".join(b.text for b in extraction.blocks)


# ---- the fallback ---------------------------------------------------------------------------------
def test_a_pdf_pypdf_cannot_open_is_read_with_pdfium_keeping_page_numbers(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "no_xref.pdf"
    path.write_bytes(_without_xref([PAGE_ONE, PAGE_TWO]))

    monkeypatch.setenv("DOCENT_PDF_FALLBACK", "0")
    with pytest.raises(ExtractError) as info:
        extract(path)
    assert info.value.status == "failed"
    assert info.value.reason.startswith("damaged PDF: ") and "Error" not in info.value.reason

    monkeypatch.setenv("DOCENT_PDF_FALLBACK", "1")
    got = extract(path)
    assert got.pages == 2
    assert [(b.page, b.text) for b in got.blocks] == [(1, PAGE_ONE), (2, PAGE_TWO)]
    assert got.warnings and "PDFium" in got.warnings[0]


def test_a_page_pypdf_misreads_is_filled_from_pdfium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # page 2 puts text-state operators inside a TJ array (seen in the wild): pypdf's content parser
    # gives up on that page, PDFium reads it
    good = b"BT /F1 12 Tf 72 700 Td (Harbour dues are settled monthly.) Tj ET"
    odd = b"BT /F1 12 Tf 1 0 0 1 72 700 Tm [(Quayside) 0.0 Tc -250.0 (cranes) 0.0 Tc -250.0 (rest.) ] TJ ET"
    path = tmp_path / "operator_in_tj.pdf"
    path.write_bytes(_hand_pdf([good, odd]))

    monkeypatch.setenv("DOCENT_PDF_FALLBACK", "0")
    before = extract(path)
    assert before.pages == 2 and before.empty_pages == [2]
    assert "Quayside" not in _text(before)

    monkeypatch.setenv("DOCENT_PDF_FALLBACK", "1")
    after = extract(path)
    assert after.pages == 2 and after.empty_pages == []
    assert [b.page for b in after.blocks] == [1, 2]
    assert after.blocks[0].text == "Harbour dues are settled monthly."
    assert re.sub(r"\s+", " ", after.blocks[1].text) == "Quayside cranes rest."
    assert not any(w.startswith("p. 2:") for w in after.warnings)


def test_the_fallback_changes_no_answer_for_what_neither_can_read(tmp_path: Path) -> None:
    scanned = docgen.write_pdf(tmp_path / "scanned.pdf", ["", ""])
    with pytest.raises(ExtractError) as info:
        extract(scanned)
    assert info.value.status == "skipped" and "no text" in info.value.reason
    secret = docgen.write_encrypted_pdf(tmp_path / "secret.pdf", ["Launch codes."], user_password="secret")
    with pytest.raises(ExtractError) as info:
        extract(secret)
    assert (info.value.status, info.value.reason) == ("skipped", PASSWORD_REASON)
    junk = docgen.write_random_bytes(tmp_path / "junk.pdf")
    with pytest.raises(ExtractError, match="not a PDF"):
        extract(junk)


def test_the_fallback_runs_in_the_worker_and_a_native_crash_costs_one_file(tmp_path: Path) -> None:
    rescued = tmp_path / "no_xref.pdf"
    rescued.write_bytes(_without_xref([PAGE_ONE, PAGE_TWO]))
    slow = docgen.write_pdf(tmp_path / "slow.pdf", ["Harbour dues are settled monthly. " * 40] * 400)
    fine = docgen.write_pdf(tmp_path / "fine.pdf", ["Still readable after the crash."])
    with ProcessExtractor(timeout_s=120) as ex:
        assert [b.page for b in ex.result(str(rescued)).blocks] == [1, 2]  # PDFium, inside the worker
        ex.submit(str(slow))
        time.sleep(0.3)
        assert ex._proc is not None and ex._proc.pid != os.getpid()
        os.kill(ex._proc.pid, signal.SIGSEGV)  # what a crash in native PDFium code looks like
        with pytest.raises(ExtractError) as info:
            ex.result(str(slow))
        assert info.value.status == "failed"
        assert "crashed" in info.value.reason and "SIGSEGV" in info.value.reason
        assert "Still readable" in _text(ex.result(str(fine)))  # a fresh worker took over


# ---- a sample of the messy corpus -------------------------------------------------------------------
# (path under ../shared/corpus/messy, expected status, pattern the reason must match) chosen from
# INDEX.csv: what the manifest says each file is.
SAMPLE = [
    ("pdf/pdfminer.six_samples/simple1.pdf", "indexed", ""),  # no xref table: pypdf fails, PDFium reads
    ("pdf/pdf.js_test_pdfs/Pages-tree-refs.pdf", "indexed", ""),  # cyclic page tree: pypdf fails
    ("pdf/pdfplumber_tests/password-example.pdf", "skipped", r"password"),  # user password "test"
    ("pdf/pdfplumber_tests/empty.pdf", "skipped", r"^empty file \(no text\)"),  # 0 bytes: skipped, like an empty .txt
    ("pdf/pdf.js_test_pdfs/bug1606566.pdf", "failed", r"not a PDF"),  # no %PDF header
    ("pdf/py-pdf_sample-files/017-unreadable-meta-data/unreadablemetadata.pdf", "failed", r"^damaged PDF: "),
    ("docx/apache-poi_test-data_document/bug53475-password-is-pass.docx", "skipped", r"password"),
    ("docx/apache-poi_test-data_document/47304.doc", "skipped", r"Word 97-2003.*save it as \.docx"),
    ("docx/apache-poi_test-data_document/SimpleMacro.docm", "indexed", ""),
    ("docx/apache-poi_test-data_document/clusterfuzz-testcase-minimized-POIFuzzer-6709287337197568.docx",
     "failed", r"zip container is damaged"),
]
_CODE_LIKE = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception)\b|Traceback| object at 0x")


def _manifest() -> dict[str, dict[str, str]]:
    with (MESSY / "INDEX.csv").open(encoding="utf-8", newline="") as fh:
        return {row["path"]: row for row in csv.DictReader(fh)}


@pytest.mark.skipif(not (MESSY / "INDEX.csv").is_file(), reason="../shared/corpus/messy is not here")
def test_messy_sample_ends_with_the_expected_status_and_a_specific_reason() -> None:
    manifest = _manifest()
    got: dict[str, tuple[str, str]] = {}
    with ProcessExtractor(timeout_s=60) as ex:
        for rel, _, _ in SAMPLE:
            assert rel in manifest, rel  # the sample is chosen by the manifest
            try:
                extraction = ex.result(str(MESSY / rel))
                got[rel] = ("indexed" if extraction.blocks else "empty", _text(extraction))
            except ExtractError as exc:
                got[rel] = (exc.status, exc.reason)
    for rel, status, pattern in SAMPLE:
        actual, detail = got[rel]
        assert actual == status, (rel, got[rel])
        if status == "indexed":
            assert detail.strip(), rel
        else:
            assert re.search(pattern, detail), (rel, detail)
            assert not _CODE_LIKE.search(detail) and len(detail) < 200, (rel, detail)
    # what the manifest says about these files agrees with the sample's expectations
    assert manifest["pdf/pdfplumber_tests/password-example.pdf"]["needs_password"] == "True"
    assert manifest["pdf/pdfminer.six_samples/simple1.pdf"]["pypdf_open"].startswith("error")
    assert manifest["docx/apache-poi_test-data_document/47304.doc"]["legacy_word97"] == "True"

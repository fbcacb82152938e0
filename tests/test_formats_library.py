"""The new formats through the Library: indexed in the sandboxed worker, found by search with their
slide, row range and e-mail as the location, listed by kind in `docent status --json`, an e-mail's
attachments as documents of their own (replaced, moved and removed with their message), and a
whole-document task (mode="whole") that reads every slide of a deck with the real small chat model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from docgen import Section, pdf_bytes, write_docx
from docgen_formats import write_eml, write_pptx, write_xlsx
from helpers import run_index

from docent.core.library import Library
from docent.core.types import AnswerDone, Sources, WholeDocCoverage, attachment_path
from docent.settings import Settings

SETTINGS = Settings(max_answer_tokens=64, n_ctx=2048, sources=1, n_threads=1, chat_model="smollm2-135m-instruct")
SLIDES = [
    {"title": "Harbour plan", "bullets": ["The new pier opens in June", "Ferries move to berth 4"]},
    {"title": "Costs", "bullets": ["The dredging costs 3.1 million crowns"], "notes": "Funding is still open"},
    {"title": "Schedule", "bullets": ["Dredging starts in February", "Piling follows in April"]},
]


def mixed_library(docs: Path) -> None:
    write_pptx(docs / "harbour.pptx", SLIDES)
    rows: list[list[object]] = [["Item", "Supplier", "Price"]]
    rows += [[f"Part {i}", f"Supplier {i % 5}", 10 + i] for i in range(60)]
    rows[41] = ["Anchor chain", "Vossberg Metals", 870]
    write_xlsx(docs / "parts.xlsx", {"Parts": rows})
    write_eml(docs / "visit.eml", "Ann Lee <ann@example.org>", "Bob Stone <bob@example.org>", "Visit",
              "Sat, 02 Mar 2024 10:00:00 +0000",
              "Hello Bob,\n\nThe harbour master expects the inspectors on Thursday at nine.\n\nAnn")


def test_mixed_library_search_finds_the_right_location(tmp_path: Path, embedder: Any) -> None:
    mixed_library(tmp_path / "docs")
    with Library(tmp_path / "lib", Settings(), embedder=embedder) as lib:
        _, done = run_index(lib, [tmp_path / "docs"])
        assert done.indexed == 3 and done.failed == 0
        slide = lib.search("how much does the dredging cost", top_k=1)[0]
        assert (Path(slide.path).name, slide.location) == ("harbour.pptx", "slide 2")
        row = lib.search("who supplies the anchor chain", top_k=1)[0]
        assert Path(row.path).name == "parts.xlsx" and "Anchor chain" in row.text
        first, last = (int(n) for n in row.location.removeprefix("sheet Parts, rows ").split("\u2013"))
        assert first <= 42 <= last  # the row the answer is on, within the cited range
        mail = lib.search("when do the inspectors arrive", top_k=1)[0]
        assert (Path(mail.path).name, mail.location) == ("visit.eml", "e-mail from Ann Lee to Bob Stone, 2024-03-02")


def test_status_json_names_each_kind(tmp_path: Path) -> None:
    mixed_library(tmp_path / "docs")
    base = [sys.executable, "-m", "docent", "--data-dir", str(tmp_path / "lib")]
    subprocess.run(base + ["index", str(tmp_path / "docs"), "--json"], check=True, capture_output=True, timeout=300)
    out = subprocess.run(base + ["status", "--json"], check=True, capture_output=True, text=True, timeout=120)
    kinds = {Path(d["path"]).name: d["kind"] for d in json.loads(out.stdout)["documents"]}
    assert kinds == {"harbour.pptx": "PowerPoint", "parts.xlsx": "Excel", "visit.eml": "E-mail"}
    one = subprocess.run(base + ["status", "--json", "--kind", "excel"], check=True, capture_output=True, text=True,
                         timeout=120)
    assert [Path(d["path"]).name for d in json.loads(one.stdout)["documents"]] == ["parts.xlsx"]


# ---- e-mail attachments ------------------------------------------------------------------------------
MAIL_PLACE = "e-mail from Ann Lee to Bob Stone, 2024-03-02"
REPORT = ["Harbour report. The ferry subsidy is reviewed every spring.",
          "Lighting. The pier lighting contract with Lumen Works runs until 2027."]


def write_mail(path: Path, work: Path, minutes: str, attachments: tuple[str, ...] = ("report.pdf", "minutes.docx"),
               body: str = "See the report and the minutes.") -> Path:
    files = {
        "report.pdf": pdf_bytes(REPORT),
        "minutes.docx": write_docx(work / "minutes.docx", [Section("Decisions", 1, [minutes])]).read_bytes(),
        "broken.pdf": b"%PDF-1.4 this is not a PDF at all",
    }
    return write_eml(path, "Ann Lee <ann@example.org>", "Bob Stone <bob@example.org>", "Harbour papers",
                     "Sat, 02 Mar 2024 10:00:00 +0000", f"Hello Bob,\n\n{body}\n\nAnn",
                     attachments=[(name, files[name]) for name in attachments])


def test_attachments_are_documents_of_their_own(tmp_path: Path, embedder: Any) -> None:
    mail = write_mail(tmp_path / "docs" / "papers.eml", tmp_path, "The board approved a new tug named Osprey.")
    report, minutes = attachment_path(str(mail), 1, "report.pdf"), attachment_path(str(mail), 2, "minutes.docx")
    assert report == f"{mail}::attachment/1/report.pdf"
    with Library(tmp_path / "lib", Settings(), embedder=embedder) as lib:
        _, done = run_index(lib, [tmp_path / "docs"])
        assert (done.indexed, done.failed) == (1, 0)  # one file read
        docs = {d.path: d for d in lib.documents()}
        assert list(docs) == [str(mail), report, minutes]
        assert all(d.status == "indexed" for d in docs.values())
        assert docs[report].parent == docs[minutes].parent == docs[str(mail)].id and docs[str(mail)].parent is None
        assert docs[report].pages == 2
        hit = lib.search("who holds the pier lighting contract", top_k=1)[0]
        assert (hit.path, hit.location) == (report, "p. 2")  # the child document, cited by its own page
        context = next(lib.catalog.rows("SELECT context FROM chunks WHERE doc_id=? ORDER BY ordinal", (docs[report].id,)))[0]
        assert context.startswith(f"report.pdf, attached to {MAIL_PLACE}")
        mail_hit = lib.search("see the report and the minutes", top_k=1)[0]
        assert (mail_hit.path, mail_hit.location) == (str(mail), MAIL_PLACE)  # the message's own text
        assert "Lumen Works" not in lib.document_text(mail).text  # the attachment is not in the message
        assert "Osprey" in lib.document_text(minutes).text
        scoped = lib.search("what did the board approve", top_k=3, scope=[str(mail)])  # the message's scope
        assert scoped and {h.path for h in scoped} <= set(docs) and scoped[0].path == minutes
        assert lib.store.count() == lib.catalog.chunk_count()


def test_attachments_follow_their_message(tmp_path: Path, embedder: Any) -> None:
    docs_dir = tmp_path / "docs"
    mail = write_mail(docs_dir / "papers.eml", tmp_path, "The board approved a new tug named Osprey.")
    with Library(tmp_path / "lib", Settings(), embedder=embedder) as lib:
        run_index(lib, [docs_dir])
        before = {d.path: d for d in lib.documents()}
        events, done = run_index(lib, [docs_dir])  # nothing changed: nothing read, nothing removed
        assert (done.unchanged, done.indexed, done.removed, done.renamed) == (1, 0, 0, 0)
        assert {d.path: d for d in lib.documents()} == before

        # the message changes: its attachments are replaced (one gone, one changed, one unreadable)
        write_mail(mail, tmp_path, "The board sold the old dredger Heron.", ("minutes.docx", "broken.pdf"),
                   body="New minutes attached; the report is withdrawn.")
        _, done = run_index(lib, [docs_dir])
        assert (done.indexed, done.removed) == (1, 0)
        docs = {d.path: d for d in lib.documents()}
        minutes, broken = attachment_path(str(mail), 1, "minutes.docx"), attachment_path(str(mail), 2, "broken.pdf")
        assert list(docs) == [str(mail), minutes, broken]
        assert "Heron" in lib.document_text(minutes).text and "Osprey" not in lib.document_text(minutes).text
        assert docs[broken].status in ("failed", "skipped") and docs[broken].reason and docs[broken].parent == docs[str(mail)].id
        assert all(h.path in docs for h in lib.search("pier lighting contract Lumen Works", top_k=5))
        assert lib.store.count() == lib.catalog.chunk_count()

        # renamed: the attachments move with the message, nothing is read again
        moved = mail.rename(docs_dir / "harbour-papers.eml")
        _, done = run_index(lib, [docs_dir])
        assert (done.renamed, done.indexed, done.removed) == (1, 0, 0)
        assert [d.path for d in lib.documents()] == [str(moved), attachment_path(str(moved), 1, "minutes.docx"),
                                                     attachment_path(str(moved), 2, "broken.pdf")]
        assert lib.search("what was sold", top_k=1)[0].path == attachment_path(str(moved), 1, "minutes.docx")

        # removed from the library: the attachments go too
        assert lib.remove(moved) == 3
        assert lib.documents() == [] and lib.store.count() == 0 == lib.catalog.chunk_count()

        # deleted from disk, then synced: the attachments go too
        run_index(lib, [docs_dir])
        assert len(lib.documents()) == 3
        moved.unlink()
        _, done = run_index(lib, [docs_dir])
        assert done.removed == 1 and lib.documents() == [] and lib.store.count() == 0


def test_an_interrupted_attachment_is_read_again(tmp_path: Path, embedder: Any) -> None:
    mail = write_mail(tmp_path / "docs" / "papers.eml", tmp_path, "The board approved a new tug named Osprey.")
    minutes = attachment_path(str(mail), 2, "minutes.docx")
    with Library(tmp_path / "lib", Settings(), embedder=embedder) as lib:
        run_index(lib, [tmp_path / "docs"])
        child = lib.catalog.document(minutes)
        assert child is not None
        lib.catalog.mark(child.id, "indexing")  # as a kill while its passages were written leaves it
    with Library(tmp_path / "lib", Settings(), embedder=embedder) as lib:
        lib.open_vectors()  # repairs: the attachment is failed, its message due to be read again
        interrupted = lib.catalog.document(minutes)
        assert interrupted is not None and interrupted.status == "failed"
        _, done = run_index(lib, [tmp_path / "docs"])  # the message did not change on disk
        assert done.indexed == 1
        again = lib.catalog.document(minutes)
        assert again is not None and again.status == "indexed" and "Osprey" in lib.document_text(minutes).text
        assert lib.store.count() == lib.catalog.chunk_count()


def test_a_followed_message_keeps_its_attachments(tmp_path: Path, embedder: Any) -> None:
    from docent.core.ingest.folders import FolderList
    from docent.core.ingest.followed import sync_followed
    from docent.core.types import Planned

    mail = write_mail(tmp_path / "docs" / "papers.eml", tmp_path, "The board approved a new tug named Osprey.")
    folders = FolderList(tmp_path / "folders.json")
    folders.add(mail)  # the message itself is followed, not its folder: its attachments are not 'under' it
    with Library(tmp_path / "lib", Settings(), embedder=embedder) as lib:
        list(sync_followed(lib, folders))
        assert len(lib.documents()) == 3
        planned = next(e for e in sync_followed(lib, folders) if isinstance(e, Planned))
        assert (planned.pruned, planned.queued) == (0, [])
        assert len(lib.documents()) == 3


def test_cli_lists_and_removes_attachments(tmp_path: Path) -> None:
    mail = write_mail(tmp_path / "docs" / "papers.eml", tmp_path, "The board approved a new tug named Osprey.")
    base = [sys.executable, "-m", "docent", "--data-dir", str(tmp_path / "lib")]
    subprocess.run(base + ["index", str(tmp_path / "docs"), "--json"], check=True, capture_output=True, timeout=300)
    out = subprocess.run(base + ["status", "--json"], check=True, capture_output=True, text=True, timeout=120)
    listed = [(d["path"], d["kind"], d.get("parent")) for d in json.loads(out.stdout)["documents"]]
    assert listed == [(str(mail), "E-mail", None),  # a file has no "parent" field at all
                      (attachment_path(str(mail), 1, "report.pdf"), "PDF", str(mail)),
                      (attachment_path(str(mail), 2, "minutes.docx"), "Word", str(mail))]
    gone = subprocess.run(base + ["remove", str(mail), "--json"], check=True, capture_output=True, text=True, timeout=120)
    assert json.loads(gone.stdout)["removed"] == 3
    out = subprocess.run(base + ["status", "--json"], check=True, capture_output=True, text=True, timeout=120)
    assert json.loads(out.stdout)["documents"] == []


@pytest.mark.slow
def test_whole_document_task_reads_every_slide(tmp_path: Path, embedder: Any, models_dir: Path) -> None:
    deck = write_pptx(tmp_path / "docs" / "harbour.pptx", SLIDES)
    with Library(tmp_path / "lib", SETTINGS, embedder=embedder) as lib:
        run_index(lib, [tmp_path / "docs"])
        events = list(lib.ask("Summarize this deck", scope=[str(deck)], mode="whole"))
    sources = next(e for e in events if isinstance(e, Sources)).hits
    assert [h.location for h in sources] == ["slide 1", "slide 2", "notes of slide 2", "slide 3"]
    coverage = next(e for e in events if isinstance(e, WholeDocCoverage))
    assert (coverage.chunks_read, coverage.chunks_total) == (4, 4)
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.answer.strip()
    assert all(c.location in {h.location for h in sources} for c in done.citations)

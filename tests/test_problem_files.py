"""Encrypted, blank and broken files are reported with a reason while the rest of the folder indexes."""

from __future__ import annotations

from pathlib import Path

import pytest

import docgen
from docent.core.library import Library
from docent.core.types import FileDone
from helpers import CountingEmbedder, assert_consistent, by_name, file_done, run_index

GOOD_TEXT = "The Vellmar ferry is painted bright orange and carries ninety cars between Skarsund and Holm."
EMPTY_PW_TEXT = "Quantum gravel sorting machines separate pebbles by their resonance frequency in the Nordmark quarry."


def make_problem_folder(docs: Path) -> None:
    docgen.write_pdf(docs / "atlas.pdf", docgen.ATLAS_PAGES)
    docgen.write_docx(docs / "contract.docx", docgen.HARBOUR_SECTIONS)
    (docs / "ferry.txt").write_text(GOOD_TEXT + "\n", encoding="utf-8")
    # AES-256 with an empty user password: opens without a password, must index normally
    docgen.write_encrypted_pdf(docs / "enc_empty.pdf", [EMPTY_PW_TEXT], user_password="", owner_password="x")
    docgen.write_encrypted_pdf(docs / "enc_secret.pdf", ["Top secret launch codes."], user_password="secret")
    docgen.write_pdf(docs / "scanned.pdf", ["", ""])  # no page has a text layer
    docgen.write_pdf(docs / "half_blank.pdf", ["Orchids of the genus Stanhopea are pollinated by euglossine bees.", ""])
    docgen.write_random_bytes(docs / "random.pdf")
    docgen.write_truncated_pdf(docs / "truncated.pdf", docgen.ATLAS_PAGES)
    docgen.write_not_a_zip_docx(docs / "fake.docx")
    (docs / "empty.pdf").write_bytes(b"")


@pytest.fixture(scope="module")
def problem_library(tmp_path_factory: pytest.TempPathFactory, embedder, models_dir):  # noqa: ANN001, ANN201
    """Indexed once for the module; the tests here only read it (or re-index it unchanged)."""
    root = tmp_path_factory.mktemp("problems")
    docs = root / "docs"
    make_problem_folder(docs)
    counter = CountingEmbedder(embedder)
    with Library(root / "lib", embedder=counter) as lib:
        events, done = run_index(lib, [docs])
        yield lib, docs, events, done, counter


def test_problem_files_are_reported_with_reasons(problem_library) -> None:  # noqa: ANN001
    lib, docs, events, done, _ = problem_library
    docs_by_name = by_name(lib)
    assert sorted(docs_by_name) == sorted(p.name for p in docs.iterdir())

    indexed = {n for n, d in docs_by_name.items() if d.status == "indexed"}
    assert indexed == {"atlas.pdf", "contract.docx", "ferry.txt", "enc_empty.pdf", "half_blank.pdf"}
    for name in indexed:
        assert docs_by_name[name].reason == "" and docs_by_name[name].chunks > 0, name

    assert docs_by_name["enc_secret.pdf"].status == "skipped"
    assert docs_by_name["enc_secret.pdf"].reason.startswith("password-protected PDF")
    assert docs_by_name["scanned.pdf"].status == "skipped"
    assert "no text" in docs_by_name["scanned.pdf"].reason
    # an empty file is not broken: skipped with "empty file (no text)", as an empty .txt is
    assert docs_by_name["empty.pdf"].status == "skipped" and docs_by_name["empty.pdf"].chunks == 0
    for name in ("random.pdf", "truncated.pdf", "fake.docx"):
        doc = docs_by_name[name]
        assert doc.status == "failed", (name, doc)
        assert doc.reason.strip(), name
        assert doc.chunks == 0 and doc.pages == 0, name
    assert "not a PDF" in docs_by_name["random.pdf"].reason
    assert "damaged" in docs_by_name["truncated.pdf"].reason.lower()
    assert ".docx" in docs_by_name["fake.docx"].reason
    assert "empty" in docs_by_name["empty.pdf"].reason.lower()

    # the events said the same as the catalog
    fd = file_done(events)
    for name, doc in docs_by_name.items():
        ev: FileDone = fd[doc.path]
        assert (ev.status, ev.reason) == (doc.status, doc.reason), name
    assert (done.indexed, done.skipped, done.failed, done.cancelled) == (5, 3, 3, False)
    assert_consistent(lib)


def test_half_blank_pdf_notes_its_empty_page(problem_library) -> None:  # noqa: ANN001
    lib, docs, _, _, _ = problem_library
    doc = by_name(lib)["half_blank.pdf"]
    assert doc.pages == 2
    notes = lib.catalog.notes(doc.id)
    assert "1 of 2 pages" in notes and "2" in notes.split(":")[-1]
    top = lib.search("orchid pollination by bees", top_k=1)[0]
    assert (top.path, top.page) == (str(docs / "half_blank.pdf"), 1)


@pytest.mark.parametrize(("query", "name", "page"), [
    ("quantum gravel sorting resonance", "enc_empty.pdf", 1),
    ("what colour is the Vellmar ferry", "ferry.txt", None),
    ("Karvik Island lighthouse engineer", "atlas.pdf", 3),
    ("bollard inspection", "contract.docx", None),
])
def test_good_files_are_searchable_next_to_broken_ones(problem_library, query: str, name: str, page) -> None:  # noqa: ANN001
    lib, docs, _, _, _ = problem_library
    top = lib.search(query, top_k=3)[0]
    assert (top.path, top.page) == (str(docs / name), page)


def test_problem_files_are_not_retried_when_unchanged(problem_library) -> None:  # noqa: ANN001
    lib, docs, _, _, counting_embedder = problem_library
    counting_embedder.reset()
    events, done = run_index(lib, [docs])
    assert (done.indexed, done.skipped, done.failed, done.unchanged) == (0, 0, 0, 11)
    assert file_done(events) == {}
    assert counting_embedder.texts == 0
    assert_consistent(lib)


def test_a_fixed_file_is_indexed_on_the_next_run(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    docs = tmp_path / "docs"
    broken = docgen.write_random_bytes(docs / "report.pdf")
    (docs / "ferry.txt").write_text(GOOD_TEXT, encoding="utf-8")
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        _, done = run_index(lib, [docs])
        assert (done.indexed, done.failed) == (1, 1)
        docgen.write_pdf(broken, ["Repaired: the mill wheel of Ostermoor turns forty times a minute."])
        docgen.set_mtime(broken, broken.stat().st_mtime + 10)
        _, done = run_index(lib, [docs])
        assert (done.indexed, done.failed, done.unchanged) == (1, 0, 1)
        doc = by_name(lib)["report.pdf"]
        assert (doc.status, doc.reason, doc.pages) == ("indexed", "", 1)
        assert lib.search("mill wheel turns", top_k=1)[0].path == str(broken)
        assert_consistent(lib)

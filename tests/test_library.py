"""The Library facade: a document's text served from the catalog (what the window's viewer shows),
settings changed only through set_settings, the vectors opened by an explicit step, and removal
that loads no model."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from docgen import Section, write_docx
from helpers import run_index

from docent.core.ingest.chunking import document_text as joined_text
from docent.core.ingest.extract import extract
from docent.core.library import Library
from docent.errors import DocentError
from docent.settings import Settings

LONG = " ".join(f"Clause {i} says the tenant keeps the garden of plot {i} tidy and the hedges trimmed." for i in range(60))


def _contract(folder: Path) -> Path:
    return write_docx(folder / "lease.docx", [
        Section("1. Parties", paragraphs=["The landlord is Mara Quist; the tenant is Olof Brenn."]),
        Section("2. Rent", paragraphs=["Rent is 940 euros per month, paid on the first working day.",
                                       "Late payment costs 12 euros per week."], bullets=["Water is included."]),
        Section("3. Garden", paragraphs=[LONG]),  # longer than one chunk: cut in overlapping windows
    ], title="Lease of Flat 4B")


def test_document_text_comes_from_the_catalog(tmp_path: Path, embedder: Any) -> None:
    docs = tmp_path / "docs"
    path = _contract(docs)
    extracted = joined_text(extract(path).blocks)
    with Library(tmp_path / "lib", Settings(), embedder=embedder) as lib:
        run_index(lib, [docs])
        shown = lib.document_text(path)
        doc = lib.catalog.document(str(path))
        assert doc is not None
        chunks = lib.catalog.document_chunks(doc.id)
        assert len(chunks) > 2 and len(shown.passages) == len(chunks)
        # the same words in the same order as the file, and every passage at the offsets it was cited by
        assert shown.text.split() == extracted.split()
        assert len(shown.text) == len(extracted)
        for (_id, _doc, _path, _ord, text, page, location, start, end, _heading), passage in zip(chunks, shown.passages):
            assert shown.text[start:end] == text
            assert (passage.char_start, passage.char_end, passage.location, passage.page) == (start, end, location, page)
        assert "Rent is 940 euros" in shown.text and "Clause 59" in shown.text
        # the file is not read: deleted (or changed) on disk, the indexed text is still there
        path.unlink()
        assert lib.document_text(str(path)).text == shown.text


def test_document_text_of_a_duplicate_and_of_documents_without_text(tmp_path: Path, embedder: Any) -> None:
    docs = tmp_path / "docs"
    path = _contract(docs)
    shutil.copy(path, docs / "copy of lease.docx")
    (docs / "empty.txt").write_text("", encoding="utf-8")
    with Library(tmp_path / "lib", Settings(), embedder=embedder) as lib:
        run_index(lib, [docs])
        copy = lib.catalog.document(str(docs / "copy of lease.docx"))
        original = lib.catalog.document(str(path))
        assert copy is not None and original is not None
        twin, first = (copy, original) if copy.status == "skipped" else (original, copy)
        assert twin.reason == f"duplicate of {first.path}"
        assert lib.document_text(twin.path).text == lib.document_text(first.path).text
        with pytest.raises(DocentError, match="no text"):
            lib.document_text(docs / "empty.txt")
        with pytest.raises(DocentError, match="not in the library"):
            lib.document_text(docs / "never-indexed.docx")


def test_settings_change_only_through_set_settings(tmp_path: Path, embedder: Any) -> None:
    from dataclasses import replace

    with Library(tmp_path / "lib", Settings(), embedder=embedder) as lib:
        with pytest.raises(AttributeError):
            lib.settings = replace(lib.settings, sources=2)  # type: ignore[misc]
        store = lib.open_vectors()
        assert lib.store is store  # opened once; the property returns the open store
        lib.set_settings(replace(lib.settings, sources=2))
        assert lib.settings.sources == 2 and lib.store is store  # the same Chroma server: the store stays


def test_removing_and_repairing_load_no_embedder(tmp_path: Path, embedder: Any) -> None:
    docs = tmp_path / "docs"
    path = _contract(docs)
    with Library(tmp_path / "lib", Settings(), embedder=embedder) as lib:
        run_index(lib, [docs])
    with Library(tmp_path / "lib", Settings()) as lib:  # no embedder given: the settings' one would load
        doc = lib.catalog.document(str(path))
        assert doc is not None
        lib.catalog.mark(doc.id, "removing")  # a removal cut short
        assert lib.open_vectors() is lib.store and lib.recovered == 1
        assert lib.remove(docs) == 0 and lib.documents() == []
        assert not lib._services.embedder_loaded

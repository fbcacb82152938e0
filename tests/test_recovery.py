"""Cancelling an index run, repairing after a crash, and the one-process-per-library lock."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

import docgen
from docent.core.cancel import CancelToken
from docent.core.ingest.indexer import EMBED_BATCH, INTERRUPTED
from docent.core.library import Library
from docent.core.types import FileDone, FileProgress, SyncDone
from docent.errors import DataDirLocked
from docent.settings import Settings
from helpers import assert_consistent, by_name, run_index

CATALOG = "catalog.sqlite3"


def _documents(docs: Path, n: int = 4) -> list[Path]:
    makers = [
        lambda: docgen.write_pdf(docs / "a_atlas.pdf", docgen.ATLAS_PAGES),
        lambda: docgen.write_docx(docs / "b_contract.docx", docgen.HARBOUR_SECTIONS),
        lambda: docgen.write_pdf(docs / "c_short.pdf", ["The ferry to Holm leaves at seven every morning."]),
        lambda: docgen.write_pdf(docs / "d_more.pdf", ["Snow chains are required on the Vallen pass from November."]),
    ]
    return [make() for make in makers[:n]]


# ---- cancellation --------------------------------------------------------------------------------
def test_cancel_after_first_file_keeps_only_whole_documents(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    files = _documents(tmp_path / "docs")
    cancel = CancelToken()
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        events = []
        for ev in lib.index([tmp_path / "docs"], cancel):
            events.append(ev)
            if isinstance(ev, FileDone):
                cancel.cancel()
        done = events[-1]
        assert isinstance(done, SyncDone) and done.cancelled
        assert [e.path for e in events if isinstance(e, FileDone)] == [str(files[0])]
        assert done.indexed == 1
        docs = lib.documents()
        assert [d.path for d in docs] == [str(files[0])]
        assert all(d.status == "indexed" for d in docs)
        assert lib.store.count() == lib.catalog.chunk_count() == docs[0].chunks
        assert_consistent(lib)

        # the next run picks up where this one stopped
        _, done = run_index(lib, [tmp_path / "docs"])
        assert (done.indexed, done.unchanged, done.cancelled) == (3, 1, False)
        assert {d.status for d in lib.documents()} == {"indexed"} and len(lib.documents()) == 4
        assert_consistent(lib)


def test_cancel_inside_a_document_leaves_nothing_of_it(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    docs = tmp_path / "docs"
    # 80 paragraphs of ~25 tokens with 32-token chunks: one chunk each, so more than one embedding
    # batch (EMBED_BATCH, at most 64) and a chance to cancel between batches.
    paragraphs = [
        f"Entry {i}: the survey team measured the depth of channel marker number {i} at low tide and logged it."
        for i in range(80)
    ]
    big = docs / "a_big.txt"
    docs.mkdir()
    big.write_text("\n\n".join(paragraphs), encoding="utf-8")
    small = docs / "b_small.txt"
    small.write_text("The harbour master's office opens at eight.", encoding="utf-8")
    cancel = CancelToken()
    with Library(tmp_path / "lib", Settings(chunk_tokens=32, chunk_overlap=4), embedder=embedder) as lib:
        events = []
        for ev in lib.index([docs], cancel):
            events.append(ev)
            if isinstance(ev, FileProgress) and ev.path == str(big) and ev.chunks_done:
                assert ev.chunks_done == EMBED_BATCH  # the first batch is embedded...
                cancel.cancel()  # ...and the run is cancelled before the second
        done = events[-1]
        assert isinstance(done, SyncDone) and done.cancelled and done.indexed == 0
        assert not any(isinstance(e, FileDone) for e in events)
        assert lib.documents() == []
        assert lib.store.count() == 0 == lib.catalog.chunk_count()

        _, done = run_index(lib, [docs])
        assert (done.indexed, done.cancelled) == (2, False)
        assert by_name(lib)["a_big.txt"].chunks > EMBED_BATCH
        assert_consistent(lib)


# ---- crash recovery ------------------------------------------------------------------------------
@pytest.mark.parametrize("crashed_status", ["indexing", "removing"])
def test_half_done_document_is_repaired_on_reopen(tmp_path: Path, embedder, crashed_status: str) -> None:  # noqa: ANN001
    docs = tmp_path / "docs"
    files = _documents(docs, 2)
    data = tmp_path / "lib"
    with Library(data, embedder=embedder) as lib:
        run_index(lib, [docs])
        victim = lib.catalog.document(str(files[1]))
        assert victim is not None and victim.status == "indexed"
        victim_ids = lib.catalog.chunk_ids(victim.id)
        assert victim_ids and victim_ids <= lib.store.all_ids()

    # a run killed mid-way leaves the document marked as work in flight
    db = sqlite3.connect(data / CATALOG)
    with db:
        db.execute("UPDATE documents SET status=? WHERE id=?", (crashed_status, victim.id))
    db.close()

    with Library(data, embedder=embedder) as lib:
        assert lib.store.count() > 0  # opening the store runs the repair
        assert lib.recovered >= 1
        assert not (victim_ids & lib.store.all_ids())
        assert not (victim_ids & lib.catalog.chunk_ids())
        if crashed_status == "removing":  # the removal is finished
            assert lib.catalog.document(str(files[1])) is None
            assert [d.path for d in lib.documents()] == [str(files[0])]
        else:  # still listed, saying why it cannot be found, until the next run reads it again
            half = lib.catalog.document(str(files[1]))
            assert half is not None and half.status == "failed" and half.reason == INTERRUPTED
            assert [d.path for d in lib.documents()] == [str(files[0]), str(files[1])]
        assert_consistent(lib)

        _, done = run_index(lib, [docs])
        assert (done.indexed, done.unchanged, done.failed) == (1, 1, 0)
        redone = lib.catalog.document(str(files[1]))
        assert redone is not None and redone.status == "indexed"
        assert lib.catalog.chunk_ids(redone.id) == victim_ids  # same content, same chunk ids
        assert_consistent(lib)


def test_orphan_vectors_are_removed_on_reopen(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    """A kill between writing the vectors and writing the catalog rows of a new document."""
    docs = tmp_path / "docs"
    _documents(docs, 2)
    data = tmp_path / "lib"
    with Library(data, embedder=embedder) as lib:
        run_index(lib, [docs])
        vec = embedder.embed(["a passage nobody catalogued"])
        lib.store.add(["orphan-chunk-id"], vec, doc_id=999)
        assert lib.store.count() == lib.catalog.chunk_count() + 1
    with Library(data, embedder=embedder) as lib:
        assert "orphan-chunk-id" not in lib.store.all_ids()
        assert lib.recovered >= 1
        assert len(lib.documents()) == 2
        assert_consistent(lib)


def test_missing_vectors_are_embedded_again_and_never_empty_the_library(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    """The vector store emptied behind the catalog's back (a server collection deleted, a store
    folder replaced): the documents stay in the library, keyword search still finds them, and the
    next index embeds them again."""
    docs = tmp_path / "docs"
    _documents(docs, 3)
    data = tmp_path / "lib"
    with Library(data, embedder=embedder) as lib:
        run_index(lib, [docs])
        ids = lib.store.all_ids()
        for doc in lib.documents():
            lib.store.delete_document(doc.id)  # every vector gone
        assert lib.store.count() == 0 and lib.catalog.chunk_count() == len(ids)
    with Library(data, embedder=embedder) as lib:
        _ = lib.store
        assert lib.recovered == 3
        assert len(lib.documents()) == 3 and lib.catalog.chunk_count() == len(ids)  # nothing forgotten
        from docent.core.retrieval.search import SearchParams

        hits = lib.search("ferry to Holm", 3, [], SearchParams(mode="keyword"))  # the keyword index is intact
        assert hits and hits[0].path.endswith("c_short.pdf")
        _, done = run_index(lib, [docs])
        assert done.indexed == 3 and done.unchanged == 0  # embedded again
        assert lib.store.count() == lib.catalog.chunk_count() > 0
        assert_consistent(lib)
    with Library(data, embedder=embedder) as lib:  # and nothing more to repair
        _ = lib.store
        assert lib.recovered == 0


# ---- the data-folder lock ------------------------------------------------------------------------
def test_second_library_on_the_same_folder_is_refused(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    data = tmp_path / "lib"
    docs = tmp_path / "docs"
    docgen.write_pdf(docs / "a.pdf", docgen.ATLAS_PAGES[:1])
    first = Library(data, embedder=embedder)
    try:
        run_index(first, [docs])
        with pytest.raises(DataDirLocked) as info:
            Library(data, embedder=embedder)
        message = str(info.value)
        assert str(data) in message
        assert "in use" in message and f"pid {os.getpid()}" in message
        assert "--data-dir" in message  # says what to do about it
        # the refused second open did not disturb the first
        assert first.search("honey", top_k=1)[0].path == str(docs / "a.pdf")
    finally:
        first.close()
    with Library(data, embedder=embedder) as again:  # released on close
        assert len(again.documents()) == 1

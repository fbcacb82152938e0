"""Incremental sync: only what changed is read and embedded; the catalog and the vectors always agree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import docgen
from docent.core.library import Library
from docent.core.types import FileStarted
from helpers import CountingEmbedder, assert_consistent, by_name, file_done, run_index

TXT_V1 = (
    "Greenhouse log. The tomato seedlings were moved to the south bench on Tuesday.\n\n"
    "Watering happens at dawn with rainwater from the blue cistern."
)
TXT_V2 = (
    "Greenhouse log, revised. The pepper seedlings were moved to the north bench on Friday "
    "after the frost warning.\n\nWatering now happens at dusk with well water from the grey tank, "
    "and the vents stay shut at night."
)
MD_TEXT = "# Kiln notes\n\nThe stoneware kiln reaches cone ten after eleven hours of firing.\n"


def _keyword_paths(lib: Library, query: str) -> set[str]:
    from docent.core.retrieval.search import SearchParams

    return {h.path for h in lib.search(query, top_k=10, params=SearchParams(mode="keyword"))}


@pytest.fixture
def synced(tmp_path: Path, counting_embedder: CountingEmbedder):  # noqa: ANN201
    """A folder of three documents (PDF, DOCX, TXT), indexed once."""
    docs = tmp_path / "docs"
    docgen.write_pdf(docs / "atlas.pdf", docgen.ATLAS_PAGES[:2])
    docgen.write_docx(docs / "contract.docx", docgen.HARBOUR_SECTIONS[:3])
    (docs / "notes.txt").write_text(TXT_V1, encoding="utf-8")
    with Library(tmp_path / "lib", embedder=counting_embedder) as lib:
        _, done = run_index(lib, [docs])
        assert (done.indexed, done.unchanged, done.failed, done.skipped) == (3, 0, 0, 0)
        assert counting_embedder.texts == done.chunks == lib.catalog.chunk_count() > 0
        assert_consistent(lib)
        counting_embedder.reset()
        yield lib, docs, counting_embedder


def test_unchanged_folder_embeds_nothing(synced) -> None:  # noqa: ANN001
    lib, docs, emb = synced
    events, done = run_index(lib, [docs])
    assert (done.indexed, done.unchanged, done.removed, done.renamed) == (0, 3, 0, 0)
    assert not any(isinstance(e, FileStarted) for e in events)
    assert emb.texts == 0 and emb.calls == 0
    assert_consistent(lib)


def test_added_file_is_indexed_alone(synced) -> None:  # noqa: ANN001
    lib, docs, emb = synced
    before = lib.catalog.chunk_ids()
    (docs / "kiln.md").write_text(MD_TEXT, encoding="utf-8")
    events, done = run_index(lib, [docs])
    assert (done.indexed, done.unchanged, done.removed) == (1, 3, 0)
    assert list(file_done(events)) == [str(docs / "kiln.md")]
    kiln = by_name(lib)["kiln.md"]
    assert emb.texts == kiln.chunks == done.chunks
    assert lib.catalog.chunk_ids() - before == lib.catalog.chunk_ids(kiln.id)
    assert lib.search("how hot does the stoneware kiln get", top_k=1)[0].path == str(docs / "kiln.md")
    assert_consistent(lib)


def test_modified_file_is_reindexed(synced) -> None:  # noqa: ANN001
    lib, docs, emb = synced
    path = docs / "notes.txt"
    old = by_name(lib)["notes.txt"]
    old_ids = lib.catalog.chunk_ids(old.id)
    path.write_text(TXT_V2, encoding="utf-8")
    docgen.set_mtime(path, old.mtime + 60)
    _, done = run_index(lib, [docs])
    assert (done.indexed, done.unchanged, done.removed) == (1, 2, 0)
    new = by_name(lib)["notes.txt"]
    assert new.id == old.id and new.sha256 != old.sha256 and new.status == "indexed"
    new_ids = lib.catalog.chunk_ids(new.id)
    assert emb.texts == new.chunks == len(new_ids)
    assert not (old_ids & new_ids)
    assert not (old_ids & lib.store.all_ids()), "the old version's vectors are gone"
    assert str(path) not in _keyword_paths(lib, "tomato cistern")
    assert str(path) in _keyword_paths(lib, "pepper frost")
    assert_consistent(lib)


def test_deleted_file_leaves_catalog_and_vectors(synced) -> None:  # noqa: ANN001
    lib, docs, emb = synced
    gone = by_name(lib)["contract.docx"]
    gone_ids = lib.catalog.chunk_ids(gone.id)
    count_before = lib.store.count()
    (docs / "contract.docx").unlink()
    _, done = run_index(lib, [docs])
    assert (done.indexed, done.unchanged, done.removed) == (0, 2, 1)
    assert emb.texts == 0
    assert "contract.docx" not in by_name(lib)
    assert lib.catalog.document(gone.path) is None
    assert lib.store.ids_for(gone.id) == set()
    assert not (gone_ids & lib.store.all_ids()) and not (gone_ids & lib.catalog.chunk_ids())
    assert lib.store.count() == count_before - len(gone_ids)
    assert gone.path not in _keyword_paths(lib, "bollard inspection berth")
    assert_consistent(lib)


def test_renamed_file_moves_without_embedding(synced) -> None:  # noqa: ANN001
    lib, docs, emb = synced
    old = by_name(lib)["atlas.pdf"]
    old_ids = lib.catalog.chunk_ids(old.id)
    (docs / "atlas.pdf").rename(docs / "atlas-2024.pdf")
    _, done = run_index(lib, [docs])
    assert (done.renamed, done.indexed, done.removed, done.unchanged) == (1, 0, 0, 2)
    assert emb.texts == 0 and emb.calls == 0
    moved = by_name(lib)["atlas-2024.pdf"]
    assert "atlas.pdf" not in by_name(lib)
    assert (moved.id, moved.sha256, moved.status, moved.chunks) == (old.id, old.sha256, "indexed", old.chunks)
    assert lib.catalog.chunk_ids(moved.id) == old_ids == lib.store.ids_for(moved.id)
    top = lib.search("honey from the bee hives", top_k=1)[0]
    assert (top.path, top.page) == (str(docs / "atlas-2024.pdf"), 1)
    assert_consistent(lib)
    # and the next run sees it as unchanged
    _, done = run_index(lib, [docs])
    assert (done.unchanged, done.renamed, done.indexed) == (3, 0, 0)


def test_moved_file_to_subfolder_moves_without_embedding(synced) -> None:  # noqa: ANN001
    lib, docs, emb = synced
    old = by_name(lib)["contract.docx"]
    (docs / "archive").mkdir()
    shutil.move(str(docs / "contract.docx"), str(docs / "archive" / "contract.docx"))
    _, done = run_index(lib, [docs])
    assert (done.renamed, done.indexed, done.removed) == (1, 0, 0)
    assert emb.texts == 0
    moved = lib.catalog.document(str(docs / "archive" / "contract.docx"))
    assert moved is not None and moved.id == old.id and moved.status == "indexed"
    assert lib.catalog.document(old.path) is None
    assert_consistent(lib)


def test_copy_of_an_indexed_file_is_a_duplicate(synced) -> None:  # noqa: ANN001
    lib, docs, emb = synced
    shutil.copy2(docs / "notes.txt", docs / "notes-copy.txt")
    _, done = run_index(lib, [docs])
    assert emb.texts == 0
    copy = by_name(lib)["notes-copy.txt"]
    assert copy.status == "skipped" and copy.reason == f"duplicate of {docs / 'notes.txt'}"
    assert done.unchanged == 3
    assert_consistent(lib)


@pytest.mark.parametrize("what", ["changed", "deleted"])
def test_a_duplicate_is_read_in_the_same_sync_when_its_original_changes_or_goes(synced, what: str) -> None:  # noqa: ANN001
    """A copy skipped as "duplicate of" a file stands on that file: when the original is edited or
    deleted, the same sync reads the copy again (after the original), so its text is searchable at
    once, not only after a later sync."""
    lib, docs, emb = synced
    original = docs / "notes.txt"
    shutil.copy2(original, docs / "notes-copy.txt")
    run_index(lib, [docs])
    assert by_name(lib)["notes-copy.txt"].status == "skipped"
    if what == "changed":
        with original.open("a", encoding="utf-8") as fh:
            fh.write("\nAddendum: the minutes were corrected on review.\n")
    else:
        original.unlink()
    _, done = run_index(lib, [docs])
    copy = by_name(lib)["notes-copy.txt"]
    assert copy.status == "indexed" and copy.chunks > 0, copy
    assert done.indexed == (2 if what == "changed" else 1)
    _, again = run_index(lib, [docs])  # and nothing is left for a later sync to fix
    assert (again.indexed, again.removed) == (0, 0)
    assert_consistent(lib)


def test_reindex_is_idempotent(synced) -> None:  # noqa: ANN001
    lib, docs, emb = synced
    docs_before = {d.path: (d.id, d.sha256, d.chunks, d.indexed_at) for d in lib.documents()}
    catalog_ids, store_ids, count = lib.catalog.chunk_ids(), lib.store.all_ids(), lib.store.count()
    for _ in range(2):
        _, done = run_index(lib, [docs])
        assert (done.indexed, done.unchanged, done.chunks, done.removed, done.renamed) == (0, 3, 0, 0, 0)
        assert emb.texts == 0
        assert lib.store.count() == count
        assert lib.catalog.chunk_ids() == catalog_ids and lib.store.all_ids() == store_ids
        assert {d.path: (d.id, d.sha256, d.chunks, d.indexed_at) for d in lib.documents()} == docs_before


def test_chunk_ids_are_the_same_in_a_fresh_library(synced, tmp_path: Path, embedder) -> None:  # noqa: ANN001
    lib, docs, _ = synced
    with Library(tmp_path / "other-lib", embedder=embedder) as other:
        run_index(other, [docs])
        assert other.catalog.chunk_ids() == lib.catalog.chunk_ids()
        assert other.store.all_ids() == lib.store.all_ids()


def test_removing_a_folder_forgets_its_documents(synced) -> None:  # noqa: ANN001
    lib, docs, emb = synced
    assert lib.remove(docs / "notes.txt") == 1
    assert "notes.txt" not in by_name(lib)
    assert_consistent(lib)
    assert lib.remove(docs) == 2
    assert lib.documents() == [] and lib.store.count() == 0 and lib.catalog.chunk_count() == 0
    assert lib.search("lighthouse", top_k=3) == []
    assert emb.texts == 0


def test_sync_followed_prunes_an_unfollowed_folder(synced, tmp_path: Path) -> None:  # noqa: ANN001
    """The core's sync of the followed folders (the window's and `docent index` alone): documents no
    followed folder holds are forgotten first, and Planned names what will be read, by the indexer's
    own rule."""
    from docent.core.ingest.folders import FolderList
    from docent.core.ingest.followed import sync_followed
    from docent.core.types import Planned, SyncDone

    lib, docs, emb = synced
    other = tmp_path / "other"
    other.mkdir()
    (other / "ocelots.txt").write_text("The zoo's three ocelots are weighed every second Thursday.", encoding="utf-8")
    _, done = run_index(lib, [other])
    assert done.indexed == 1
    emb.reset()
    folders = FolderList(tmp_path / "folders.json")
    folders.add(docs)  # docs/ stays followed; other/ is not (any more)
    (docs / "notes.txt").write_text(TXT_V2, encoding="utf-8")

    events = list(sync_followed(lib, folders))
    planned = events[0]
    assert isinstance(planned, Planned) and planned.pruned == 1
    assert planned.queued == [str(docs / "notes.txt")]  # the changed file only
    done = events[-1]
    assert isinstance(done, SyncDone) and (done.indexed, done.unchanged, done.removed) == (1, 2, 0)
    assert set(by_name(lib)) == {"atlas.pdf", "contract.docx", "notes.txt"}
    assert _keyword_paths(lib, "ocelots") == set()
    assert emb.texts == done.chunks > 0  # only the changed file was embedded
    assert_consistent(lib)

    folders.remove(docs)  # nothing followed: everything is forgotten, nothing is read
    events = list(sync_followed(lib, folders))
    assert events[0] == Planned([], 3) and events[-1] == SyncDone(0, 0, 0, 0, 3, 0, 0, 0, 0.0)
    assert lib.documents() == [] and lib.store.count() == 0

"""core.storage.catalog: the SQLite catalog (real SQLite, FTS5 in a tmp folder). Documents and
their states, chunks with provenance, the keyword index over them (and its CJK side index), stable
ids across re-indexing, nothing of a removed text left behind, a newer catalog refused untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterator

import pytest

from docent.core.storage.catalog import Catalog, cjk_query, cjk_terms, has_cjk, keyword_query
from docent.core.types import Chunk
from docent.errors import StoreError


def _chunk(doc: str, ordinal: int, text: str, page: int | None = None, heading: str = "") -> Chunk:
    return Chunk(id=f"{doc}-{ordinal}", ordinal=ordinal, text=text, page=page, page_end=page,
                 location=f"p. {page}" if page else f"¶{ordinal + 1}", heading=heading,
                 char_start=ordinal * 100, char_end=ordinal * 100 + len(text), tokens=len(text.split()))


HARBOUR = ["The harbour master inspects every bollard each spring.",
           "Mooring fees are due on the first day of the month.",
           "Ferries to Karvik Island leave twice a day in summer."]
HANDBOOK = ["Every employee receives 27 days of paid annual leave.",
            "Meal expenses are reimbursed up to 45 euros a day."]


def _index(cat: Catalog, path: str, texts: list[str], paged: bool = True) -> int:
    doc_id = cat.begin_document(path, size=1000, mtime=1.5, sha256=f"sha-{path}")
    chunks = [_chunk(Path(path).stem, i, t, page=i + 1 if paged else None) for i, t in enumerate(texts)]
    cat.add_chunks(doc_id, chunks, [Path(path).stem] * len(chunks))
    cat.finish_document(doc_id, pages=len(texts) if paged else 0, chunks=len(chunks), embedder_id="emb",
                        chunker="c1", title=Path(path).stem)
    return doc_id


@pytest.fixture
def cat(tmp_path: Path) -> Iterator[Catalog]:
    c = Catalog(tmp_path / "catalog.sqlite3")
    yield c
    c.close()


def test_a_document_indexed_is_listed_with_its_state(cat: Catalog) -> None:
    doc_id = _index(cat, "/docs/harbour.pdf", HARBOUR)
    doc = cat.document("/docs/harbour.pdf")
    assert doc is not None and doc.id == doc_id and cat.document_by_id(doc_id) == doc
    assert (doc.status, doc.reason, doc.pages, doc.chunks, doc.embedder_id) == ("indexed", "", 3, 3, "emb")
    assert (doc.size, doc.mtime, doc.sha256) == (1000, 1.5, "sha-/docs/harbour.pdf")
    assert doc.indexed_at is not None
    assert cat.chunk_count() == 3 and cat.chunk_ids(doc_id) == {"harbour-0", "harbour-1", "harbour-2"}
    assert [d.path for d in cat.indexed_by_sha("sha-/docs/harbour.pdf")] == ["/docs/harbour.pdf"]
    assert cat.document("/docs/nothing.pdf") is None and cat.document_by_id(999) is None


def test_documents_are_sorted_and_filtered_by_folder_not_by_prefix(cat: Catalog) -> None:
    for path in ("/docs/b.md", "/docs/a.md", "/docs/sub/c.md", "/docs-old/d.md"):
        _index(cat, path, ["some text about " + Path(path).stem], paged=False)
    assert [d.path for d in cat.documents()] == ["/docs-old/d.md", "/docs/a.md", "/docs/b.md", "/docs/sub/c.md"]
    assert [d.path for d in cat.documents(under="/docs")] == ["/docs/a.md", "/docs/b.md", "/docs/sub/c.md"]
    assert [d.path for d in cat.documents(under="/docs/")] == ["/docs/a.md", "/docs/b.md", "/docs/sub/c.md"]
    assert [d.path for d in cat.documents(under="/docs/a.md")] == ["/docs/a.md"]


def test_keyword_search_ranks_by_bm25_and_sees_only_indexed_documents(cat: Catalog) -> None:
    harbour = _index(cat, "/docs/harbour.pdf", HARBOUR)
    handbook = _index(cat, "/docs/handbook.pdf", HANDBOOK)
    found = cat.keyword_search("How many days of annual leave?", 5)
    assert found[0][0] == "handbook-0"
    assert "handbook-1" in [cid for cid, _ in found]  # "days" alone matches too, ranked lower
    assert [s for _, s in found] == sorted(s for _, s in found)  # bm25: lower is better
    assert [cid for cid, _ in cat.keyword_search("ferries Karvik", 5)] == ["harbour-2"]
    assert cat.keyword_search("annual leave", 5, doc_ids=[harbour])[0][0] == "harbour-2"  # its ferries "leave"
    assert cat.keyword_search("annual", 5, doc_ids=[harbour]) == []
    assert [cid for cid, _ in cat.keyword_search("annual leave", 5, doc_ids=[handbook])][0] == "handbook-0"
    assert cat.keyword_search("the of and", 5) == []  # stop words only: no query at all
    assert cat.keyword_search("annual", 0) == []

    # being re-indexed: its old chunks are gone and its new ones are not searchable until finished
    doc_id = cat.begin_document("/docs/handbook.pdf", size=1, mtime=2.0, sha256="new")
    assert doc_id == handbook  # the same id across re-indexing
    assert cat.keyword_search("annual", 5) == []
    cat.add_chunks(doc_id, [_chunk("handbook", 0, "Annual leave is now 30 days.")], ["handbook"])
    assert cat.keyword_search("annual", 5) == []
    assert cat.chunks_by_ids(["handbook-0"]) == {}
    cat.finish_document(doc_id, pages=1, chunks=1, embedder_id="emb", chunker="c1", title="handbook")
    assert [cid for cid, _ in cat.keyword_search("annual", 5)] == ["handbook-0"]


def test_chunk_texts_and_their_neighbours(cat: Catalog) -> None:
    doc_id = _index(cat, "/docs/harbour.pdf", HARBOUR)
    got = cat.chunks_by_ids(["harbour-1", "missing"])
    assert list(got) == ["harbour-1"]
    assert got["harbour-1"] == (doc_id, "/docs/harbour.pdf", 1, HARBOUR[1], 2, "p. 2", 100, 100 + len(HARBOUR[1]), "")
    rows = cat.document_chunks(doc_id)
    assert [r[0] for r in rows] == ["harbour-0", "harbour-1", "harbour-2"] and [r[4] for r in rows] == HARBOUR
    near = cat.neighbours(doc_id, [0, 2, 7])
    assert sorted(near) == [0, 2] and near[2][1] == HARBOUR[2]
    assert cat.neighbours(doc_id, []) == {}


def test_failures_renames_marks_and_removal(cat: Catalog) -> None:
    bad = cat.record_outcome("/docs/broken.pdf", 10, 1.0, "x", "failed", "the PDF is damaged")
    doc = cat.document_by_id(bad)
    assert doc is not None and (doc.status, doc.reason, doc.chunks) == ("failed", "the PDF is damaged", 0)
    assert [d.path for d in cat.in_status("failed", "skipped")] == ["/docs/broken.pdf"]

    doc_id = _index(cat, "/docs/harbour.pdf", HARBOUR)
    cat.move_document(doc_id, "/docs/renamed.pdf", 9.0)
    moved = cat.document_by_id(doc_id)
    assert moved is not None and (moved.path, moved.mtime, moved.chunks) == ("/docs/renamed.pdf", 9.0, 3)
    assert cat.document("/docs/harbour.pdf") is None
    cat.forget_vectors(doc_id)
    assert cat.document_by_id(doc_id).embedder_id == ""  # type: ignore[union-attr]
    cat.mark(doc_id, "queued")
    assert cat.document_by_id(doc_id).status == "queued"  # type: ignore[union-attr]

    cat.delete_document(doc_id)
    assert cat.document_by_id(doc_id) is None and cat.chunk_count() == 0 and cat.chunk_ids() == set()


def test_a_removed_text_leaves_no_term_in_the_keyword_index(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    cat = Catalog(path)
    doc_id = _index(cat, "/docs/secret.md", ["The vault combination is zanzibar-quokka."], paged=False)
    cat.delete_document(doc_id)
    cat.close()  # purges the FTS5 segments and folds the WAL back
    db = sqlite3.connect(path)
    try:
        db.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, chunks_fts, 'row')")
        terms = {r[0] for r in db.execute("SELECT term FROM temp.v")}
    finally:
        db.close()
    assert "zanzibar" not in terms and "quokka" not in terms
    assert b"zanzibar" not in path.read_bytes()


def _terms(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        db.execute("CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, chunks_fts, 'row')")
        return {r[0] for r in db.execute("SELECT term FROM temp.v")}
    finally:
        db.close()


def test_re_reading_a_changed_file_costs_what_changed_and_the_index_is_merged_whole_in_time(tmp_path: Path) -> None:
    """A changed file's old passages are dropped and new ones written: the close that follows does
    bounded work (the replaced count is carried in meta), never a whole-index merge each time; once
    the replaced passages pass their share of the index, the whole index is merged and the count
    starts again. Either way the old text is never found."""
    import docent.core.storage.catalog as catalog_mod

    path = tmp_path / "catalog.sqlite3"
    cat = Catalog(path)
    for i in range(40):
        _index(cat, f"/docs/filler{i}.md", [f"Filler passage {i} about harbour dues."] * 3, paged=False)
    _index(cat, "/docs/memo.md", ["The courier code is walrus-tangerine."], paged=False)
    cat.close()

    floor = catalog_mod.REPLACED_FLOOR
    catalog_mod.REPLACED_FLOOR = 3  # so that a handful of re-reads cross it
    try:
        cat = Catalog(path)
        _index(cat, "/docs/memo.md", ["The courier code changed."], paged=False)  # one passage replaced
        assert cat.keyword_search("walrus tangerine", 5) == []
        cat.close()
        cat = Catalog(path)
        assert cat.get_meta(catalog_mod.STALE_KEY) == "1"  # counted, not merged whole
        for i in range(3):
            _index(cat, f"/docs/filler{i}.md", [f"Filler passage {i} revised."] * 3, paged=False)
        cat.close()  # 1 + 9 replaced > max(3, 5% of 124): merged whole
        cat = Catalog(path)
        assert cat.get_meta(catalog_mod.STALE_KEY) == "0"
        cat.close()
    finally:
        catalog_mod.REPLACED_FLOOR = floor
    assert not {"walru", "walrus", "tangerin", "tangerine"} & _terms(path)


def test_a_large_library_searches_a_question_s_rarest_words_within_a_budget_of_postings(tmp_path: Path) -> None:
    """From BOUNDED_FROM passages on, a keyword search keeps the question's rarest words while the
    passages holding them add up to at most POSTINGS_BUDGET: the cost stops growing with the library.
    Below it, every word is searched."""
    import docent.core.storage.catalog as catalog_mod
    from docent.core.storage.keywords import within_budget

    assert within_budget(["harbour", "quokka", "fee"], [900, 2, 50], 60) == ["quokka", "fee"]
    assert within_budget(["harbour", "fee"], [900, 800], 60) == ["fee"]  # always the rarest word
    cat = Catalog(tmp_path / "catalog.sqlite3")
    try:
        for i in range(12):
            _index(cat, f"/docs/harbour{i}.md", [f"The harbour dues of pier {i} are paid monthly."], paged=False)
        _index(cat, "/docs/zoo.md", ["A quokka lives near the harbour."], paged=False)
        everything = cat.keyword_search("harbour quokka", 20)
        assert len(everything) == 13  # small library: both words searched
        saved = catalog_mod.BOUNDED_FROM, catalog_mod.POSTINGS_BUDGET
        catalog_mod.BOUNDED_FROM, catalog_mod.POSTINGS_BUDGET = 5, 4
        try:
            bounded = cat.keyword_search("harbour quokka", 20)
        finally:
            catalog_mod.BOUNDED_FROM, catalog_mod.POSTINGS_BUDGET = saved
        assert bounded[0][0] == everything[0][0]  # the passage holding the rare word leads either way
        assert len(bounded) == 1  # "harbour" (13 passages) is over the budget: dropped
    finally:
        cat.close()


def test_cjk_text_is_found_by_its_bigrams(cat: Catalog) -> None:
    _index(cat, "/docs/tokyo.md", ["東京の本社は月曜日に休みです。", "The Osaka office opens at nine."], paged=False)
    assert [cid for cid, _ in cat.keyword_search("本社は休み", 5)] == ["tokyo-0"]
    assert [cid for cid, _ in cat.keyword_search("Osaka office", 5)] == ["tokyo-1"]


def test_query_builders_quote_every_word() -> None:
    assert keyword_query('What is the "annual" leave; DROP TABLE chunks?') == '"annual" OR "leave" OR "drop" OR "table" OR "chunks"'
    assert keyword_query("the of and") == ""
    assert keyword_query("Leave leave LEAVE 7 x") == '"leave" OR "7"'
    assert has_cjk("本社") and has_cjk("한국어") and not has_cjk("Zürich")
    assert cjk_terms("東京本社") == " 東京 京本 本社 "
    assert cjk_query("東京の office") == '"東京" OR "京の" OR "office"'


def test_meta_persists_and_the_file_is_sound(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    cat = Catalog(path)
    _index(cat, "/docs/harbour.pdf", HARBOUR)
    cat.set_meta("library_id", "abc")
    cat.set_meta("library_id", "def")
    assert cat.integrity_ok()
    assert [r[0] for r in cat.rows("SELECT path FROM documents")] == ["/docs/harbour.pdf"]
    cat.close()
    again = Catalog(path)
    try:
        assert again.get_meta("library_id") == "def" and again.get_meta("absent") is None
        assert again.get_meta("schema_version") is not None
        assert [cid for cid, _ in again.keyword_search("bollard", 3)] == ["harbour-0"]
    finally:
        again.close()


def test_a_catalog_written_by_a_newer_docent_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite3"
    cat = Catalog(path)
    _index(cat, "/docs/harbour.pdf", HARBOUR)
    cat.set_meta("schema_version", "999")
    cat.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer version of Docent.*version 999.*nothing in the library was changed"):
        Catalog(path)
    assert path.read_bytes() == before


def test_a_failed_write_leaves_nothing_half_done(cat: Catalog) -> None:
    doc_id = _index(cat, "/docs/harbour.pdf", HARBOUR)
    with pytest.raises(sqlite3.IntegrityError):  # doc 999 does not exist: the foreign key refuses the batch
        cat.add_chunks(999, [_chunk("x", 0, "first"), _chunk("x", 1, "second")], ["x", "x"])
    assert cat.chunk_ids() == cat.chunk_ids(doc_id) and cat.chunk_count() == 3

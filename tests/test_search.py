"""Search finds the right page of a PDF and the right heading path and paragraph of a Word file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import docgen
from docent.core.library import Library
from docent.core.retrieval.search import SearchParams
from docent.settings import Settings
from helpers import assert_consistent, run_index


# ---- PDF: page-accurate hits ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def atlas_library(tmp_path_factory: pytest.TempPathFactory, embedder, models_dir):  # noqa: ANN001, ANN201
    root = tmp_path_factory.mktemp("atlas")
    pdf = docgen.write_pdf(root / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    with Library(root / "lib", embedder=embedder) as lib:
        _, done = run_index(lib, [root / "docs"])
        assert (done.indexed, done.skipped, done.failed, done.pages) == (1, 0, 0, 5)
        yield lib, pdf


def test_pdf_chunks_keep_their_page(atlas_library) -> None:  # noqa: ANN001
    lib, pdf = atlas_library
    (doc,) = lib.documents()
    assert doc.path == str(pdf) and doc.status == "indexed" and doc.pages == 5
    rows = list(lib.catalog.rows("SELECT page, page_end, location, text FROM chunks ORDER BY ordinal"))
    assert {r[0] for r in rows} == {1, 2, 3, 4, 5}
    for page, page_end, location, text in rows:
        assert page == page_end, "a chunk must not cross a page boundary"
        assert location == f"p. {page}"
        # the page's own sentence, not another page's
        assert docgen.ATLAS_PAGES[page - 1].split(".")[0] in " ".join(text.split())
    assert_consistent(lib)


@pytest.mark.parametrize(("query", "page"), docgen.ATLAS_QUERIES)
def test_search_returns_the_page_of_the_topic(atlas_library, query: str, page: int) -> None:  # noqa: ANN001
    lib, pdf = atlas_library
    hits = lib.search(query, top_k=3)
    assert hits, query
    top = hits[0]
    assert (top.path, top.page, top.location) == (str(pdf), page, f"p. {page}"), (query, [(h.page, h.score) for h in hits])
    # the passage is that page's text
    first_sentence = docgen.ATLAS_PAGES[page - 1].split(".")[0]
    assert first_sentence in " ".join(top.text.split())
    assert top.score >= max(h.score for h in hits)


def test_search_modes_agree_on_an_exact_phrase(atlas_library) -> None:  # noqa: ANN001
    lib, pdf = atlas_library
    for mode in ("vector", "keyword", "hybrid"):
        hits = lib.search("Arenberg sector tyres puncture", top_k=2, params=SearchParams(mode=mode))
        assert hits and hits[0].page == 5, mode


def test_search_scope_limits_to_the_given_files(atlas_library, tmp_path: Path) -> None:  # noqa: ANN001
    lib, pdf = atlas_library
    assert lib.search("lighthouse", top_k=3, scope=[str(tmp_path / "elsewhere")]) == []
    hits = lib.search("lighthouse", top_k=3, scope=[str(pdf)])
    assert hits and all(h.path == str(pdf) for h in hits)


# ---- DOCX: heading paths and paragraph numbers ---------------------------------------------------
# Small chunks (64 tokens) so that every paragraph of the contract starts its own chunk and its
# location carries its own paragraph number.
DOCX_SETTINGS = Settings(chunk_tokens=64, chunk_overlap=8)


@pytest.fixture(scope="module")
def contract_library(tmp_path_factory: pytest.TempPathFactory, embedder, models_dir):  # noqa: ANN001, ANN201
    root = tmp_path_factory.mktemp("contract")
    path = docgen.write_docx(root / "docs" / "contract.docx", docgen.HARBOUR_SECTIONS)
    with Library(root / "lib", DOCX_SETTINGS, embedder=embedder) as lib:
        _, done = run_index(lib, [root / "docs"])
        assert (done.indexed, done.failed, done.skipped) == (1, 0, 0)
        yield lib, path


def _chunk_with(lib: Library, needle: str) -> tuple[str, str, str, int | None]:
    rows = [r for r in lib.catalog.rows("SELECT location, heading, text, page FROM chunks") if needle in r[2]]
    assert len(rows) == 1, (needle, rows)
    return rows[0]


def test_docx_chunks_carry_heading_path_and_paragraph(contract_library) -> None:  # noqa: ANN001
    lib, _ = contract_library
    expect = {
        "This contract sets out how": ("Purpose ¶1", "Purpose"),
        "The work covers every structure": ("Scope ¶1", "Scope"),
        "In this contract a berth is": ("Scope › Terms ¶1", "Scope › Terms"),
        "A bollard inspection means": ("Scope › Terms ¶2", "Scope › Terms"),
        "An emergency call-out is any request": ("Scope › Terms ¶3", "Scope › Terms"),
        "Two mobile cranes": ("Scope › Equipment ¶1", "Scope › Equipment"),
        # a new Heading 1 closes "Scope" and its sub-sections
        "fixed monthly fee": ("Payment ¶1", "Payment"),
        "three hundred and twenty euros per hour": ("Payment ¶2", "Payment"),
    }
    for needle, (location, heading) in expect.items():
        got_location, got_heading, _, page = _chunk_with(lib, needle)
        assert (got_location, got_heading, page) == (location, heading, None), needle
    for (location,) in lib.catalog.rows("SELECT location FROM chunks"):
        assert re.fullmatch(r"[^¶]+ ¶\d+", location), location


def test_docx_lists_and_tables_are_kept(contract_library) -> None:  # noqa: ANN001
    lib, _ = contract_library
    _, _, text, _ = _chunk_with(lib, "diving support boat")
    assert "• Two mobile cranes of twenty tonnes" in text and "• One diving support boat" in text
    # table rows: a row per line, each cell labelled with its column header
    assert "Item: Fender panels | Supplier: Nordvik Hydraulics | Code: FX-2210" in text.splitlines()
    assert "Item: Mooring chains | Supplier: Baltic Anchor Works | Code: MC-7781" in text.splitlines()


@pytest.mark.parametrize("query", ["Baltic Anchor Works", "MC-7781", "who supplies the fender panels"])
def test_docx_table_rows_are_searchable(contract_library, query: str) -> None:  # noqa: ANN001
    lib, path = contract_library
    top = lib.search(query, top_k=3)[0]
    assert top.path == str(path) and top.page is None
    assert top.location.startswith("Scope › Equipment ¶")
    assert "Supplier: Baltic Anchor Works | Code: MC-7781" in top.text


def test_docx_hit_location_without_passage_merging(contract_library) -> None:  # noqa: ANN001
    lib, path = contract_library
    params = SearchParams(merge_adjacent=False)
    top = lib.search("bollard inspection cracks corrosion", top_k=3, params=params)[0]
    assert (top.path, top.page, top.location) == (str(path), None, "Scope › Terms ¶2")
    top = lib.search("hourly rate for emergency call-outs", top_k=3, params=params)[0]
    assert top.location == "Payment ¶2"


def test_docx_hit_location_names_the_matching_paragraph(contract_library) -> None:  # noqa: ANN001
    lib, path = contract_library
    top = lib.search("bollard inspection cracks corrosion", top_k=3)[0]
    assert (top.path, top.location) == (str(path), "Scope › Terms ¶2")
    assert "berth" not in top.text  # ¶1 ranked far below; it must not be glued onto the answer


def test_docx_title_style_starts_the_heading_path(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    path = docgen.write_docx(tmp_path / "docs" / "titled.docx", docgen.HARBOUR_SECTIONS[:3], title="Harbour Contract")
    with Library(tmp_path / "lib", DOCX_SETTINGS, embedder=embedder) as lib:
        run_index(lib, [path])
        location, heading, _, _ = _chunk_with(lib, "A bollard inspection means")
        assert (location, heading) == ("Harbour Contract › Scope › Terms ¶2", "Harbour Contract › Scope › Terms")


# ---- second stage: neighbour and document evidence -------------------------------------------------
def test_second_stage_prefers_a_passage_whose_page_and_document_match_too() -> None:
    from docent.core.retrieval.search import DOC_TOP, Searcher

    # "lone" (doc 1) and "busy" (doc 2) tie on their own; busy's neighbour on its page matched too,
    # and its document has another match; "across" has a matching neighbour on another page only;
    # "weak" sits next to "strong" but matched under NEAR_SHARE as well, so it gains nothing from it
    places = {"lone": (1, 0, 1), "busy": (2, 5, 3), "next": (2, 6, 3), "other": (2, 40, 9),
              "across": (3, 1, 1), "over": (3, 2, 2), "strong": (4, 0, None), "weak": (4, 1, None)}
    scores = {"lone": 0.8, "busy": 0.8, "next": 0.5, "other": 0.3, "across": 0.8, "over": 0.6,
              "strong": 0.9, "weak": 0.1}
    out = Searcher._context_scores(scores, places, neighbour=0.2, doc=0.2)
    assert out["lone"] == pytest.approx(0.8)  # nothing near it matched
    assert out["busy"] == pytest.approx(0.8 + 0.2 * 0.5 + 0.2 * (0.5 + 0.3) / DOC_TOP)
    assert out["across"] == pytest.approx(0.8 + 0.2 * 0.6 / DOC_TOP)  # a neighbour on another page: document only
    assert out["next"] == pytest.approx(0.5 + 0.2 * 0.8 + 0.2 * (0.8 + 0.3) / DOC_TOP)  # lifted by busy
    assert out["weak"] == pytest.approx(0.1 + 0.2 * 0.9 / DOC_TOP)  # its document's evidence only
    assert out["strong"] == pytest.approx(0.9 + 0.2 * 0.1 + 0.2 * 0.1 / DOC_TOP)
    assert sorted(out, key=out.get, reverse=True)[:2] == ["busy", "strong"]
    assert Searcher._context_scores(scores, places, 0.0, 0.0) == scores



def test_a_passage_only_the_keyword_search_found_gets_its_similarity_too(tmp_path, embedder) -> None:  # noqa: ANN001
    """The answerability gate reads the hits' best similarity: a passage found by its words alone
    (a rare name, on a page about something else, not among the vector search's candidates)
    carries its cosine to the question all the same, the one the vector search gives it."""
    pages = docgen.ATLAS_PAGES + [
        "Glass blowers in Murano shape molten glass on long iron pipes, and masters teach apprentices for years "
        "before they may work alone. The workshop sold a blue vase to the Quorvex family in spring. Each piece is "
        "annealed overnight so that it cools slowly and does not crack."] + [
        f"Seismograph station {n} on the {v} volcano logged {k} tremors of the ground last month."
        for n, v, k in zip("ABCDEFGHIJKL", ["Etna", "Hekla", "Fuji", "Sakurajima", "Merapi", "Pinatubo", "Rainier",
                                            "Osorno", "Villarrica", "Kilauea", "Ruapehu", "Stromboli"], range(11, 23))]
    docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", pages)
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        run_index(lib, [tmp_path / "docs"])
        query = "Quorvex earthquakes"
        every = {h.chunk_id: h.similarity for h in lib.search(
            query, top_k=len(pages), params=SearchParams(mode="vector", merge_adjacent=False))}
        hits = lib.search(query, top_k=2, params=SearchParams(candidates=1, merge_adjacent=False))
        alone = [h for h in hits if h.vector_rank is None and h.keyword_rank is not None]
        assert alone and "Quorvex" in alone[0].text, [(h.page, h.vector_rank, h.keyword_rank) for h in hits]
        for h in hits:
            assert h.similarity is not None and h.similarity == pytest.approx(every[h.chunk_id], abs=1e-3), h.page

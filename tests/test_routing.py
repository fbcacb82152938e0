"""Which documents a question names (retrieval/routing.py), and the search preferring them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import docgen
from docent.core.answer.wholedoc_plan import named_documents as wholedoc_named
from docent.core.library import Library
from docent.core.retrieval.routing import Directory, named_documents, proper_names
from docent.core.retrieval.search import SearchParams

NAMES = {1: "/x/covidqa_doc_2554.pdf", 2: "/x/covidqa_doc_2553.pdf", 3: "/x/BLOCK_2020_10K.pdf",
         4: "/x/BLOCK_2016_10K.pdf", 5: "/x/MGMRESORTS_2022Q4_EARNINGS.pdf", 6: "/x/harbour_contract.docx",
         7: "/x/Prime_number.pdf", 8: "/x/sq-20201231.pdf"}


def test_a_file_name_written_whole_names_that_file_only() -> None:
    assert named_documents("Summarize covidqa_doc_2554.pdf", NAMES) == [1]
    assert named_documents("Summarize covidqa doc 2554", NAMES) == [1]
    assert wholedoc_named("Summarize covidqa_doc_2554.pdf", NAMES) == [1]  # the one routine for both


def test_company_and_year_name_the_filing_and_common_words_name_nothing() -> None:
    assert named_documents("How much did Block generate in FY2020 from operating activities?", NAMES) == [3]
    assert named_documents("What was MGM's interest coverage ratio in FY2022?", NAMES)[:1] == [5]
    assert named_documents("What does the harbour contract say about notice?", NAMES) == [6]
    # a common word that happens to be in a title is no name: "numbers" ≠ Prime_number.pdf
    assert named_documents("In what districts are the registration numbers for cars of the same type?", NAMES) == []
    assert proper_names("How much did Block generate in FY2020?") == {"block", "fy"}


def test_identity_lines_name_a_file_whose_name_says_nothing() -> None:
    identities = {8: "sq 20201231 · Square · fiscal year ended December 31, 2020", 3: "BLOCK 2020 10K"}
    names = {3: NAMES[3], 8: NAMES[8], 4: NAMES[4], 1: NAMES[1], 2: NAMES[2]}
    assert named_documents("What was Square's revenue in the year ended December 31, 2020?", Directory(names, identities)) == [8]
    assert named_documents("What was Square's revenue?", names) == []  # without identities: by name only


def test_search_finds_the_named_filing_among_look_alikes(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    text = "Net cash provided by operating activities was {} million dollars for the year."
    docgen.write_pdf(docs / "ALDER_2020_10K.pdf", [text.format(410)])
    docgen.write_pdf(docs / "BIRCH_2020_10K.pdf", [text.format(977)])
    docgen.write_pdf(docs / "CEDAR_2020_10K.pdf", [text.format(35)])
    with Library(tmp_path / "data") as lib:
        list(lib.index([docs]))
        for name in ("Alder", "Birch", "Cedar"):
            hits = lib.search(f"How much net cash did {name} provide by operating activities in FY2020?", 3)
            assert Path(hits[0].path).name == f"{name.upper()}_2020_10K.pdf", [h.path for h in hits]
            # the preference is the routing's: without it the named filing leads by less (or not at all)
            off = lib.search(f"How much net cash did {name} provide by operating activities in FY2020?", 3,
                             params=replace(SearchParams(), route_bonus=0.0))
            lead_on = hits[0].score - max(h.score for h in hits[1:])
            lead_off = max((h.score for h in off if Path(h.path).name.startswith(name.upper())), default=0.0) \
                - max((h.score for h in off if not Path(h.path).name.startswith(name.upper())), default=0.0)
            assert lead_on > lead_off + 0.1, (name, lead_on, lead_off)

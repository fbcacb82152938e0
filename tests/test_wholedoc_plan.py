"""What a whole-document task reads (core/answer/wholedoc_plan.py): broad questions about a document
are summaries, and a summary reads the body, not the title block, author list or references."""

from __future__ import annotations

import pytest

from docent.core.answer.wholedoc_plan import detect, is_boilerplate, select
from docent.core.types import Hit


@pytest.mark.parametrize(("question", "kind"), [
    ("What is the main finding of this study?", "summarize"),
    ("What is this contract about?", "summarize"),
    ("What did the paper find?", "summarize"),
    ("What are the key conclusions?", "summarize"),
    ("Summarize Hoffmann_2021.pdf", "summarize"),
    ("Who gave their name to Normandy?", None),
    ("What was the main cause of the war?", None),  # "main" alone is an ordinary question
    ("What dose of remdesivir was given?", None),
])
def test_broad_questions_about_a_document_are_summaries(question: str, kind: str | None) -> None:
    assert detect(question) == kind


AUTHORS = ("John A. Smith, Maria Lopez, Wei Zhang, Karl Berg\nDepartment of Biology, University of Oslo, "
           "Norway\nCorresponding author: js@uio.no")
REFERENCES = ("References\n1. Smith J, Lee K. A study of bats. Nature 2019;12:33.\n"
              "2. Doe A. More bats. Science (2020) 4:1.")
NUMBERED_REFS = "[1] A. Smith and B. Jones, Bats in caves, 2018.\n[2] C. Wu, Fruit bats, Nature, 2020.\n[3] D. Kim. Echoes. 2017."
BODY = ("We found that Egyptian fruit bats navigate by vision over long distances, and that their "
        "hippocampal cells encode the direction of the goal.")
MENTIONS = ("The university reported that the department of physics had grown, as described on "
            "https://x.org and in the annual report released this year by the committee.")


def test_title_blocks_author_lists_and_references_are_boilerplate() -> None:
    assert is_boilerplate(AUTHORS) and is_boilerplate(REFERENCES) and is_boilerplate(NUMBERED_REFS)
    assert not is_boilerplate(BODY) and not is_boilerplate(MENTIONS) and not is_boilerplate("Short line.")


def _hit(i: int, text: str) -> Hit:
    return Hit(f"c{i}", 1, "/docs/paper.pdf", i + 1, f"p. {i + 1}", text, 1.0, ordinal=i)


def test_a_summary_skips_the_boilerplate_chunks() -> None:
    hits = [_hit(0, AUTHORS), _hit(1, BODY), _hit(2, MENTIONS), _hit(3, REFERENCES)]
    assert select(hits, [10] * 4, 1000, "Summarize the paper", "summarize") == [1, 2]
    # when the cap is short, the body's chunks are spread over it
    assert select(hits, [10] * 4, 10, "Summarize the paper", "summarize") == [1]
    # a list reads what matches, boilerplate or not; a document of nothing but boilerplate is read whole
    assert select(hits, [10] * 4, 1000, "List every bat", "list") == [0, 1, 2, 3]
    assert select([_hit(0, AUTHORS)], [10], 1000, "Summarize it", "summarize") == [0]

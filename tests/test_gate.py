"""The gate after the model: what counts as the model writing nothing (then the passages' best
sentence is the answer, never a bare marker and never "not found")."""

from __future__ import annotations

import pytest

from docent.core.answer.gate import says_nothing


@pytest.mark.parametrize("answer", ["", "  \n", "[2]", " [1][3]. ", "[1, 2]", "[2]\n[4]"])
def test_markers_alone_say_nothing(answer: str) -> None:
    assert says_nothing(answer)


@pytest.mark.parametrize("answer", ["Three [1].", "25 [1]", "Denver Broncos [2]", "[2] 1.4%", "Oui."])
def test_a_word_or_number_is_an_answer(answer: str) -> None:
    assert not says_nothing(answer)


def test_a_marker_alone_after_a_sentence_cites_nothing() -> None:
    """Qwen2.5 often ends "… 308 points [1]. [2]": the lone [2] adds a citation no words stand on."""
    from docent.core.answer.citations import attribute
    from docent.core.types import Hit

    hits = [Hit("a", 1, "/d/a.pdf", 1, "p1", "The Panthers defense surrendered 308 points in the season.", 1.0),
            Hit("b", 1, "/d/b.pdf", 2, "p2", "Denver beat Pittsburgh in the AFC Championship Game 20 to 18.", 0.9)]
    for answer in ("The Panthers defense surrendered 308 points [1]. [2]",
                   "The Panthers defense surrendered 308 points [1].\n[2]"):
        assert attribute(answer, hits) == "The Panthers defense surrendered 308 points [1]."
    assert attribute("[2]", hits) == "[2]"  # alone, it is the model writing nothing (says_nothing)

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

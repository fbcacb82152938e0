"""core/text.py, the plain-text helpers every room shares: stemming and content words, sentence
spans, the numbers a text states, and [n] citation markers. These pin down how they behave today
so that a change to them is a deliberate one."""

from __future__ import annotations

import pytest

from docent.core.text import CITE, STOPWORDS, numbers, parse_citations, sentences, stem, stems


@pytest.mark.parametrize(("word", "expected"), [
    ("signs", "sign"), ("sign", "sign"),
    ("terminated", "termin"), ("termination", "termin"),  # the same stem, cut to six letters
    ("notifications", "notifi"), ("running", "runn"), ("cities", "cit"), ("applied", "appl"),
    ("happily", "happi"), ("supposedly", "suppos"),
    ("bus", "bus"), ("gas", "gas"), ("is", "is"),  # a suffix is cut only when three letters remain
])
def test_stem(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_stems_are_the_content_words() -> None:
    # lower-cased; stopwords, one-letter words and one-digit citation markers left out; numbers kept
    assert stems("The contracts were Terminated by the tenants, a b 12 [3]") == {"contra", "termin", "tenant", "12"}
    assert stems("") == set()
    assert stems("What is it, and who did it?") == set()
    assert {"the", "what", "called", "also"} <= STOPWORDS


def test_sentences() -> None:
    text = 'He left. "Then she came." (Yes!) no split here. Mr. Smith 3 pm… Next\n\nLine two'
    assert [text[a:b] for a, b in sentences(text)] == [
        "He left.", '"Then she came."', "(Yes!) no split here.", "Mr. Smith 3 pm…", "Next", "Line two",
    ]
    # a break needs a capital or a digit after it
    assert len(sentences("It rose 4% in may. then it fell.")) == 1
    assert len(sentences("It rose 4% in May. 2024 was worse.")) == 2
    assert sentences("") == [] and sentences("  \n \n ") == []
    assert sentences("one") == [(0, 3)]
    # spans index the text itself, blank lines left out
    text = "First one.\n\n\nSecond one."
    assert sentences(text) == [(0, 10), (13, 24)]


@pytest.mark.parametrize(("text", "expected"), [
    # initials, titles, "et al.", Latin abbreviations, dotted abbreviations: no sentence end
    ("William E. Simon was Secretary. Mr. Costa met Dr. Lee.",
     ["William E. Simon was Secretary.", "Mr. Costa met Dr. Lee."]),
    ("Smith et al. (2020) found it. Jones et al. Found more.", ["Smith et al. (2020) found it.", "Jones et al. Found more."]),
    ("Some drugs, e.g. Remdesivir, i.e. The one. Next.", ["Some drugs, e.g. Remdesivir, i.e. The one.", "Next."]),
    ("The U.S. Army won. Prof. X. Y. Zhang agreed.", ["The U.S. Army won.", "Prof. X. Y. Zhang agreed."]),
    # "Fig.", "No.", "Eq." are no end before a number, and are one before a word
    ("See Fig. 3 and No. 5 in Eq. 2. Answer: No. The rest.", ["See Fig. 3 and No. 5 in Eq. 2.", "Answer: No.", "The rest."]),
    # decimals and numbers that end a sentence
    ("It rose 3.5 percent. The total was 12. Then it fell.", ["It rose 3.5 percent.", "The total was 12.", "Then it fell."]),
    # numbered lists: the number opens its item
    ("Steps: 1. Open the file. 2. Close it.", ["Steps: 1. Open the file.", "2. Close it."]),
    ("1. First item.\n2. Second item.", ["1. First item.", "2. Second item."]),
    ("(1) One thing. (2) Another.", ["(1) One thing.", "(2) Another."]),
    # a citation marker before the period stays with its sentence
    ("William E. Simon [1]. He served.", ["William E. Simon [1].", "He served."]),
])
def test_sentences_abbreviations(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in sentences(text)] == expected


def test_numbers() -> None:
    assert numbers("Cost 1,200 dollars, 91% of 3.50 [2] and 12, in v1 2.0. and .5 x1") == {
        "1200", "91", "3.50", "12", "2.0",
    }
    assert numbers("See [1] and [2, 3].") == set()  # citation markers are not numbers the text states
    assert numbers("no numbers here") == set()
    assert numbers("27 days, then 27 more") == {"27"}


def test_parse_citations() -> None:
    # in order of first use, each once, only 1..count
    assert parse_citations("a [2] b [1, 3; 2] [0] [7] [12] [100]", 5) == [2, 1, 3]
    assert parse_citations("a [12] b", 12) == [12]
    assert parse_citations("no citations", 3) == []
    assert parse_citations("[1]", 0) == []


def test_cite_pattern() -> None:
    # one or two digits each, separated by commas or semicolons; no spaces inside the brackets' ends
    assert CITE.findall("[1] [2,3] [1;4] [5 , 6] [123] [ 1] [1 ] [a]") == ["1", "2,3", "1;4", "5 , 6"]
    assert CITE.sub("", "Paris is the capital [1].") == "Paris is the capital ."

"""The answerability gate, on both sides of the model: before it, whether retrieval found anything
the question is about (`is_relevant`), and whether the question names someone or something no
document mentions at all (`absent_names`: "Apple's FY2022 revenue" asked of other companies'
filings); when either fails the answer is `NOT_FOUND` and the model is never loaded; after it, whether what the model wrote is a refusal (`is_refusal`) or nothing at all (`says_nothing`)."""

from __future__ import annotations

import re
from typing import Protocol, Sequence

from docent.core.answer.params import AskParams
from docent.core.text import CITE, STOPWORDS, sentences, stems
from docent.core.types import Hit

NOT_FOUND = "The documents do not contain the answer."
_REFUSALS = (
    "do not contain the answer", "don't contain the answer", "does not contain the answer",
    "not contain the answer", "no information about", "cannot answer", "can't answer",
    "not mentioned in the sources", "sources do not", "documents do not",
)


def relevance(question: str, hits: Sequence[Hit]) -> tuple[float, float]:
    """(best cosine similarity, share of the question's content words found in the top passages)."""
    if not hits:
        return 0.0, 0.0
    best = max((h.similarity or 0.0) for h in hits)
    q = stems(question)
    if not q:
        return best, 0.0
    found = set().union(*(stems(h.text) for h in hits[:3]))
    return best, len(q & found) / len(q)


def is_relevant(question: str, hits: Sequence[Hit], params: AskParams) -> bool:
    best, coverage = relevance(question, hits)
    if not hits:
        return False
    if params.min_similarity <= 0.0:
        return coverage >= params.min_coverage
    return best >= params.min_similarity or (coverage >= params.min_coverage and best >= params.coverage_similarity)


class Vocabulary(Protocol):
    def document_frequencies(self, words: Sequence[str]) -> tuple[int, list[int]]: ...


_TOKEN = re.compile(r"\S+")
_EDGE = re.compile(r"^[\"'“‘(\[]+|[\"'”’)\],.;:?!]+$")
_POSSESSIVE = re.compile(r"['’]s?$")
_NAME = re.compile(r"[^\W\d_][^\W\d_-]*(-[^\W\d_]+)*")


def names(question: str) -> list[str]:
    """The words a question writes as proper names: capitalised, then lower case ("Apple",
    "Beyoncé", "Seriola"), not its first word nor a sentence's, at least 3 letters, not a common
    word. Acronyms ("EPS", "FY", "PPNE") are not names here: a filing may spell them out."""
    out: list[str] = []
    tokens = _TOKEN.findall(question)
    for i, raw in enumerate(tokens):
        if i == 0 or tokens[i - 1][-1:] in ".?!:":
            continue
        word = _POSSESSIVE.sub("", _EDGE.sub("", raw))
        if (len(word) >= 3 and word[0].isupper() and word[1].islower() and _NAME.fullmatch(word)
                and word.lower() not in STOPWORDS and word not in out):
            out.append(word)
    return out


def absent_names(question: str, vocabulary: Vocabulary) -> list[str]:
    """The question's names (`names`) that no passage of the library holds, by the keyword index's
    own vocabulary (stemmed as it stems). On SQuAD with half the articles indexed, 28% of
    questions about the other half name something absent, 1% of answerable ones (a misspelling:
    "Maastrich Treaty"): tests/bench/refusal.py."""
    found = names(question)
    if not found:
        return []
    total, counts = vocabulary.document_frequencies(found)
    if total <= 0 or len(counts) != len(found):
        return []  # an empty library, or no keyword index to ask: no opinion
    return [name for name, n in zip(found, counts) if n == 0]


def not_mentioned(absent: Sequence[str]) -> str:
    """The answer when the question names what no document mentions."""
    quoted = ", ".join(f"“{n}”" for n in absent)
    return f"{NOT_FOUND} No document mentions {quoted}."


def drop_trailing_refusal(answer: str) -> str:
    """An answer that gives the answer, then says the documents do not hold it ("Revenue was
    $41.2 million [1]. The documents do not contain the answer."), is the answer: Qwen2.5 often
    ends so. The refusing sentences are dropped when a sentence with words and a citation
    remains before them (the claim check still weighs what remains); otherwise it stands."""
    spans = sentences(answer)
    kept = [answer[a:b] for a, b in spans if not is_refusal(answer[a:b])]
    if len(kept) == len(spans) or not any(CITE.search(k) and not says_nothing(k) for k in kept):
        return answer
    first_refusal = next(a for a, b in spans if is_refusal(answer[a:b]))
    if any(not is_refusal(answer[a:b]) for a, b in spans if a > first_refusal):
        return answer  # a refusal between answers: the model is unsure, leave it to the refusal check
    return answer[:first_refusal].rstrip()


def is_refusal(answer: str) -> bool:
    """An empty answer, or one that says the sources do not hold the answer."""
    low = answer.lower()
    return not low.strip() or any(r in low for r in _REFUSALS)


def says_nothing(answer: str) -> bool:
    """An answer without a word or number: empty, or citation markers alone ("[2]", "[1][3].").
    Small instruct models write a bare marker when they cannot phrase the answer (Qwen2.5-Coder
    0.5B did on ARAGOG); shown as it is, "[2]" would pass for an answer."""
    return not any(ch.isalnum() for ch in CITE.sub(" ", answer))

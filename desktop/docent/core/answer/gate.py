"""The answerability gate, on both sides of the model: before it, whether retrieval found anything
the question is about (`is_relevant`; when not, the answer is `NOT_FOUND` and the model is never
loaded); after it, whether what the model wrote is a refusal (`is_refusal`) or nothing at all (`says_nothing`)."""

from __future__ import annotations

from typing import Sequence

from docent.core.answer.params import AskParams
from docent.core.text import CITE, stems
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


def is_refusal(answer: str) -> bool:
    """An empty answer, or one that says the sources do not hold the answer."""
    low = answer.lower()
    return not low.strip() or any(r in low for r in _REFUSALS)


def says_nothing(answer: str) -> bool:
    """An answer without a word or number: empty, or citation markers alone ("[2]", "[1][3].").
    Small instruct models write a bare marker when they cannot phrase the answer (Qwen2.5-Coder
    0.5B did on ARAGOG); shown as it is, "[2]" would pass for an answer."""
    return not any(ch.isalnum() for ch in CITE.sub(" ", answer))

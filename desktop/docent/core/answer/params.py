"""AskParams: how a plain answer is made (how many passages, how much context, the answerability
gate's thresholds, the retrieval settings)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from docent.core.retrieval.search import SearchParams


@dataclass(frozen=True)
class AskParams:
    """The answerability gate: retrieval counts as relevant when the best passage's cosine
    similarity reaches `min_similarity`, or when every content word of the question is found in
    the top passages (`min_coverage`) and the similarity reaches `coverage_similarity`.
    Calibrated for the default MiniLM embedder on SQuAD (half the articles indexed, questions
    about the other half as unanswerable; tests/bench/refusal.py): with the names rule
    (`names_gate`) and the passages rule (`passages_gate`), 88% of unanswerable questions declined,
    8% of answerable ones wrongly declined (2026-12-02; no threshold reached 0.9 at 0.05, with or
    without the rules). Other embedders get `lenient()`."""

    sources: int = 5
    max_answer_tokens: int = 256
    # "sentences": give the model only the sentences of the retrieved passages that bear on the
    # question (with their neighbours); "chunks": whole passages.
    context: str = "sentences"
    focus_sentences: int = 6
    min_similarity: float = 0.425
    coverage_similarity: float = 0.30
    min_coverage: float = 1.0
    # Decline a question that names (gate.names) someone or something no passage holds.
    names_gate: bool = True
    # Decline a question whose names none of the passages' documents holds, or whose years none of
    # the passages states (gate.unmatched).
    passages_gate: bool = True
    # Answer a question for one figure of one year from the table row that gives it, without the
    # model (answer/figures.py).
    table_figures: bool = True
    search: SearchParams = SearchParams()

    def lenient(self) -> AskParams:
        return replace(self, min_similarity=0.0, coverage_similarity=0.0, min_coverage=0.34)

"""How the keyword and vector candidate lists become one ranking: reciprocal rank fusion, a convex
combination of min-max normalised scores, and the adaptive weight of the vector side that follows
the query and the library (chosen on every open set at once: tests/bench/retrieval.py --set all)."""

from __future__ import annotations

from typing import Sequence

Ranked = Sequence[tuple[str, float]]

# The vector side's share for a question of at most SHORT_WORDS content words (SQuAD-like), rising
# by PER_WORD for each further word up to LONG_SHARE: a long, instruction-laden question
# ("Using the cash flow statement, answer ... how much did Block generate in FY2020?") matches many
# passages by its common words, while its meaning stays one thing the embedder places well.
SHORT_WORDS = 8
PER_WORD = 0.03
LONG_SHARE = 0.6
# Where the two lists agree (their top AGREE_TOP share this many candidates), both are right and
# the weight matters little; where they disagree, the side whose best score stands out of its own
# list more (a peaked distribution) is the surer one, and gets up to PEAK_SHIFT more weight.
AGREE_TOP = 10
PEAK_SHIFT = 0.15


def rrf(vector: Ranked, keyword: Ranked, vector_weight: float, keyword_weight: float, k: int) -> dict[str, float]:
    scores: dict[str, float] = {}
    for weight, ranked in ((vector_weight if keyword else 1.0, vector), (keyword_weight, keyword)):
        for rank, (cid, _) in enumerate(ranked, start=1):
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
    return scores


def convex(vector: Ranked, keyword: Ranked, alpha: float) -> dict[str, float]:
    """alpha × min-max(cosine) + (1 − alpha) × min-max(keyword score, higher better); a candidate
    missing from one list gets 0 from it."""
    scores: dict[str, float] = {}
    for weight, ranked in ((alpha, vector), (1.0 - alpha, keyword)):
        if not ranked:
            continue
        values = [s for _, s in ranked]
        lo, hi = min(values), max(values)
        span = hi - lo if hi > lo else 1.0
        for cid, s in ranked:
            scores[cid] = scores.get(cid, 0.0) + weight * ((s - lo) / span if hi > lo else 1.0)
    return scores


def peak(ranked: Ranked) -> float:
    """How far the best score stands above the rest of its list, in units of the list's spread
    (0: flat; larger: one candidate stands out)."""
    values = [s for _, s in ranked]
    if len(values) < 3:
        return 0.0
    mean = sum(values) / len(values)
    spread = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return (values[0] - mean) / spread if spread > 0 else 0.0


def adaptive_alpha(base: float, vector: Ranked, keyword: Ranked, n_words: int,
                   per_word: float = PER_WORD, long_share: float = LONG_SHARE, peak_shift: float = PEAK_SHIFT) -> float:
    """The vector side's share for this query: `base` for a short question, more for a long one,
    shifted toward the side whose best candidate stands out where the two lists disagree."""
    alpha = base
    if n_words > SHORT_WORDS:
        alpha = min(max(base, long_share), base + per_word * (n_words - SHORT_WORDS))
    if vector and keyword and peak_shift:
        top_v = {c for c, _ in vector[:AGREE_TOP]}
        top_k = {c for c, _ in keyword[:AGREE_TOP]}
        disagree = 1.0 - len(top_v & top_k) / AGREE_TOP
        pv, pk = peak(vector), peak(keyword)
        if pv + pk > 0:
            alpha += peak_shift * disagree * (pv - pk) / (pv + pk)
    return min(0.9, max(0.1, alpha))

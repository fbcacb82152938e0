"""Verified claims: after an answer, each sentence is checked against the passages it cites.

A sentence is supported when most of its content words (stemmed, stopwords left out) occur in one
of the passages it cites; a sentence that cites nothing is checked against every passage given to
the model. Lexical support is cheap, deterministic and explainable ("these words are not in the
source"); it cannot tell a paraphrase from an invention, so the threshold is lenient (half of the
content words) and a flag means "check this sentence", not "this is false".
"""

from __future__ import annotations

from typing import Sequence

from docent.core.types import Claim, Hit

SUPPORTED_SHARE = 0.5  # share of a sentence's content words found in its best cited source
MIN_WORDS = 2  # fewer content words than this: nothing to check ("Yes.", "Three [1].")


def check_claims(answer: str, hits: Sequence[Hit]) -> list[Claim]:
    from docent.core.qa import _CITE, _stems, parse_citations, sentences

    if not answer.strip():
        return []
    source_stems = [_stems(h.text) for h in hits]
    out: list[Claim] = []
    for a, b in sentences(answer) or [(0, len(answer))]:
        sentence = answer[a:b].strip()
        if not sentence:
            continue
        cited = parse_citations(sentence, len(hits))
        words = _stems(_CITE.sub(" ", sentence))
        pool = [source_stems[n - 1] for n in cited] if cited else source_stems
        support = max((len(words & st) / len(words) for st in pool), default=0.0) if words else 0.0
        supported = None if len(words) < MIN_WORDS else support >= SUPPORTED_SHARE
        out.append(Claim(sentence, cited, support, supported))
    return out


def unsupported(claims: Sequence[Claim]) -> list[Claim]:
    return [c for c in claims if c.supported is False]

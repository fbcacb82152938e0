"""Citations: an answer's [n] markers checked against the sources they name and moved where the
words or numbers of a sentence say they belong (`attribute`), and the markers turned into
Citations that map to a file, a page or heading path, and the chunk text (`citations`)."""

from __future__ import annotations

import re
from typing import Sequence

from docent.core.answer.claims import support, words_of
from docent.core.text import CITE, numbers, parse_citations, sentences, stems
from docent.core.types import Citation, Hit


def attribute(answer: str, hits: Sequence[Hit]) -> str:
    """Check each sentence's [n] against the sources: a citation whose source shares much less of the
    sentence's content words than another source is moved to that source; a sentence that cites
    nothing but is clearly supported gets the supporting source. Small models often cite [1] by habit.
    """
    if not hits:
        return answer
    source_stems = [stems(h.text) for h in hits]
    source_numbers = [numbers(h.text) for h in hits]
    spans = sentences(answer) or [(0, len(answer))]
    out, pos = [], 0
    for a, b in spans:
        sentence = answer[a:b]
        if not any(ch.isalnum() for ch in CITE.sub(" ", sentence)) and len(spans) > 1:
            # "… 308 points [1]. [2]": a marker alone after a sentence (Qwen2.5's habit) cites nothing
            out.append(answer[pos:a].rstrip())
            pos = b
            continue
        words = words_of(sentence)
        scores = [support(words, st) for st in source_stems]
        best = max(range(len(hits)), key=lambda i: scores[i])
        cited = parse_citations(sentence, len(hits))
        fixed = sentence
        nums = numbers(sentence)
        # the sources that state every number of the sentence, best supported first
        stating = sorted((i for i in range(len(hits)) if nums and nums <= source_numbers[i]),
                         key=lambda i: -scores[i])
        if cited:
            keep = [n for n in cited if scores[n - 1] >= 0.6 * scores[best] or scores[n - 1] >= 0.5]
            if not keep and scores[best] > 0:
                keep = [best + 1]
            if stating and not any(n - 1 in stating for n in keep):
                keep = [stating[0] + 1]  # "27 days [1]" where only [2] says 27: the number decides
            if keep != cited:
                fixed = _with_markers(CITE.sub("", sentence), keep)
        elif stating:
            fixed = _with_markers(sentence, [stating[0] + 1])
        elif scores[best] >= 0.3 and len(words) >= 2:
            fixed = _with_markers(sentence, [best + 1])
        out.append(answer[pos:a] + fixed)
        pos = b
    out.append(answer[pos:])
    result = "".join(out)
    if not parse_citations(result, len(hits)):
        n = best_source(answer, hits)
        if n is not None:
            result = f"{result.rstrip()} [{n}]"
    return result


def _with_markers(sentence: str, markers: list[int]) -> str:
    """Put [n] markers at the end of a sentence, before its final punctuation."""
    trail = sentence[len(sentence.rstrip()):]
    base = re.sub(r"\s+([.!?,;:])", r"\1", sentence.rstrip())
    marks = "".join(f" [{n}]" for n in markers)
    if base and base[-1] in ".!?":
        return base[:-1] + marks + base[-1] + trail
    return base + marks + trail


def best_source(answer: str, hits: Sequence[Hit]) -> int | None:
    """The number of the source sharing most of the answer's content words, or None if none shares any."""
    words = stems(answer)
    if not words or not hits:
        return None
    scored = [(support(words, stems(h.text)), -i) for i, h in enumerate(hits)]
    score, neg_i = max(scored)
    return -neg_i + 1 if score > 0 else None


def to_citation(n: int, hit: Hit) -> Citation:
    return Citation(n, hit.path, hit.page, hit.location, hit.text, hit.char_start, hit.char_end)


def citations(answer: str, hits: Sequence[Hit]) -> list[Citation]:
    """The Citations of the sources an answer cites, in order of first use (`hits` numbered from 1)."""
    return [to_citation(n, hits[n - 1]) for n in parse_citations(answer, len(hits))]

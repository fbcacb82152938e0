"""Support, and verified claims: how much of a sentence a passage backs, and after an answer, each
sentence checked against the passages it cites.

`support(words, source)` is the one support score, used here, by citation attribution
(`citations.attribute`) and by the whole-document notes: the share of a sentence's content words
(`words_of`: stemmed, stopwords and citation markers left out) that a passage holds.

A sentence is supported when most of its content words occur in one of the passages it cites; a
sentence that cites nothing is checked against every passage given to the model. A sentence that
states numbers is supported only if one such passage states them all, or, when it cites several,
they do between them (numbers cannot be paraphrased; "10." when the passage says 25 is flagged
however short it is). Lexical support is
cheap, deterministic and explainable ("these words are not in the source"); it cannot tell a
paraphrase from an invention, so the threshold is lenient (half of the content words) and a flag
means "check this sentence", not "this is false".

`withhold` turns the check into what the user sees: a sentence or number no passage supports is
not shown as the answer; it is listed as withheld, with the passage closest to it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import AbstractSet, Sequence

from docent.core.text import CITE, fold, numbers, parse_citations, sentences, stems, writes_folded
from docent.core.types import Citation, Claim, Hit, Withheld

NOT_STATED = "The documents do not state this."

SUPPORTED_SHARE = 0.5  # share of a sentence's content words found in its best cited source
MIN_WORDS = 2  # fewer content words than this: nothing to check ("Yes.", "Three [1].")


def words_of(sentence: str) -> set[str]:
    """The content-word stems of a sentence, its [n] markers left out."""
    return stems(CITE.sub(" ", sentence))


def support(words: AbstractSet[str], source: AbstractSet[str]) -> float:
    """The share of `words` (a sentence's content words) found in `source` (a passage's); 0 for none."""
    return len(words & source) / len(words) if words else 0.0


def check_claims(answer: str, hits: Sequence[Hit], names: Sequence[str] = ()) -> list[Claim]:
    """Each sentence's claim. With the question's `names`, a sentence that writes one of them is
    supported only where a passage it cites holds that name (in its text, heading or file name)."""
    if not answer.strip():
        return []
    source_stems = [stems(h.text) for h in hits]
    source_numbers = [numbers(h.text) for h in hits]
    source_text = [fold(f"{h.text} {h.where}") for h in hits]
    names = [fold(n) for n in names]
    out: list[Claim] = []
    for a, b in sentences(answer) or [(0, len(answer))]:
        sentence = answer[a:b].strip()
        if not sentence:
            continue
        cited = parse_citations(sentence, len(hits))
        words = words_of(sentence)
        pool = [n - 1 for n in cited] if cited else list(range(len(hits)))
        score = max((support(words, source_stems[i]) for i in pool), default=0.0)
        nums = numbers(sentence)
        # a sentence that cites several passages may take its figures from each ("Net earnings …
        # $274 [2]; Revenue … $9,583 [1].", a computed answer's sources)
        stated = not nums or any(nums <= source_numbers[i] for i in pool) or (
            len(cited) > 1 and nums <= set().union(*(source_numbers[i] for i in pool)))
        folded = fold(sentence)
        named = all(any(writes_folded(n, source_text[i]) for i in pool) for n in names if writes_folded(n, folded))
        if len(words) < MIN_WORDS:
            supported = None if not nums else stated
        else:
            supported = score >= SUPPORTED_SHARE and stated and named
        out.append(Claim(sentence, cited, score, supported))
    return out


def states(sentence: str, answer: str, question: str = "") -> bool:
    """Whether a passage's sentence states what an answer says: at least `SUPPORTED_SHARE` of the
    answer's own content words (those the question does not already have) and each of its numbers
    but the question's. For "Who built the lighthouse on Karvik Island?", "The lighthouse on Karvik
    Island was built in 1887 by the engineer Margit Solberg." states "Margit Solberg built it in
    1887 [1]." and not "For twenty-two nautical miles [1]." (words of the passage's next sentence)."""
    own = words_of(answer) - stems(question)
    if own and support(own, stems(sentence)) < SUPPORTED_SHARE:
        return False
    return numbers(CITE.sub(" ", answer)) - numbers(question) <= numbers(sentence)


def unsupported(claims: Sequence[Claim]) -> list[Claim]:
    return [c for c in claims if c.supported is False]


# a sentence opening with one of these is about what the sentence before it named
_PRONOUN = re.compile(r"(?:it|its|this|these|they|their|he|his|she|her|such)\b", re.IGNORECASE)


def refers_back(sentence: str) -> bool:
    """Whether a sentence opens with a pronoun ("It provides …", "He is also the oldest …"): it is
    about what a sentence before it named."""
    return _PRONOUN.match(sentence.lstrip("\"'“‘( ")) is not None


def withhold(answer: str, hits: Sequence[Hit], names: Sequence[str] = ()) -> tuple[str, list[Claim], list[Withheld]]:
    """(the answer without its unsupported sentences, every sentence's claim, the withheld ones with
    the passage closest to each). A sentence that opens with a pronoun right after a withheld one
    is withheld with it: ARAGOG's "SuperGLUE is a tool … on source code [2]. It provides a set of
    pre-processing tools, such as code classification …" left "It provides …" standing, about
    CodeNet, as the answer. An answer left with nothing becomes `NOT_STATED`."""
    claims = check_claims(answer, hits, names)
    # a sentence that goes on about the one before ("It provides …") falls with it
    for i in range(1, len(claims)):
        if claims[i - 1].supported is False and claims[i].supported is not False and refers_back(claims[i].sentence):
            claims[i] = replace(claims[i], supported=False)
    bad = [c for c in claims if c.supported is False]
    if not bad:
        return answer, claims, []
    source_stems = [stems(h.text) for h in hits]
    stated: set[str] = set().union(*(numbers(h.text) for h in hits)) if hits else set()
    withheld = []
    for c in bad:
        words = words_of(c.sentence)
        scores = [support(words, st) for st in source_stems]
        best = max(range(len(hits)), key=lambda i: scores[i], default=None)
        closest = None
        if best is not None and scores[best] > 0:
            h = hits[best]
            closest = Citation(best + 1, h.path, h.page, h.location, h.text, h.char_start, h.char_end)
        withheld.append(Withheld(c.sentence, sorted(numbers(c.sentence) - stated), closest))
    dropped = {c.sentence for c in bad}
    kept = [answer[a:b].strip() for a, b in sentences(answer) or [(0, len(answer))]]
    shown = " ".join(k for k in kept if k and k not in dropped)
    # what is left must still say something: a marker or a word of two letters is no answer
    return (shown if words_of(shown) or numbers(shown) else NOT_STATED), claims, withheld

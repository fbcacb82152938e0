"""Focus sentences: the few sentences of the retrieved passages that bear on the question, which
is what a small model is given to answer from (`AskParams.context == "sentences"`), and the one
best of them (`evidence`), which is the answer when the model writes nothing."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Sequence

from docent.core.answer.gate import copies_heading, lead_in, writes_all
from docent.core.answer.wholedoc_plan import is_boilerplate
from docent.core.text import sentences, stems
from docent.core.types import Hit


Item = tuple[int, int, int, int]  # (hit index, sentence index, start, end)


def _split(hits: Sequence[Hit]) -> tuple[list[Item], list[list[tuple[int, int]]]]:
    items: list[Item] = []
    per_hit: list[list[tuple[int, int]]] = []
    for h_i, hit in enumerate(hits):
        spans = sentences(hit.text)
        per_hit.append(spans)
        items.extend((h_i, s_i, a, b) for s_i, (a, b) in enumerate(spans))
    return items, per_hit


_WORK = re.compile(r"arxiv\s*(?:preprint|:)|\bin\s+proceedings\b|\bproceedings\s+of\s+the\b|\bpp\.\s*\d|"
                   r"\bdoi:|\bvol\.\s*\d|\b(?:19|20)\d\d[a-z]?\.\s*(?:URL|In\b)", re.IGNORECASE)


def cites_a_work(sentence: str) -> bool:
    """A reference-list entry: "… arXiv preprint 1905.00537.", "In Proceedings of …", "pp. 12–19"."""
    return _WORK.search(sentence) is not None


def _quotable(sentence: str) -> bool:
    return not (copies_heading(sentence) or lead_in(sentence) or cites_a_work(sentence))


def evidence(question: str, hits: Sequence[Hit], embedder: object, names: Sequence[str] = ()) -> tuple[int, str] | None:
    """(the number of the passage, from 1, and its sentence) that bears most on the question, by
    the focus score; None when the passages hold no sentence. A title line in capitals is no
    answer (`gate.copies_heading`): on FinanceBench the quote for "Which region had the highest
    EBITDAR?" was "MGM RESORTS INTERNATIONAL REPORTS FOURTH QUARTER AND FULL YEAR 2022 ...", the
    very line the model had copied. Nor is a lead-in ending in a colon (`gate.lead_in`), a
    reference-list entry ("SuperGLUE: A stickier benchmark … arXiv preprint 1905.00537.", quoted
    for an ARAGOG question), nor anything of a title block or reference list (`is_boilerplate`).
    With the question's `names`, the sentences that write them come first."""
    items, _ = _split(hits)
    front_matter = {h for h, hit in enumerate(hits) if is_boilerplate(hit.text)}  # once a passage, not a sentence
    items = [it for it in items if it[0] not in front_matter and _quotable(hits[it[0]].text[it[2]:it[3]])]
    if not items:
        return None
    # with the question's names, a sentence that writes them all (or whose passage's heading or file
    # name does) before any other: SQuAD's "How many people, at most, have died of plague in
    # Baghdad?" was quoted "In 1466, perhaps 40,000 people died of the plague in Paris." (then
    # refused, not bearing on Baghdad) while the passages say "Baghdad has suffered severely …,
    # and sometimes two-thirds of its population has been wiped out."
    if names:
        named = [it for it in items if writes_all(names, hits[it[0]].text[it[2]:it[3]], hits[it[0]].where)]
        items = named or items
    score = _scores(question, hits, items, embedder, keep=1)
    h, _, a, b = items[max(range(len(items)), key=lambda i: float(score[i]))]
    return h + 1, hits[h].text[a:b].strip()


def _scores(question: str, hits: Sequence[Hit], items: list[Item], embedder: object, keep: int) -> Any:  # a numpy array
    import numpy as np

    texts = [hits[h].text[a:b] for h, _, a, b in items]
    q = stems(question)
    lex = np.array([len(q & stems(t)) / max(1, len(q)) for t in texts])
    rank_bonus = np.array([0.05 * (len(hits) - h) / len(hits) for h, _, _, _ in items])
    # Embedding every sentence of every passage cost ~0.25 s before the first token on 2 cores.
    # Only the sentences that can still make the cut are embedded: the best by shared words and
    # passage rank (cosine similarity moves a score by at most ~0.6, so a sentence far behind on
    # words and rank rarely wins); the rest keep their lexical score.
    prior = 0.5 * lex + rank_bonus
    cap = max(keep * 2, 8)
    shortlist = np.argsort(-prior, kind="stable")[:cap]
    sims = np.full(len(items), -1.0)
    vecs = embedder.embed([texts[i] for i in shortlist])  # type: ignore[attr-defined]
    qv = embedder.embed_query(question)  # type: ignore[attr-defined]
    sims[shortlist] = np.asarray(vecs) @ np.asarray(qv)
    return sims + prior


def focus(question: str, hits: Sequence[Hit], embedder: object, keep: int) -> list[Hit]:
    """Keep, in each passage, only the sentences most related to the question (by embedding
    similarity plus shared content words) and their immediate neighbours; passages left with
    nothing are dropped. Small models answer far better from a few precise sentences."""
    import numpy as np

    items, per_hit = _split(hits)
    if len(items) <= keep:
        return list(hits)
    score = np.asarray(_scores(question, hits, items, embedder, keep))
    chosen: dict[int, set[int]] = {}
    for i in np.argsort(-score)[:keep]:
        h, s_i = items[i][0], items[i][1]
        chosen.setdefault(h, set()).update({s_i - 1, s_i, s_i + 1})
    out: list[Hit] = []
    for h_i, hit in enumerate(hits):
        if h_i not in chosen:
            continue
        spans = per_hit[h_i]
        picked = sorted(i for i in chosen[h_i] if 0 <= i < len(spans))
        parts, prev = [], None
        for i in picked:
            a, b = spans[i]
            parts.append(("" if prev is None or prev == i - 1 else "… ") + hit.text[a:b].strip())
            prev = i
        out.append(replace(hit, text=" ".join(parts)))
    return out

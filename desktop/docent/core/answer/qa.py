"""ask(question) → a stream of events: the sources used, answer tokens, then the final answer with
its citations, verified claims and provenance. The plain answer pipeline, step by step (each step
in its own module of `core/answer/`):

1. retrieve: the searcher's top passages for the question (`AskParams.sources`, `.search`);
2. gate (`gate.py`): retrieval that finds nothing relevant, a question that names what no
   document mentions (as written or in a near form, `gate.near_forms`: "India" for "Indian"), or
   one whose names or years the passages found do not hold (`unmatched`),
   ends in a plain "not in your documents" (`NOT_FOUND`) with the reason, without loading the
   model;
   a question for one figure of one year that a table row among the passages gives, under that
   year's column (`figures.py`: "Costco's total assets at the end of FY2021"), is answered by that
   row, also without the model (extractive, kind "table"); a metric the question names (a ratio, a
   margin, a growth rate: `metrics.py`) is computed from the rows of the named company's tables,
   each figure cited (extractive, kind "computed"; its formula and figures on `computation`);
3. focus sentences (`focus.py`): with `context="sentences"`, each passage is cut down to the
   sentences that bear on the question and their neighbours;
4. prompt (`prompt.py`): the sources, numbered and fenced as data, fitted into the context with
   the model's tokenizer; the model is told to cite them as [n];
5. stream (`generate.py`): the model's tokens as they come, with the timings (a base model's
   answer is its first line);
6. citations (`citations.py`): a refusal (`gate.is_refusal`) cites nothing, unless the passages'
   best sentence bears the question out (`gate.bears_out`: then it is the answer, extractive);
   otherwise each sentence's [n] is checked against the sources and moved where its words and
   numbers are, an answer that cites nothing is attributed to the source it overlaps most, and
   every citation maps to a file, a page or heading path, and the passage's whole text;
7. claims (`claims.py`): each sentence's support in the passages it cites; a sentence or number
   no passage supports, or one that writes a name of the question its passages never write, is
   withheld (with a sentence going on about it, "It …"): left out of the answer and listed, with
   its closest passage, on `AnswerDone.withheld` (an answer left with nothing is
   `claims.NOT_STATED`, not answered, unless the passages' best sentence bears on the question,
   `gate.bears_on`: then that sentence is the answer, marked extractive, with the model's withheld
   sentences listed);
   a model that writes nothing (or citation markers alone, `gate.says_nothing`, a copied title
   line, `gate.copies_heading`, or a lone lead-in ending in a colon, `gate.lead_in`) gets the
   passages' best sentence (`focus.evidence`) as the answer if it bears on the question at all
   (`gate.bears_on`: 0.4 of its words, its years, and its names, in the sentence or in its
   passage's heading or file name), else "not in your documents"; a
   quoted sentence is always of the kind asked (`gate.gives_kind`: an amount for "How many …");
   an answer none of whose sentences the passages' best sentence states (`claims.states`: half
   of its own words, each of its numbers), where that sentence bears the question out
   (`gate.bears_out`, at `gate.IN_PLACE_COVERAGE`), ends as a sentence does (`gate.ends_sentence`:
   not a headline) and does not open with a pronoun ("He is also …"), gives way to that
   sentence: the answer is the quote (extractive), the model's words on `AnswerDone.set_aside`;
8. provenance (`provenance.py`): what the answer was made from, on the final AnswerDone.

Whole-document tasks (summaries, comparisons, lists) take the same steps 4-8 in `wholedoc.py`.
"""

from __future__ import annotations

import time
from typing import Callable, Iterator, Sequence

from docent.core.answer import periods
from docent.core.answer.citations import attribute, citations
from docent.core.answer.claims import NOT_STATED, check_claims, refers_back, states, withhold
from docent.core.answer.figures import table_figure
from docent.core.answer.focus import evidence, focus
from docent.core.answer.gate import (
    EVIDENCE_COVERAGE, IN_PLACE_COVERAGE, NOT_FOUND, absent_names, bears_on, bears_out, copies_heading,
    drop_trailing_refusal, ends_sentence, gives_kind, is_refusal, is_relevant, lead_in, names, not_in_passages,
    not_mentioned, says_nothing, unmatched,
)
from docent.core.answer.generate import generate
from docent.core.answer.metrics import computed
from docent.core.answer.params import AskParams
from docent.core.answer.prompt import build_prompt
from docent.core.answer.provenance import Trail
from docent.core.cancel import NEVER, CancelToken
from docent.core.text import sentences
from docent.core.models.llm import ChatModel
from docent.core.retrieval.search import Searcher
from docent.core.types import AnswerDone, AskEvent, Claim, Sources, Token, Withheld

__all__ = ["NOT_FOUND", "AskParams", "ask"]


def ask(
    question: str,
    searcher: Searcher,
    model_loader: Callable[[], ChatModel],
    params: AskParams = AskParams(),
    doc_ids: Sequence[int] | None = None,
    cancel: CancelToken = NEVER,
) -> Iterator[AskEvent]:
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    hits = searcher.search(question, params.sources, doc_ids, params.search)
    timings["retrieval_s"] = time.monotonic() - t0
    trail = Trail(question, params, doc_ids, searcher.embedder, hits, t0)
    absent = absent_names(question, searcher.catalog) if params.names_gate else []
    if absent:  # "Apple's revenue" of a library without Apple: whatever the passages say is another's
        yield Sources(hits)
        yield trail.done(AnswerDone(not_mentioned(absent), False, [], timings=timings), hits)
        return
    # a quarter ("Q2 of FY2024") is computed first: its year is the quarterly filing's own fiscal
    # calendar's ("second quarter of fiscal 2024"), which the balance sheet's dated columns never state
    quarterly = (computed(question, hits, searcher.catalog, doc_ids)
                 if params.table_figures and periods.asked(question) is not None else None)
    missing = unmatched(question, hits, searcher.catalog) if params.passages_gate and quarterly is None else []
    if missing:  # "Nike's FY2019 assets" of its 2018 and 2021 reports: the passages are of other years
        yield Sources(hits)
        yield trail.done(AnswerDone(not_in_passages(missing), False, [], timings=timings), hits)
        return
    relevant = quarterly is not None or is_relevant(question, hits, params)
    figure = table_figure(question, hits, searcher.catalog) if params.table_figures and relevant else None
    if figure is not None:  # "Costco's total assets at the end of FY2021": the balance sheet's row says it
        yield Sources(hits)
        yield Token(figure.answer)
        yield trail.done(AnswerDone(figure.answer, True, citations(figure.answer, hits), timings=timings,
                                    claims=check_claims(figure.answer, hits), extractive=True,
                                    extractive_kind="table"), hits)
        return
    # a metric is computed from the company's own filing, whatever the passages found (the gate's
    # similarity): "Did Pfizer grow its PPNE between FY20 and FY21?" is its balance sheet's two figures
    comp = quarterly or (computed(question, hits, searcher.catalog, doc_ids) if params.table_figures else None)
    if comp is None and not relevant:
        yield Sources(hits)
        yield trail.done(AnswerDone(NOT_FOUND, False, [], timings=timings), hits)
        return
    if comp is not None:  # "Block's FY2016 working capital ratio": the balance sheet's two rows and a division
        found = comp.hits
        yield Sources(found)
        yield Token(comp.answer)
        timings["compute_s"] = time.monotonic() - t0 - timings["retrieval_s"]
        yield trail.done(AnswerDone(comp.answer, True, citations(comp.answer, found), timings=timings,
                                    claims=check_claims(comp.sources, found), extractive=True,
                                    extractive_kind=comp.kind, computation=comp.computation), found)
        return
    t1 = time.monotonic()
    model = model_loader()
    trail.model = model
    timings["model_load_s"] = time.monotonic() - t1
    if cancel.cancelled:
        yield Sources(hits)
        yield trail.done(AnswerDone("", False, [], cancelled=True, timings=timings), hits)
        return
    given = hits
    if params.context == "sentences":
        t_f = time.monotonic()
        given = focus(question, hits, searcher.embedder, params.focus_sentences)
        timings["focus_s"] = time.monotonic() - t_f
    tokens, stop, focused = build_prompt(model, question, given, params.max_answer_tokens)
    # citations show the whole passage; the model saw its focused sentences
    by_id = {h.chunk_id: h for h in hits}
    included = [by_id.get(h.chunk_id, h) for h in focused]
    timings["prompt_tokens"] = float(len(tokens))
    yield Sources(included)
    pieces: list[str] = []
    for piece in generate(model, tokens, params.max_answer_tokens, stop, cancel, timings,
                          first_line=not model.is_chat):
        pieces.append(piece)
        yield Token(piece)
    answer = "".join(pieces).strip()
    if cancel.cancelled:
        yield trail.done(AnswerDone(answer, bool(answer), citations(answer, included), cancelled=True,
                                    timings=timings), included)
        return
    def quoted(must_bear_out: bool, claims: Sequence[Claim] = (), withheld: Sequence[Withheld] = (),
               set_aside: str = "", coverage: float = EVIDENCE_COVERAGE) -> AnswerDone | None:
        """The passages' best sentence as the answer (extractive), if there is one that bears on
        the question (`gate.bears_on`; with `must_bear_out`, that bears it out, `gate.bears_out`);
        the model's claims and withheld sentences kept. With `set_aside` (the model's answer), only
        when that sentence states none of its sentences (`claims.states`). `coverage`: the share of
        the question's words that bearing it out takes (`gate.bears_out`)."""
        if must_bear_out and not any(bears_out(question, h.text[a:b], h.where, coverage)
                                     for h in included for a, b in sentences(h.text)):
            return None  # no sentence bears it out, so the best one cannot: the ~50 ms of choosing it saved
        best = evidence(question, included, searcher.embedder, names(question))
        if best is None:
            return None
        where = included[best[0] - 1].where
        borne = bears_out(question, best[1], where, coverage) if must_bear_out else bears_on(question, best[1], where)
        if not borne or not gives_kind(question, best[1]):
            return None
        if set_aside and (any(states(best[1], set_aside[a:b], question) for a, b in sentences(set_aside))
                          or refers_back(best[1]) or not ends_sentence(best[1])):
            # it says what one of the model's sentences did, it is about someone named before it
            # ("He …"), or it is a headline or a table row, not a statement
            return None
        quote = f"{best[1]} [{best[0]}]"
        return AnswerDone(quote, True, citations(quote, included), timings=timings,
                          claims=[*claims, *check_claims(quote, included)], withheld=list(withheld), extractive=True,
                          extractive_kind="sentence", set_aside=set_aside)

    # nothing, "[2]", a title line, a lead-in to a list it never gives: the passages speak
    if says_nothing(answer) or copies_heading(answer) or (lead_in(answer) and len(sentences(answer)) <= 1):
        answer = ""
        done = quoted(must_bear_out=False)
        if done is not None:
            yield trail.done(done, included)
            return
    answer = drop_trailing_refusal(answer)
    if is_refusal(answer):
        # the model says the passages do not hold it; a sentence of theirs that bears the question
        # out says they do (SQuAD 200, Gemma: 13 answerable questions refused so)
        done = quoted(must_bear_out=True)
        yield trail.done(done or AnswerDone(answer or NOT_FOUND, False, [], timings=timings), included)
        return
    shown, claims, withheld = withhold(attribute(answer, included), included, names(question))
    if shown == NOT_STATED:  # the model failed: a sentence of the passages that bears on the question stands
        done = quoted(must_bear_out=False, claims=claims, withheld=withheld)
        if done is not None:
            yield trail.done(done, included)
            return
    answered = bool(shown) and shown != NOT_STATED
    if answered:
        # an answer that the sentence bearing the question out does not state: that sentence
        # stands in its place. On SQuAD 200 the passages' best sentence holds the gold answer for
        # 140 questions, Gemma's answers for 61; of its wrong answers, 80 had it there. It bears
        # the question out at `gate.IN_PLACE_COVERAGE` of its words: the model answered, so the
        # question is one the passages may answer.
        done = quoted(must_bear_out=True, claims=claims, withheld=withheld, set_aside=shown,
                      coverage=IN_PLACE_COVERAGE)
        if done is not None:
            yield trail.done(done, included)
            return
    yield trail.done(AnswerDone(shown, answered, citations(shown, included) if answered else [],
                                timings=timings, claims=claims, withheld=withheld), included)

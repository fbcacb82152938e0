"""Whole-document tasks: questions that need every part of a document or library ("summarize this
report", "compare the termination clauses of these contracts", "list every deadline"), answered
map-reduce style instead of from the top-k passages.

- `detect(question)` recognises the three kinds from plain English patterns (None otherwise); it
  and the choice of documents, chunks and batches are in `wholedoc_plan.py`, the map and reduce
  prompts and the notes in `wholedoc_notes.py`, re-exported here;
- `run(...)` reads the documents' chunks in order, packs them into batches that fit the model's
  context (counted with its tokenizer, room left for the notes it writes), asks the model per batch
  for the points that bear on the question, each citing the [n] of its chunk (chunks are numbered
  globally, so every citation maps back to a file and page), then makes one final call that combines
  the points into the answer, keeping the citations (grouped by document for a comparison). The
  calls go through the plain answers' pipeline: one prompt renderer (`prompt.py`), one streaming
  loop (`generate.py`), one citation builder (`citations.py`), one support scorer (`claims.py`).

Small models invent: a note is kept only when its cited chunk holds most of its content words
(`NOTE_SUPPORT`), chunks no kept note cites add their own sentences that bear on the question (for
a summary, their opening ones), and a final answer mostly not found in the chunks it cites is
replaced by the notes themselves (`timings["notes_as_answer"]`).

Map calls are capped (`WholeParams.max_map_calls`); a library too large for the cap is read in part:
for "list" and "compare", the chunks sharing the most content words with the question, for
"summarize" chunks spread evenly over each document. The answer's timings say how many chunks were
read and skipped. Progress after each call; the cancel token is checked between and during calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from docent.core.answer.citations import attribute, citations
from docent.core.answer.claims import NOT_STATED, check_claims, withhold, words_of
from docent.core.answer.gate import NOT_FOUND, absent_names, is_refusal, is_relevant, not_in_passages, not_mentioned, unmatched
from docent.core.answer.generate import generate
from docent.core.answer.params import AskParams
from docent.core.answer.prompt import as_data, source_block
from docent.core.answer.provenance import Trail
from docent.core.answer.wholedoc_notes import (
    NOTE_SUPPORT,
    SUMMARY_NOTES,
    condense,
    extract,
    map_prompt,
    notes_answer,
    points,
    reduce_prompt,
    renumber,
)
from docent.core.answer.wholedoc_plan import (
    MAX_CHUNKS,
    Kind,
    asks_to_compare,
    compares_named,
    detect,
    named_documents,
    pack,
    pick_documents,
    select,
)
from docent.core.cancel import NEVER, CancelToken
from docent.core.models.llm import ChatModel
from docent.core.text import parse_citations
from docent.core.types import (
    AnswerDone,
    Hit,
    Sources,
    Token,
    WholeDocCoverage,
    WholeDocProgress,
    Withheld,
)

__all__ = [
    "MAX_CHUNKS",
    "NOTE_SUPPORT",
    "WHOLE_MIN_SIMILARITY",
    "Kind",
    "WholeEvent",
    "WholeParams",
    "ask_whole",
    "asks_to_compare",
    "compares_named",
    "detect",
    "named_documents",
    "pack",
    "pick_documents",
    "run",
    "select",
]

WholeEvent = Sources | Token | AnswerDone | WholeDocProgress | WholeDocCoverage


# ---- the run -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WholeParams:
    max_map_calls: int = 12
    map_tokens: int = 192  # the notes one map call may write
    answer_tokens: int = 256  # the final answer
    batch_tokens: int | None = None  # cap on the chunk text per map call (None: what the context holds)
    max_documents: int = 3  # with no scope: the documents of the top retrieved passages

    @classmethod
    def from_ask(cls, params: AskParams) -> WholeParams:
        return cls(map_tokens=min(192, params.max_answer_tokens), answer_tokens=params.max_answer_tokens)


def run(
    question: str,
    kind: Kind,
    docs: Sequence[str],
    chunks_of: Callable[[], Sequence[Hit]],
    model: ChatModel,
    params: WholeParams = WholeParams(),
    cancel: CancelToken = NEVER,
) -> Iterator[WholeEvent]:
    """Answer a whole-document question over the chunks `chunks_of()` returns (the documents `docs`,
    each one's chunks in order). Yields Sources (every chunk read, numbered as cited), progress
    after each model call, the answer's tokens, the coverage, then AnswerDone."""
    question = " ".join(question.split())
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    hits = list(chunks_of())
    total = len(hits)
    timings["retrieval_s"] = time.monotonic() - t0
    if not hits:
        yield Sources([])
        yield WholeDocCoverage(kind, 0, 0, list(docs))
        yield AnswerDone(NOT_FOUND, False, [], timings=timings)
        return
    margin = 16
    empty_prompt, _ = map_prompt(model, "", question)
    overhead = len(model.tokenize(empty_prompt)) + margin
    budget = model.n_ctx - params.map_tokens - overhead
    if params.batch_tokens:
        budget = min(budget, params.batch_tokens)
    budget = max(64, budget)
    texts = [as_data(model, h.text) for h in hits]
    chat = model.is_chat
    costs = [model.count(source_block(1, h, t, chat, header=False)) + 4 for h, t in zip(hits, texts)]
    groups = [h.doc_id for h in hits] if kind == "compare" else None
    capacity = budget * params.max_map_calls
    chosen = select(hits, costs, capacity, question, kind)
    batches = pack([costs[i] for i in chosen], budget, [groups[i] for i in chosen] if groups else None)
    while len(batches) > params.max_map_calls and capacity > budget:
        capacity = int(capacity * 0.9)
        chosen = select(hits, costs, capacity, question, kind)
        batches = pack([costs[i] for i in chosen], budget, [groups[i] for i in chosen] if groups else None)
    batches = batches[: params.max_map_calls]
    read = [hits[chosen[j]] for b in batches for j in b]
    read_texts = [texts[chosen[j]] for b in batches for j in b]
    yield Sources(read)
    steps = len(batches) + 1
    yield WholeDocProgress(0, steps, "map")

    # ---- map: notes per batch, each citing its chunk's global number
    notes: list[tuple[int, str]] = []  # (document id, "- point [n]")
    t_map = time.monotonic()
    offset = 0
    calls = 0
    for b_i, batch in enumerate(batches):
        if cancel.cancelled:
            break
        part = read[offset: offset + len(batch)]
        part_texts = read_texts[offset: offset + len(batch)]
        blocks = []
        for k, (h, t) in enumerate(zip(part, part_texts), start=1):
            cost = model.count(source_block(k, h, t, chat, header=False)) + 4
            if cost > budget:  # one chunk larger than a batch (a tiny context): its start
                t = model.truncate(t, max(32, budget - 48))
            blocks.append(source_block(k, h, t, chat, header=False))
        prompt, stop = map_prompt(model, "\n\n".join(blocks), question)
        tokens = model.tokenize(prompt)
        room = model.n_ctx - len(tokens) - 4
        out = "".join(generate(model, tokens, max(16, min(params.map_tokens, room)), stop, cancel))
        calls += 1
        if not chat:
            out = "-" + out
        kept = points(out, part)
        # every part: the chunks no note cites add their own sentences that bear on the question
        # (for a summary, their first sentence too); small models overlook much of a batch
        cited = {n for p in kept for n in parse_citations(p, len(part))}
        kept += extract(part, question, kind, only={k for k in range(1, len(part) + 1)} - cited)
        for line in kept:
            notes.append((part[0].doc_id, renumber(line, offset)))
        offset += len(batch)
        yield WholeDocProgress(b_i + 1, steps, "map")
    timings["map_s"] = time.monotonic() - t_map
    timings["map_calls"] = float(calls)
    timings["chunks_read"] = float(offset)
    timings["chunks_total"] = float(total)
    timings["chunks_skipped"] = float(total - offset)
    timings["documents"] = float(len(docs))
    read = read[:offset] if cancel.cancelled else read
    coverage = WholeDocCoverage(kind, offset, total, list(docs))
    if cancel.cancelled:
        partial = "\n".join(n for _, n in notes)
        yield coverage
        yield AnswerDone(partial, bool(partial), citations(partial, read), cancelled=True, timings=timings)
        return
    if not notes:
        yield WholeDocProgress(steps, steps, "reduce")
        yield coverage
        yield AnswerDone(NOT_FOUND, False, [], timings=timings)
        return

    # ---- reduce: one call over every note, grouped by document
    prompt_tokens, stop = reduce_prompt(model, question, kind, notes, read, params.answer_tokens)
    timings["prompt_tokens"] = float(len(prompt_tokens))
    pieces: list[str] = []
    # A chat model's answer streams as it is written; a small base model's is checked against the
    # notes first (it often writes what they do not hold), and then given whole.
    live = model.is_chat
    for piece in generate(model, prompt_tokens, params.answer_tokens, stop, cancel, timings):
        pieces.append(piece)
        if live:
            yield Token(piece)
    yield WholeDocProgress(steps, steps, "reduce")
    yield coverage
    answer = "".join(pieces).strip()
    if cancel.cancelled:
        yield AnswerDone(answer, bool(answer), citations(answer, read), cancelled=True, timings=timings)
        return
    answer = answer.replace("[n]", "").replace("[N]", "")
    answer = attribute(answer, read) if answer else answer
    checked = [c for c in check_claims(answer, read) if c.supported is not None]
    # the answer's sentences must be found in the chunks they cite as strictly as the notes were
    weak = sum(c.support < NOTE_SUPPORT for c in checked)
    from_notes = (is_refusal(answer) or len(words_of(answer)) < 3
                  or weak * 2 >= len(checked) or (not live and weak * 4 > len(checked)))
    if from_notes:
        # the final call said nothing usable, or mostly what the notes do not hold: the notes
        # themselves are the answer
        if kind == "summarize":  # a summary is the few notes that best summarise the rest
            timings["notes_kept"] = float(min(len(notes), SUMMARY_NOTES))
            notes = condense(notes)
        answer = notes_answer(notes, read, kind)
        timings["notes_as_answer"] = 1.0
    withheld: list[Withheld] = []
    if not from_notes:
        # as in an answer to a question, what no chunk read supports is not shown (ARAGOG: "The model
        # with the highest accuracy on this test is GPT-3 (7.9%) [2]", a figure the paper never gives)
        answer, _, withheld = withhold(attribute(answer, read), read)
        if answer == NOT_STATED:
            answer = notes_answer(condense(notes) if kind == "summarize" else notes, read, kind)
            timings["notes_as_answer"] = 1.0
    if not live:
        yield Token(answer)
    yield AnswerDone(answer, True, citations(answer, read), timings=timings, claims=check_claims(answer, read),
                     withheld=withheld)


WHOLE_MIN_SIMILARITY = 0.2  # best passage's cosine similarity, default embedder
# A summary asked of a library this small is about its documents ("What is the main finding of this
# study?" on a one-paper library): no passage has to match its words.
SMALL_LIBRARY = 3


def ask_whole(
    question: str,
    kind: Kind,
    catalog: object,
    searcher: object,
    model_loader: Callable[[], ChatModel],
    params: AskParams,
    doc_ids: Sequence[int] | None = None,
    cancel: CancelToken = NEVER,
    whole: WholeParams | None = None,
) -> Iterator[WholeEvent]:
    """The whole-document answer over the documents in scope (`doc_ids`), or with no scope those
    the question names or the top retrieved passages come from; with provenance like `qa.ask`."""
    whole = whole or WholeParams.from_ask(params)
    t0 = time.monotonic()
    hits: list[Hit] = []
    if doc_ids is None:
        hits = searcher.search(question, max(params.sources, 10), None, params.search)  # type: ignore[attr-defined]
        names = {d.id: Path(d.path).name for d in catalog.documents() if d.status == "indexed"}  # type: ignore[attr-defined]
        chosen = pick_documents(question, hits, names, kind, whole.max_documents)
        named = bool(named_documents(question, names))
        best = max(((h.similarity or 0.0) for h in hits), default=0.0)
        # a whole-document question's words ("list every deadline") rarely match the text the way a
        # factual question's do: a looser gate than qa's, still declining what nothing is about
        relevant = (is_relevant(question, hits, params) or best >= min(WHOLE_MIN_SIMILARITY, params.min_similarity)
                    or (kind == "summarize" and len(names) <= SMALL_LIBRARY))
        # "Summarize Apple's risk factors" of a library without Apple: no document is about it
        absent = absent_names(question, catalog) if params.names_gate and not named else []  # type: ignore[arg-type]
        # "Summarize the 2019 results" of filings whose passages are all of other years
        missing = (unmatched(question, hits, catalog) if params.passages_gate and not named  # type: ignore[arg-type]
                   and not absent else [])
        if not chosen or (not named and not relevant) or absent or missing:
            trail = Trail(question, params, doc_ids, getattr(searcher, "embedder", None), hits, t0)
            yield Sources(hits)
            yield WholeDocCoverage(kind, 0, 0, [])
            answer = not_mentioned(absent) if absent else not_in_passages(missing) if missing else NOT_FOUND
            yield trail.done(AnswerDone(answer, False, [], timings={"retrieval_s": time.monotonic() - t0}), hits)
            return
    else:
        chosen = list(doc_ids)
    records = [catalog.document_by_id(i) for i in chosen]  # type: ignore[attr-defined]
    docs = [r.path for r in records if r is not None]

    def chunks_of() -> list[Hit]:
        out: list[Hit] = []
        for i in chosen:
            for (cid, d_id, path, ordinal, text, page, location, a, b, heading) in catalog.document_chunks(i):  # type: ignore[attr-defined]
                out.append(Hit(cid, d_id, path, page, location, text, 0.0, ordinal, a, b, heading=heading))
        return out

    model = model_loader()
    trail = Trail(question, params, doc_ids, getattr(searcher, "embedder", None), [], t0)
    trail.model = model
    shown: list[Hit] = []
    for ev in run(question, kind, docs, chunks_of, model, whole, cancel):
        if isinstance(ev, Sources):
            shown = list(ev.hits)
            trail.hits = shown
        if isinstance(ev, AnswerDone):
            ev = trail.done(ev, shown)
        yield ev

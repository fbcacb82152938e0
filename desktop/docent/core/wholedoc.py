"""Whole-document tasks: questions that need every part of a document or library ("summarize this
report", "compare the termination clauses of these contracts", "list every deadline"), answered
map-reduce style instead of from the top-k passages.

- `detect(question)` recognises the three kinds from plain English patterns (None otherwise);
- `run(...)` reads the documents' chunks in order, packs them into batches that fit the model's
  context (counted with its tokenizer, room left for the notes it writes), asks the model per batch
  for the points that bear on the question, each citing the [n] of its chunk (chunks are numbered
  globally, so every citation maps back to a file and page), then makes one final call that combines
  the points into the answer, keeping the citations (grouped by document for a comparison).

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

import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from docent.core.cancel import NEVER, CancelToken
from docent.core.claims import check_claims
from docent.core.llm import ChatModel
from docent.core.qa import (
    _CITE,
    NOT_FOUND,
    AskParams,
    _stems,
    as_data,
    attribute,
    is_refusal,
    parse_citations,
    source_block,
    stem,
    to_citation,
)
from docent.core.types import (
    AnswerDone,
    Hit,
    Sources,
    Token,
    WholeDocCoverage,
    WholeDocProgress,
)

Kind = Literal["summarize", "compare", "list"]
WholeEvent = Sources | Token | AnswerDone | WholeDocProgress | WholeDocCoverage

# ---- detection -----------------------------------------------------------------------------------
_PATTERNS: list[tuple[Kind, re.Pattern[str]]] = [
    ("compare", re.compile(
        r"\b(compare|comparing|comparison|contrast|differences?\s+between|differ(?:s|ent)?\s+(?:from|between)|"
        r"how\s+do\s+.+\s+differ|versus|vs\.?)\b", re.IGNORECASE)),
    ("summarize", re.compile(
        r"\b(summari[sz]e|summary|summarising|summarizing|overview|main\s+points|key\s+points|gist|tl;?dr|"
        r"what\s+is\s+(?:this|the)\s+(?:document|report|file|contract|handbook|paper)\s+about)\b", re.IGNORECASE)),
    ("list", re.compile(
        r"\b(?:list\s+(?:all|every|each)|list\s+the\s+\w+s\b|what\s+are\s+all|which\s+are\s+all|"
        r"(?:give|show|find|name|tell)\s+(?:me\s+)?(?:all|every)|enumerate|all\s+(?:the\s+)?(?:deadlines|dates|"
        r"obligations|clauses|requirements|risks|names|amounts|fees|items)|every\s+(?:deadline|date|obligation|"
        r"clause|requirement|mention|time))\b", re.IGNORECASE)),
]


def detect(question: str) -> Kind | None:
    """The kind of whole-document task a question asks for, or None for an ordinary question."""
    q = " ".join(question.split())
    for kind, pattern in _PATTERNS:
        if pattern.search(q):
            return kind
    return None


# ---- batching (pure) -----------------------------------------------------------------------------
def pack(costs: Sequence[int], budget: int, groups: Sequence[object] | None = None) -> list[list[int]]:
    """Indices of items, in order, packed greedily into batches whose costs add up to at most
    `budget`. An item costing more than the budget gets a batch of its own (the caller truncates it).
    With `groups`, a batch never mixes two groups (e.g. documents)."""
    batches: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, cost in enumerate(costs):
        new_group = bool(current) and groups is not None and groups[i] != groups[current[-1]]
        if current and (used + cost > budget or new_group):
            batches.append(current)
            current, used = [], 0
        current.append(i)
        used += cost
    if current:
        batches.append(current)
    return batches


MAX_CHUNKS = 99  # citations are written [1]..[99]


def select(hits: Sequence[Hit], costs: Sequence[int], capacity: int, question: str, kind: Kind,
           max_items: int = MAX_CHUNKS) -> list[int]:
    """Indices (in document order) of the chunks to read when all of them cost more than `capacity`
    (or are more than `max_items`): the ones sharing most content words with the question ("list",
    "compare"), or chunks spread evenly over each document ("summarize")."""
    if sum(costs) <= capacity and len(hits) <= max_items:
        return list(range(len(hits)))
    if kind == "summarize":
        share = min(capacity / max(1, sum(costs)), max_items / len(hits))
        picked: list[int] = []
        by_doc: dict[int, list[int]] = {}
        for i, h in enumerate(hits):
            by_doc.setdefault(h.doc_id, []).append(i)
        per_doc: list[list[int]] = []
        for idx in by_doc.values():
            keep = max(1, int(len(idx) * share))
            step = len(idx) / keep
            per_doc.append([idx[int(k * step)] for k in range(keep)])
        for rank in range(max(len(p) for p in per_doc)):  # round robin: every document gets its share
            picked.extend(p[rank] for p in per_doc if rank < len(p))
        order = picked
    else:
        q = _stems(question) - _TASK_WORDS
        score = [len(q & _stems(h.text)) for h in hits]
        order = sorted((i for i in range(len(hits)) if score[i] > 0), key=lambda i: (-score[i], i))
    chosen: list[int] = []
    used = 0
    for i in order:
        if used + costs[i] <= capacity and len(chosen) < max_items:
            chosen.append(i)
            used += costs[i]
    return sorted(chosen)


_TASK_WORDS = {"list", "every", "compar", "summar", "overvi", "differ", "versus", "point", "main", "docume",
               "contra", "report", "file"}


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


_MAP_SYSTEM = ("You take notes from numbered sources for a task. Write only facts found in the sources, "
               "one short point per line starting with '- ', each ending with the [n] of its source.")
_MAP_USER = "Sources:\n{sources}\n\nTask: {question}\nWrite the points from these sources that help with the task."
_MAP_BASE = ("{sources}\n\nTask: {question}\nFacts from the passages above that help with the task, one per "
             "line, each ending with the [n] of its passage:\n-")
_REDUCE_SYSTEM = ("You write the final answer from numbered notes. Use only the notes, and keep the [n] "
                  "citation of every note you use.")
_REDUCE_TASK: dict[Kind, str] = {
    "summarize": "Write a short summary covering the main points of the notes, keeping their [n].",
    "compare": "Compare the documents on the task, document by document, then say how they differ, keeping the [n].",
    "list": "List every item the task asks for, one per line starting with '- ', each with its [n].",
}
_REDUCE_USER = "Notes:\n{notes}\n\nTask: {question}\n{instruction}"
_REDUCE_BASE = "Notes:\n{notes}\n\nTask: {question}\n{instruction}\nAnswer:"


def _render(model: ChatModel, system: str, user: str, base: str) -> tuple[str, list[str]]:
    if model.is_chat:
        text, stops = model.render_chat(system, user)
        return text, stops + ["</source>", "<source"]
    return base, ["\nTask:", "\nNotes:", "\n\n\n"]


def _block(n: int, hit: Hit, text: str, chat: bool) -> str:
    """A numbered chunk for a map prompt: fenced for chat models; for base models "[n] text" with no
    file header, which small base models otherwise copy out as their notes."""
    if chat:
        return source_block(n, hit, text, True)
    return f"[{n}] {' '.join(text.split())}"


def _generate(model: ChatModel, prompt: list[int], max_tokens: int, stop: list[str],
              cancel: CancelToken) -> Iterator[str]:
    yield from model.stream(prompt, max_tokens, stop, cancel)


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
    map_prompt, _ = _render(model, _MAP_SYSTEM, _MAP_USER.format(sources="", question=question),
                            _MAP_BASE.format(sources="", question=question))
    overhead = len(model.tokenize(map_prompt)) + margin
    budget = model.n_ctx - params.map_tokens - overhead
    if params.batch_tokens:
        budget = min(budget, params.batch_tokens)
    budget = max(64, budget)
    texts = [as_data(model, h.text) for h in hits]
    chat = model.is_chat
    costs = [model.count(_block(1, h, t, chat)) + 4 for h, t in zip(hits, texts)]
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
            cost = model.count(_block(k, h, t, chat)) + 4
            if cost > budget:  # one chunk larger than a batch (a tiny context): its start
                t = model.truncate(t, max(32, budget - 48))
            blocks.append(_block(k, h, t, chat))
        joined = "\n\n".join(blocks)
        prompt, stop = _render(model, _MAP_SYSTEM, _MAP_USER.format(sources=joined, question=question),
                               _MAP_BASE.format(sources=joined, question=question))
        tokens = model.tokenize(prompt)
        room = model.n_ctx - len(tokens) - 4
        out = "".join(_generate(model, tokens, max(16, min(params.map_tokens, room)), stop, cancel))
        calls += 1
        if not chat:
            out = "-" + out
        points = _points(out, part)
        # every part: the chunks no note cites add their own sentences that bear on the question
        # (for a summary, their first sentence too); small models overlook much of a batch
        cited = {n for p in points for n in parse_citations(p, len(part))}
        points += _extract(part, question, kind, only={k for k in range(1, len(part) + 1)} - cited)
        for line in points:
            notes.append((part[0].doc_id, _renumber(line, offset)))
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
        yield AnswerDone(partial, bool(partial), _citations(partial, read), cancelled=True, timings=timings)
        return
    if not notes:
        yield WholeDocProgress(steps, steps, "reduce")
        yield coverage
        yield AnswerDone(NOT_FOUND, False, [], timings=timings)
        return

    # ---- reduce: one call over every note, grouped by document
    prompt_tokens, stop = _reduce_prompt(model, question, kind, notes, read, params.answer_tokens)
    timings["prompt_tokens"] = float(len(prompt_tokens))
    pieces: list[str] = []
    t2 = time.monotonic()
    first: float | None = None
    # A chat model's answer streams as it is written; a small base model's is checked against the
    # notes first (it often writes what they do not hold), and then given whole.
    live = model.is_chat
    for piece in _generate(model, prompt_tokens, params.answer_tokens, stop, cancel):
        if first is None:
            first = time.monotonic()
        pieces.append(piece)
        if live:
            yield Token(piece)
    end = time.monotonic()
    timings["first_token_s"] = (first or end) - t2
    timings["generation_s"] = end - t2
    timings["answer_tokens"] = float(model.count("".join(pieces))) if pieces else 0.0
    yield WholeDocProgress(steps, steps, "reduce")
    yield coverage
    answer = "".join(pieces).strip()
    if cancel.cancelled:
        yield AnswerDone(answer, bool(answer), _citations(answer, read), cancelled=True, timings=timings)
        return
    answer = answer.replace("[n]", "").replace("[N]", "")
    answer = attribute(answer, read) if answer else answer
    checked = [c for c in check_claims(answer, read) if c.supported is not None]
    # the answer's sentences must be found in the chunks they cite as strictly as the notes were
    weak = sum(c.support < NOTE_SUPPORT for c in checked)
    if (is_refusal(answer) or len(_stems(_CITE.sub(" ", answer))) < 3
            or weak * 2 >= len(checked) or (not live and weak * 4 > len(checked))):
        # the final call said nothing usable, or mostly what the notes do not hold: the notes
        # themselves are the answer
        answer = _notes_answer(notes, read, kind)
        timings["notes_as_answer"] = 1.0
    else:
        answer = attribute(answer, read)
    if not live:
        yield Token(answer)
    answer_cites = parse_citations(answer, len(read))
    yield AnswerDone(answer, True, [to_citation(n, read[n - 1]) for n in answer_cites], timings=timings,
                     claims=check_claims(answer, read))


NOTE_SUPPORT = 0.8  # share of a note's content words its cited chunk must hold (stricter than claims.py)


def _notes_answer(notes: Sequence[tuple[int, str]], read: Sequence[Hit], kind: Kind) -> str:
    """The notes as the answer, under each document's name when there are several."""
    names = {h.doc_id: Path(h.path).name for h in read}
    ordered = sorted(notes, key=lambda n: n[0]) if kind == "compare" else list(notes)
    if len({d for d, _ in ordered}) < 2:
        return "\n".join(n for _, n in ordered)
    lines: list[str] = []
    last: int | None = None
    for doc_id, note in ordered:
        if doc_id != last:
            lines.append(("\n" if lines else "") + f"{names.get(doc_id, '')}:")
            last = doc_id
        lines.append(note)
    return "\n".join(lines)


def _points(out: str, part: Sequence[Hit]) -> list[str]:
    """The usable points of one map call's output, each citing a chunk of its batch (local numbers)."""
    lines: list[str] = []
    for raw in out.splitlines():
        line = raw.strip().lstrip("-*•0123456789.) ").strip()
        for h in part:  # a copied source header: "(file.pdf, p. 2)"
            line = line.replace(Path(h.path).name, " ").replace(h.location, " ")
        line = re.sub(r"^[\s(),.;:]+", "", " ".join(line.split()))
        if not line or line.upper().startswith("NONE") or is_refusal(line):
            continue
        if len(_stems(_CITE.sub(" ", line))) < 3:
            continue
        fixed = attribute(line, part)
        if not parse_citations(fixed, len(part)):
            continue  # supported by none of the batch's chunks: not a note from the sources
        words = _stems(_CITE.sub(" ", fixed))
        cited = [_stems(part[n - 1].text) for n in parse_citations(fixed, len(part))]
        if max(len(words & st) for st in cited) < NOTE_SUPPORT * len(words):
            continue  # words the cited chunk does not hold: a small model's invention
        line = "- " + _CITE.sub(lambda m: _keep_valid(m, len(part)), fixed).strip()
        if line not in lines:
            lines.append(line)
    return lines


# What the usual targets of "list every ..." look like in text, when the text does not use the word.
_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
_CUES: list[tuple[set[str], re.Pattern[str]]] = [
    ({stem(w) for w in ("deadline", "due", "date", "time", "limit")}, re.compile(
        rf"\b(?:within|no later than|before|by the|due|deadline|until|expires?)\b.{{0,40}}?"
        rf"\b(?:\d+\s+(?:days?|weeks?|months?|hours?|years?)|{_MONTHS}|\d{{4}})\b", re.IGNORECASE)),
    ({stem(w) for w in ("date", "dates", "when")}, re.compile(rf"\b(?:\d{{1,2}}\s+(?:{_MONTHS})|(?:{_MONTHS})\s+\d{{4}}|\d{{4}}-\d\d-\d\d)\b",
                                  re.IGNORECASE)),
    ({stem(w) for w in ("fee", "cost", "price", "amount", "payment", "money", "charge", "pay")}, re.compile(
        r"(?:[€$£]\s?\d|\b\d[\d,.]*\s?(?:euros?|dollars?|pounds?|crowns?|eur|usd|gbp|percent|%))", re.IGNORECASE)),
]


def _extract(part: Sequence[Hit], question: str, kind: Kind, per_chunk: int = 2,
             only: set[int] | None = None) -> list[str]:
    """Notes taken from the chunks' own sentences, when the model wrote none it could back up: the
    sentences sharing most words with the question (for a summary, also each chunk's first one)."""
    from docent.core.qa import sentences

    q = _stems(question) - _TASK_WORDS
    cues = [cue for words, cue in _CUES if q & words]

    def score(text: str) -> int:
        return len(q & _stems(text)) + sum(1 for cue in cues if cue.search(text))

    out: list[str] = []
    for k, h in enumerate(part, start=1):
        if only is not None and k not in only:
            continue
        spans = [(a, b) for a, b in sentences(h.text) if len(_stems(h.text[a:b])) >= 3]
        if not spans:
            continue
        scored = sorted(range(len(spans)), key=lambda i: (-score(h.text[spans[i][0]:spans[i][1]]), i))
        if kind == "summarize":  # the chunk's opening sentences (not its heading) and its best one
            proper = [i for i, (a, b) in enumerate(spans) if h.text[a:b].rstrip()[-1:] in ".!?"] or [0]
            second = scored[0] if scored[0] != proper[0] or len(proper) < 2 else proper[1]
            picked = sorted({proper[0], second})[:per_chunk]
        else:
            picked = sorted(i for i in scored[:per_chunk] if score(h.text[spans[i][0]:spans[i][1]]))
        for i in picked:
            text = " ".join(h.text[spans[i][0]:spans[i][1]].split()).lstrip("-*• ")
            if len(text) > 300:
                text = text[:300].rsplit(" ", 1)[0] + "…"
            text = _CITE.sub("", text).rstrip(" .;:") + "."
            out.append(f"- {text[:-1]} [{k}].")
    return out


def _keep_valid(m: re.Match[str], count: int) -> str:
    nums = [n for n in parse_citations(m.group(0), count)]
    return "".join(f"[{n}]" for n in nums)


def _renumber(line: str, offset: int) -> str:
    def shift(m: re.Match[str]) -> str:
        nums = [int(p) for p in re.split(r"[,;]", m.group(1))]
        return "".join(f"[{n + offset}]" for n in nums)

    return re.sub(r"\[(\d{1,4}(?:\s*[,;]\s*\d{1,4})*)\]", shift, line)


def _reduce_prompt(model: ChatModel, question: str, kind: Kind, notes: Sequence[tuple[int, str]],
                   read: Sequence[Hit], answer_tokens: int) -> tuple[list[int], list[str]]:
    from pathlib import Path

    names = {h.doc_id: Path(h.path).name for h in read}
    instruction = _REDUCE_TASK[kind]

    def render(kept: Sequence[tuple[int, str]]) -> tuple[str, list[str]]:
        lines: list[str] = []
        last: int | None = None
        for doc_id, note in kept:
            if doc_id != last and (kind == "compare" or len(names) > 1):
                lines.append(f"Document: {as_data(model, names.get(doc_id, ''))}")
                last = doc_id
            lines.append(note)
        text = "\n".join(lines)
        return _render(model, _REDUCE_SYSTEM, _REDUCE_USER.format(notes=text, question=question, instruction=instruction),
                       _REDUCE_BASE.format(notes=text, question=question, instruction=instruction))

    ordered = sorted(notes, key=lambda n: n[0]) if kind == "compare" else list(notes)
    budget = model.n_ctx - answer_tokens - 8
    kept = list(ordered)
    prompt, stop = render(kept)
    tokens = model.tokenize(prompt)
    while len(tokens) > budget and len(kept) > 1:
        # too many notes for one call: keep an even spread of them
        kept = kept[::2] if len(kept) > 8 else kept[:-1]
        prompt, stop = render(kept)
        tokens = model.tokenize(prompt)
    if len(tokens) > budget:
        tokens = tokens[:budget]
    return tokens, stop


def _citations(answer: str, read: Sequence[Hit]) -> list:  # type: ignore[type-arg]
    return [to_citation(n, read[n - 1]) for n in parse_citations(answer, len(read))]


WHOLE_MIN_SIMILARITY = 0.2  # best passage's cosine similarity, default embedder


def named_documents(question: str, names: dict[int, str]) -> list[int]:
    """The documents whose file name the question uses (at least half of the name's words)."""
    q = _stems(question) - _TASK_WORDS
    named = []
    for doc_id, name in names.items():
        stem_words = _stems(re.sub(r"[_\-.]+", " ", name.rsplit(".", 1)[0])) - _TASK_WORDS
        if stem_words and len(q & stem_words) >= max(1, (len(stem_words) + 1) // 2):
            named.append(doc_id)
    return named


def pick_documents(question: str, hits: Sequence[Hit], names: dict[int, str], kind: Kind,
                   max_documents: int) -> list[int]:
    """With no scope: the documents the question names (by file name), else those of the top
    retrieved passages (one for a summary, up to `max_documents` for a list or a comparison)."""
    named = named_documents(question, names)
    if named and (kind != "compare" or len(named) >= 2):
        return named[:max_documents]
    limit = 1 if kind == "summarize" else max_documents
    out: list[int] = list(named)  # a comparison names one document: the others from the search
    for h in hits:
        if h.doc_id not in out:
            out.append(h.doc_id)
        if len(out) >= limit:
            break
    return out


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
    from pathlib import Path

    from docent.core.provenance import Trail
    from docent.core.qa import is_relevant

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
        relevant = is_relevant(question, hits, params) or best >= min(WHOLE_MIN_SIMILARITY, params.min_similarity)
        if not chosen or (not named and not relevant):
            trail = Trail(question, params, doc_ids, getattr(searcher, "embedder", None), hits, t0)
            yield Sources(hits)
            yield WholeDocCoverage(kind, 0, 0, [])
            yield trail.done(AnswerDone(NOT_FOUND, False, [], timings={"retrieval_s": time.monotonic() - t0}), hits)
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

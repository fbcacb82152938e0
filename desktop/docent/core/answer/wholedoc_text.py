"""Whole-document tasks, the pure parts: what `wholedoc.run` does with text, apart from calling
the model.

- `detect(question)`: the kind of whole-document question ("summarize", "compare", "list");
- `pack` and `select`: which chunks to read when not all fit, and their batches per map call;
- the map and reduce prompts (`_render`, `_block`, `_reduce_prompt`);
- the notes: parsing a map call's output (`_points`, a note kept only when its cited chunk holds
  most of its content words, `NOTE_SUPPORT`), notes taken from the chunks' own sentences
  (`_extract`), citation renumbering, and the notes as the answer (`_notes_answer`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from docent.core.models.llm import ChatModel
from docent.core.answer.qa import (
    _CITE,
    _stems,
    as_data,
    attribute,
    is_refusal,
    parse_citations,
    source_block,
    stem,
    to_citation,
)
from docent.core.types import Hit

Kind = Literal["summarize", "compare", "list"]

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


# ---- prompts -------------------------------------------------------------------------------------
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


# ---- notes ---------------------------------------------------------------------------------------
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
    from docent.core.answer.qa import sentences

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

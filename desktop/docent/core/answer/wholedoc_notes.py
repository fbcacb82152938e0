"""Whole-document tasks, the map and reduce calls' text: the prompts (`map_prompt`, `reduce_prompt`,
through the one renderer of `prompt.py`), and the notes: parsing a map call's output (`points`, a
note kept only when its cited chunk holds most of its content words, `NOTE_SUPPORT`), notes taken
from the chunks' own sentences (`extract`), citation renumbering from a batch's numbers to the
global ones (`renumber`), and the notes as the answer (`notes_answer`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from docent.core.answer.citations import attribute
from docent.core.answer.claims import words_of
from docent.core.answer.gate import is_refusal
from docent.core.answer.prompt import as_data, render
from docent.core.answer.wholedoc_plan import TASK_WORDS, Kind
from docent.core.models.llm import ChatModel
from docent.core.text import CITE, parse_citations, sentences, stem, stems
from docent.core.types import Hit

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
_BASE_STOPS = ("\nTask:", "\nNotes:", "\n\n\n")  # where a base model goes on past its notes


def map_prompt(model: ChatModel, sources: str, question: str) -> tuple[str, list[str]]:
    """The prompt of one map call over `sources` (the batch's numbered chunks) → (text, stop strings)."""
    return render(model, _MAP_SYSTEM, _MAP_USER.format(sources=sources, question=question),
                  _MAP_BASE.format(sources=sources, question=question), list(_BASE_STOPS))


# ---- notes ---------------------------------------------------------------------------------------
NOTE_SUPPORT = 0.8  # share of a note's content words its cited chunk must hold (stricter than claims.py)


def notes_answer(notes: Sequence[tuple[int, str]], read: Sequence[Hit], kind: Kind) -> str:
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


# A summary given as notes (the final call's text did not stand on them) keeps this many: the
# notes a reader can take in, not every sentence the map calls kept.
SUMMARY_NOTES = 8
# Notes that are no summary point: a caption, a worked example, code, a row of a table, figures.
_NOT_A_POINT = re.compile(
    r"^- (?:fig(?:ure)?\.?\s*\d|tab(?:le)?\.?\s*\d|q:|a:|#|example\b)|\s\|\s|[={}<>]", re.IGNORECASE)
_SENTENCE_START = re.compile(r"^- [A-Z][a-z]+\b")  # a sentence, not a fragment, quote or list of names
_FIGURE_TOKEN = re.compile(r"^[(\[]?[-+]?[\d.,%]+[)\]]?$")


def condense(notes: Sequence[tuple[int, str]], keep: int = SUMMARY_NOTES) -> list[tuple[int, str]]:
    """The `keep` notes that best summarise the rest, in their order: those whose content words the
    other notes use most (the document's recurring subject), each pick lowering the weight of its
    words so the next one says something else (SumBasic), earlier notes preferred (an abstract
    and an introduction say what a paper or report is about). Captions, worked examples, code,
    table rows, questions and notes that start mid-sentence are left out (fewer than `keep` notes
    may remain)."""
    if len(notes) <= keep:
        return list(notes)

    def content(note: str) -> list[str]:
        return [stem(w) for w in words_of(CITE.sub(" ", note))]

    def is_point(note: str) -> bool:
        tokens = CITE.sub(" ", note).split()
        figures = sum(bool(_FIGURE_TOKEN.match(t)) for t in tokens)
        return (bool(_SENTENCE_START.match(note)) and not _NOT_A_POINT.search(note) and len(tokens) >= 7
                and figures <= 0.2 * len(tokens) and not CITE.sub("", note).rstrip(" .").endswith("?"))

    seen: set[str] = set()
    words: dict[int, list[str]] = {}  # the candidates' content words
    for i, (_, note) in enumerate(notes):  # a sentence kept twice (two map calls, or copied) counts once
        ws = content(note)
        key = " ".join(ws)
        if key and key not in seen and is_point(note):
            seen.add(key)
            words[i] = ws
    candidates = list(words)
    if not candidates:  # nothing reads as a point: the notes as they are, the first `keep`
        return list(notes[:keep])
    counts: dict[str, int] = {}
    for ws in words.values():
        for w in set(ws):
            counts[w] = counts.get(w, 0) + 1
    total = sum(counts.values()) or 1
    weight = {w: c / total for w, c in counts.items()}
    chosen: list[int] = []
    n = len(notes)
    while len(chosen) < keep and len(chosen) < len(candidates):
        def score(i: int) -> float:
            ws = set(words[i])
            return (sum(weight[w] for w in ws) / len(ws) ** 0.5 if ws else 0.0) * (1.4 - 0.8 * i / n)
        best = max((i for i in candidates if i not in chosen), key=score)
        chosen.append(best)
        for w in set(words[best]):
            weight[w] *= weight[w]
    return [notes[i] for i in sorted(chosen)]


def points(out: str, part: Sequence[Hit]) -> list[str]:
    """The usable points of one map call's output, each citing a chunk of its batch (local numbers)."""
    lines: list[str] = []
    for raw in out.splitlines():
        line = raw.strip().lstrip("-*•0123456789.) ").strip()
        for h in part:  # a copied source header: "(file.pdf, p. 2)"
            line = line.replace(Path(h.path).name, " ").replace(h.location, " ")
        line = re.sub(r"^[\s(),.;:]+", "", " ".join(line.split()))
        if not line or line.upper().startswith("NONE") or is_refusal(line):
            continue
        if len(words_of(line)) < 3:
            continue
        fixed = attribute(line, part)
        if not parse_citations(fixed, len(part)):
            continue  # supported by none of the batch's chunks: not a note from the sources
        words = words_of(fixed)
        cited = [stems(part[n - 1].text) for n in parse_citations(fixed, len(part))]
        if max(len(words & st) for st in cited) < NOTE_SUPPORT * len(words):
            continue  # words the cited chunk does not hold: a small model's invention
        line = "- " + CITE.sub(lambda m: _keep_valid(m, len(part)), fixed).strip()
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


def extract(part: Sequence[Hit], question: str, kind: Kind, per_chunk: int = 2,
            only: set[int] | None = None) -> list[str]:
    """Notes taken from the chunks' own sentences, when the model wrote none it could back up: the
    sentences sharing most words with the question (for a summary, also each chunk's first one)."""
    q = stems(question) - TASK_WORDS
    cues = [cue for words, cue in _CUES if q & words]

    def score(text: str) -> int:
        return len(q & stems(text)) + sum(1 for cue in cues if cue.search(text))

    out: list[str] = []
    for k, h in enumerate(part, start=1):
        if only is not None and k not in only:
            continue
        spans = [(a, b) for a, b in sentences(h.text) if len(stems(h.text[a:b])) >= 3]
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
            text = CITE.sub("", text).rstrip(" .;:") + "."
            out.append(f"- {text[:-1]} [{k}].")
    return out


def _keep_valid(m: re.Match[str], count: int) -> str:
    nums = [n for n in parse_citations(m.group(0), count)]
    return "".join(f"[{n}]" for n in nums)


def renumber(line: str, offset: int) -> str:
    """A note's [n] markers shifted by `offset`: from its batch's numbers to the global ones."""
    def shift(m: re.Match[str]) -> str:
        nums = [int(p) for p in re.split(r"[,;]", m.group(1))]
        return "".join(f"[{n + offset}]" for n in nums)

    return re.sub(r"\[(\d{1,4}(?:\s*[,;]\s*\d{1,4})*)\]", shift, line)


def reduce_prompt(model: ChatModel, question: str, kind: Kind, notes: Sequence[tuple[int, str]],
                  read: Sequence[Hit], answer_tokens: int) -> tuple[list[int], list[str]]:
    """The final call's prompt over every note, grouped by document, fitted into the context."""
    names = {h.doc_id: Path(h.path).name for h in read}
    instruction = _REDUCE_TASK[kind]

    def prompt_with(kept: Sequence[tuple[int, str]]) -> tuple[str, list[str]]:
        lines: list[str] = []
        last: int | None = None
        for doc_id, note in kept:
            if doc_id != last and (kind == "compare" or len(names) > 1):
                lines.append(f"Document: {as_data(model, names.get(doc_id, ''))}")
                last = doc_id
            lines.append(note)
        text = "\n".join(lines)
        return render(model, _REDUCE_SYSTEM, _REDUCE_USER.format(notes=text, question=question, instruction=instruction),
                      _REDUCE_BASE.format(notes=text, question=question, instruction=instruction), list(_BASE_STOPS))

    ordered = sorted(notes, key=lambda n: n[0]) if kind == "compare" else list(notes)
    budget = model.n_ctx - answer_tokens - 8
    kept = list(ordered)
    prompt, stop = prompt_with(kept)
    tokens = model.tokenize(prompt)
    while len(tokens) > budget and len(kept) > 1:
        # too many notes for one call: keep an even spread of them
        kept = kept[::2] if len(kept) > 8 else kept[:-1]
        prompt, stop = prompt_with(kept)
        tokens = model.tokenize(prompt)
    if len(tokens) > budget:
        tokens = tokens[:budget]
    return tokens, stop


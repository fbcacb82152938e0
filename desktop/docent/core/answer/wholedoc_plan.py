"""Whole-document tasks, what to read: the kind of task a question asks for (`detect`), the
documents it is about when no scope is given (`named_documents`, `pick_documents`), the chunks to
read when not all fit the cap on map calls (`select`), and their batches per map call (`pack`).
Pure functions over text and numbers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from docent.core.retrieval import routing
from docent.core.text import stems
from docent.core.types import Hit

Kind = Literal["summarize", "compare", "list"]

# ---- detection -----------------------------------------------------------------------------------
_PATTERNS: list[tuple[Kind, re.Pattern[str]]] = [
    ("compare", re.compile(
        r"\b(compare|comparing|comparison|contrast|differences?\s+between|differ(?:s|ent)?\s+(?:from|between)|"
        r"how\s+do\s+.+\s+differ|versus|vs\.?)\b", re.IGNORECASE)),
    ("summarize", re.compile(
        r"\b(summari[sz]e|summary|summarising|summarizing|overview|main\s+points|key\s+points|gist|tl;?dr|"
        r"what\s+is\s+(?:this|the)\s+(?:document|report|file|contract|handbook|paper)\s+about|"
        # broad questions about one document: answered by reading it, not by a passage that matches
        r"(?:main|key|principal|central)\s+(?:finding|result|conclusion|contribution|argument|idea|message|"
        r"takeaway)s?|what\s+(?:does|did)\s+(?:this|the)\s+(?:study|paper|article|report|document|trial)\s+"
        r"(?:find|show|conclude|argue|propose)|what\s+is\s+(?:this|the)\s+(?:study|article|agreement|"
        r"policy|filing|thesis)\s+about)\b", re.IGNORECASE)),
    ("list", re.compile(
        r"\b(?:list\s+(?:all|every|each)|list\s+the\s+\w+s\b|what\s+are\s+all|which\s+are\s+all|"
        r"(?:give|show|find|name|tell)\s+(?:me\s+)?(?:all|every)|enumerate|all\s+(?:the\s+)?(?:deadlines|dates|"
        r"obligations|clauses|requirements|risks|names|amounts|fees|items)|every\s+(?:deadline|date|obligation|"
        r"clause|requirement|mention|time))\b", re.IGNORECASE)),
]


# A comparison reads whole documents only when documents are what it compares: "these contracts",
# "the two leases", "the 2023 and 2024 policies", "plan A versus plan B". "How does DistilBERT's
# GLUE score compare to BERT?" or "How does dynamic masking differ from static masking?" compare
# facts that a passage states: 16 of ARAGOG's 98 questions are such, and read as a whole-document
# comparison each took minutes of map calls over one paper instead of an answer from its passages.
_COMPARED_DOCUMENTS = re.compile(
    r"\b(?:versus|vs\.?|(?:documents|contracts|agreements|leases|policies|reports|files|papers|filings|"
    r"handbooks|plans|proposals|offers|quotes|quotations|invoices|drafts|editions|"
    r"manuals|letters|memos|theses)\b|(?:two|both|these|those|each)\s+(?:\w+\s+)?"
    r"(?:document|contract|agreement|lease|policy|report|file|paper|filing|plan|version|draft))", re.IGNORECASE)


def detect(question: str) -> Kind | None:
    """The kind of whole-document task a question asks for, or None for an ordinary question."""
    q = " ".join(question.split())
    for kind, pattern in _PATTERNS:
        if pattern.search(q):
            if kind == "compare" and not _COMPARED_DOCUMENTS.search(q):
                continue  # facts compared, not documents: an ordinary question (or a list, a summary)
            return kind
    return None


# a comparison asked for as such: "Compare A with B", "Contrast …", "the differences between A and B"
_COMPARE_ASKED = re.compile(r"^\s*(?:please\s+)?(?:compare|contrast)\b|\bdifferences?\s+between\b", re.IGNORECASE)


def asks_to_compare(question: str) -> bool:
    """Whether the question asks for a comparison as such (cheap: no documents looked at)."""
    return bool(_COMPARE_ASKED.search(" ".join(question.split())))


def compares_named(question: str, names: dict[int, str]) -> bool:
    """A comparison asked for as such, of documents the question names by file name ("Compare the
    cleaning agreement with the employee handbook"), which `detect` alone cannot tell from a
    comparison of facts. "How does DistilBERT's GLUE score compare to BERT?" names distilbert.pdf
    and bert.pdf, yet asks for a figure one passage states: not a comparison of documents."""
    return asks_to_compare(question) and len(named_documents(" ".join(question.split()), names)) >= 2


# The stems of the words that name the task rather than its subject ("list every ...", "compare the contracts").
TASK_WORDS = {"list", "every", "compar", "summar", "overvi", "differ", "versus", "point", "main", "docume",
              "contra", "report", "file"}


# ---- which documents -----------------------------------------------------------------------------
def named_documents(question: str, names: dict[int, str]) -> list[int]:
    """The documents whose file name the question writes whole, else uses at least half the words
    of: the search's own routine (docent.core.retrieval.routing), task words left out."""
    return routing.named_documents(question, names, ignore=TASK_WORDS)


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


# ---- which chunks, in which batches --------------------------------------------------------------
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

_REFERENCE = re.compile(r"^\s*(?:\[\d{1,3}\]|\d{1,3}\.)\s+\S.*(?:\(\d{4}\)|\b(?:19|20)\d{2}\b)", re.M)
_BOILERPLATE = re.compile(
    r"\b(?:all rights reserved|copyright|©|licen[cs]ed under|creative commons|arxiv:|doi:|https?://|"
    r"e-?mail|@\w+\.\w+|corresponding author|received \d|accepted \d|published online|"
    r"university|institute|department of|school of|laborator)", re.IGNORECASE)
_HEADING_REFS = re.compile(r"^\s*(?:references|bibliography|works cited|literature cited)\s*$", re.IGNORECASE | re.M)


def is_boilerplate(text: str) -> bool:
    """Whether a chunk is a title block, an author list with affiliations, a reference list or
    licence/publisher boilerplate rather than the body of a document: a summary of such chunks is
    a list of fragments (issue 14). Rules on the text alone: reference entries (numbered lines
    with a year), a References heading, or few words that are not names, places or boilerplate."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if _HEADING_REFS.search(text) or (lines and len(_REFERENCE.findall(text)) >= max(2, len(lines) // 3)):
        return True
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    if len(words) < 8:
        return False
    hits = len(_BOILERPLATE.findall(text))
    lower = sum(1 for w in words if w[0].islower())
    # author lists and affiliations are names and places: mostly capitalised words, commas, few verbs
    return (hits >= 2 and lower / len(words) < 0.5) or (lower / len(words) < 0.2 and text.count(",") >= 4)


def select(hits: Sequence[Hit], costs: Sequence[int], capacity: int, question: str, kind: Kind,
           max_items: int = MAX_CHUNKS) -> list[int]:
    """Indices (in document order) of the chunks to read when all of them cost more than `capacity`
    (or are more than `max_items`): the ones sharing most content words with the question ("list",
    "compare"), or chunks spread evenly over each document ("summarize")."""
    if kind == "summarize":  # a summary reads the body: no title block, author list or references
        body = [i for i, h in enumerate(hits) if not is_boilerplate(h.text)]
        if body and len(body) < len(hits):
            inner = select([hits[i] for i in body], [costs[i] for i in body], capacity, question, kind, max_items)
            return [body[i] for i in inner]
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
        q = stems(question) - TASK_WORDS
        score = [len(q & stems(h.text)) for h in hits]
        order = sorted((i for i in range(len(hits)) if score[i] > 0), key=lambda i: (-score[i], i))
    chosen: list[int] = []
    used = 0
    for i in order:
        if used + costs[i] <= capacity and len(chosen) < max_items:
            chosen.append(i)
            used += costs[i]
    return sorted(chosen)

"""Shared helpers for the benchmarks: the scoring conventions of ../shared/README.md, the QA sets,
timing statistics and facts about the machine."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SQUAD = SHARED / "eval" / "squad"
ARAGOG = SHARED / "eval" / "aragog"
FINANCEBENCH = SHARED / "eval" / "financebench"
RESULTS = Path(__file__).resolve().parent / "results"

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
LONG_ANSWER_TOKENS = 8  # a long answer counts as found when its first 8 normalised tokens are


def normalize(text: str) -> str:
    """NFKC, lower case, punctuation to spaces, drop a/an/the, collapse spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _PUNCT.sub(" ", text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def squad_questions() -> list[dict[str, Any]]:
    return load_jsonl(SQUAD / "questions.jsonl")


# ---- QA sets -------------------------------------------------------------------------------------
@dataclass
class QASet:
    """Documents to index and questions about them. Every question has `id`, `question`, `doc` (the
    gold file's stem) and `keys`: normalised strings of which one must occur in a retrieved chunk of
    the gold document for a retrieval hit. `pages` maps question id → gold page (SQuAD only)."""

    name: str
    docs: list[Path]
    questions: list[dict[str, Any]]
    long_answers: bool
    pages: dict[str, int | None] = field(default_factory=dict)
    by_page: bool = False  # a hit is a gold-document passage on an evidence page (q["gold_pages"])

    @property
    def scores_answers(self) -> bool:  # answer accuracy is defined for the extractive set only
        return not self.long_answers


def spaced(items: Sequence[Any], n: int) -> list[Any]:
    """n items spread evenly over `items` (all of them when n <= 0 or n >= len)."""
    if n <= 0 or n >= len(items):
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def squad_set(n_docs: int = 0, with_pages: bool = True) -> QASet:
    """The SQuAD set; `n_docs` > 0 keeps that many articles (spread over the alphabet) and their
    questions. Fewer articles mean fewer distractors: recall is then higher than on all 48."""
    all_docs = sorted((SQUAD / "docs_pdf").glob("*.pdf"))
    docs = spaced(all_docs, n_docs)
    stems = {d.stem for d in docs}
    questions = []
    for q in squad_questions():
        if q["doc"] in stems:
            questions.append(dict(q, keys=[normalize(a) for a in q["answers"] if normalize(a)]))
    pages = gold_pages(SQUAD / "docs_pdf", questions) if with_pages else {}
    return QASet("squad", docs, questions, long_answers=False, pages=pages)


def long_answer_key(answer: str) -> str:
    return " ".join(normalize(answer).split()[:LONG_ANSWER_TOKENS])


def aragog_set(n_docs: int = 0, docs: Sequence[str] = ()) -> QASet:
    """ARAGOG: long reference answers over arXiv papers. All 15 present PDFs are indexed (3 have no
    questions: distractors) unless `docs` (file names) or `n_docs` (the papers with the fewest
    pages first, each with questions) narrow it."""
    folder = ARAGOG / "papers_for_questions"
    raw = [q for q in load_jsonl(ARAGOG / "questions.jsonl") if q.get("pdf_present")]
    all_docs = sorted(folder.glob("*.pdf"))
    if docs:
        chosen = [folder / d for d in docs]
    elif n_docs > 0:
        asked = {q["doc"] for q in raw}
        chosen = sorted((d for d in all_docs if d.name in asked), key=lambda p: p.stat().st_size)[:n_docs]
    else:
        chosen = all_docs
    names = {d.name for d in chosen}
    questions = [
        {"id": str(q["id"]), "question": q["question"], "doc": Path(q["doc"]).stem, "answer": q["answer"],
         "keys": [long_answer_key(q["answer"])]}
        for q in raw if q["doc"] in names
    ]
    return QASet("aragog", sorted(chosen), questions, long_answers=True)


def financebench_set(n_questions: int = 0) -> QASet:
    """FinanceBench (dev split): 45 long, instruction-laden questions over 29 SEC filings. The hit
    rule is the page rule: a retrieved passage of the gold filing whose 1-based page is one of the
    question's evidence pages (`gold_pages`: question id → set of pages). `n_questions` > 0 keeps
    that many questions spread over the set, and only the filings they ask about."""
    raw = [q for q in load_jsonl(FINANCEBENCH / "questions.jsonl") if q.get("pdf_present", True)]
    raw = spaced(raw, n_questions)
    questions = [
        {"id": q["id"], "question": q["question"], "doc": Path(q["doc"]).stem, "answer": q["answer"], "keys": [],
         "gold_pages": sorted({e["page_index0"] + 1 for e in q["evidence"] if e["doc"] == q["doc"]})}
        for q in raw
    ]
    folder = FINANCEBENCH / "pdfs"
    docs = sorted(folder / d for d in {q["doc"] for q in raw}) if n_questions else sorted(folder.glob("*.pdf"))
    return QASet("financebench", docs, questions, long_answers=True, by_page=True)


def is_hit(q: dict[str, Any], path: str, text: str) -> bool:
    """A retrieved passage of the gold document whose normalised text holds one of the keys."""
    if Path(path).stem != q["doc"]:
        return False
    if "gold_pages" in q:
        return False  # page-scored sets: see page_hit
    norm = normalize(text)
    return any(k and k in norm for k in q["keys"])


def page_hit(q: dict[str, Any], path: str, page: int | None) -> bool:
    """The shared page rule: a passage of the gold document whose 1-based page is an evidence page."""
    return Path(path).stem == q["doc"] and page is not None and page in q.get("gold_pages", ())


def gold_pages(pdf_dir: Path, questions: list[dict[str, Any]]) -> dict[str, int | None]:
    """Question id → the 1-based PDF page holding its gold answer (inside its gold context)."""
    from pypdf import PdfReader

    pages_by_doc: dict[str, list[str]] = {}
    out: dict[str, int | None] = {}
    for q in questions:
        doc = q["doc"]
        if doc not in pages_by_doc:
            reader = PdfReader(str(pdf_dir / f"{doc}.pdf"))
            pages_by_doc[doc] = [normalize(p.extract_text() or "") for p in reader.pages]
        pages = pages_by_doc[doc]
        joined, starts = "", []
        for p in pages:
            starts.append(len(joined))
            joined += p + " "
        ctx = normalize(q["gold_context"])
        ans = normalize(q["answers"][0])
        pos = joined.find(ctx[:200])
        page = None
        if pos >= 0:
            a = ctx.find(ans)
            at = pos + max(a, 0)
            page = max(i for i, s in enumerate(starts) if s <= at) + 1
        out[q["id"]] = page
    return out


# ---- timing --------------------------------------------------------------------------------------
def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; nan for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None or x != x else round(x, nd)


class Clock:
    """with Clock() as c: ...; c.s → seconds (perf_counter)."""

    def __enter__(self) -> "Clock":
        self.t0 = time.perf_counter()
        self.s = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.s = time.perf_counter() - self.t0


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def drain(events: Iterator[Any], kind: type) -> Any:
    """Run a core generator to its end; → its last event of `kind`."""
    last = None
    for ev in events:
        if isinstance(ev, kind):
            last = ev
    return last


# ---- the machine ---------------------------------------------------------------------------------
def rss_mb() -> float:
    """Current resident set size of this process, MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = float("nan")
    try:
        mem_gb = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": r(mem_gb, 1),
        "python": platform.python_version(), "platform": platform.platform(),
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def quiet_logs() -> None:
    """pypdf warns loudly about fonts it half understands; the figures do not need it."""
    import logging

    for name in ("pypdf", "chromadb", "docent"):
        logging.getLogger(name).setLevel(logging.ERROR)

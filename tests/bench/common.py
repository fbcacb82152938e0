"""Shared helpers for the benchmarks: the scoring conventions of ../shared/README.md, data paths."""

from __future__ import annotations

import json
import re
import string
import unicodedata
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SQUAD = SHARED / "eval" / "squad"

_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize(text: str) -> str:
    """NFKC, lower case, punctuation to spaces, drop a/an/the, collapse spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _PUNCT.sub(" ", text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def squad_questions() -> list[dict]:
    return load_jsonl(SQUAD / "questions.jsonl")


def gold_pages(pdf_dir: Path, questions: list[dict]) -> dict[str, int | None]:
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
        string  # keep import used
    return out

"""Non-English and cross-lingual retrieval on XQuAD: the same 240 paragraphs and 1,190 questions as
the English SQuAD subset, professionally translated (../shared/eval/squad/xquad/: ar, de, es, zh;
English from questions.jsonl's gold contexts). Per language, one DOCX per article (its heading, then
its XQuAD paragraphs in order) is indexed through Docent's Library; each cell "Q>D" asks the
questions in language Q against the documents in language D and scores recall@1/5/10 and MRR for
vector-only, BM25-only and Docent's default hybrid, by the shared hit rule (a retrieved passage of
the gold article holding the normalised answer, the answer taken in the documents' language).

Only XQuAD's paragraphs are indexed (about 5 per article, 240 in all), not the full articles of the
English set: fewer distractors, so recall here is higher than retrieval.py's and not comparable
with it; compare cells and embedders with each other.

    python tests/bench/multilingual.py [--cells en>en,de>de,es>es,ar>ar,zh>zh,en>de,de>en]
        [--limit 300] [--embedder default|multilingual-e5-small|PATH] [--weights 0.5,0.7]
        [--work DIR] [--json]

`--work` keeps the generated documents and the indexes (one per embedder and language) for the
next run; `--weights` adds hybrid rows with other vector weights (Docent's default is 0.3).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import SQUAD, QASet, load_jsonl, machine, normalize, quiet_logs, spaced  # noqa: E402

XQUAD = SQUAD / "xquad"
LANGS = ("en", "de", "es", "ar", "zh")
CELLS = ("en>en", "de>de", "es>es", "ar>ar", "zh>zh", "en>de", "de>en")
MODES = ("vector", "keyword", "hybrid")


@dataclass
class Corpus:
    """One language's side of XQuAD: article title → its paragraphs, and question id → (question,
    answers, article title)."""

    lang: str
    articles: dict[str, list[str]] = field(default_factory=dict)
    questions: dict[str, tuple[str, list[str], str]] = field(default_factory=dict)


def corpus(lang: str) -> Corpus:
    """XQuAD in `lang`. English is rebuilt from questions.jsonl (same ids, same paragraphs), in the
    article and paragraph order of the German file."""
    layout = json.loads((XQUAD / f"xquad.{'de' if lang == 'en' else lang}.json").read_text(encoding="utf-8"))
    english = {q["id"]: q for q in load_jsonl(SQUAD / "questions.jsonl")} if lang == "en" else {}
    out = Corpus(lang)
    for article in layout["data"]:
        title = article["title"]
        paragraphs = out.articles.setdefault(title, [])
        for para in article["paragraphs"]:
            if lang == "en":
                paragraphs.append(english[para["qas"][0]["id"]]["gold_context"])
                for qa in para["qas"]:
                    q = english[qa["id"]]
                    out.questions[qa["id"]] = (q["question"], list(q["answers"]), title)
            else:
                paragraphs.append(para["context"])
                for qa in para["qas"]:
                    out.questions[qa["id"]] = (qa["question"], [a["text"] for a in qa["answers"]], title)
    return out


def write_docs(c: Corpus, folder: Path) -> list[Path]:
    """One DOCX per article (kept when already there, so a reused index stays unchanged)."""
    from tests.docgen import Section, write_docx

    docs = []
    for title, paragraphs in c.articles.items():
        path = folder / f"{title}.docx"
        if not path.is_file():
            write_docx(path, [Section(title.replace("_", " "), paragraphs=paragraphs)])
        docs.append(path)
    return docs


def cell_set(name: str, q: Corpus, d: Corpus, docs: list[Path], ids: Sequence[str]) -> QASet:
    """Questions in q's language; the hit keys are the answers in the documents' language."""
    questions = []
    for qid in ids:
        text, _, title = q.questions[qid]
        keys = [k for k in (normalize(a) for a in d.questions[qid][1]) if k]
        questions.append({"id": qid, "question": text, "doc": title, "keys": keys})
    return QASet(name, docs, questions, long_answers=False)


def mode_params(weights: Sequence[float]) -> dict[str, Any]:
    from docent.core.retrieval.search import SearchParams

    params = {"vector": SearchParams(mode="vector"), "keyword": SearchParams(mode="keyword"), "hybrid": SearchParams()}
    for w in weights:
        params[f"hybrid_v{w:g}"] = SearchParams(vector_weight=w)
    return params


def evaluate(lib: Any, qa: QASet, params: dict[str, Any], k_max: int = 10) -> dict[str, dict[str, float]]:
    from tests.bench.common import is_hit, pct

    searcher = lib.searcher()
    report: dict[str, dict[str, float]] = {}
    for mode, p in params.items():
        at = {1: 0, 5: 0, 10: 0}
        rr = 0.0
        times = []
        for q in qa.questions:
            t = time.perf_counter()
            hits = searcher.search(q["question"], k_max, None, p)
            times.append(time.perf_counter() - t)
            rank = next((i for i, h in enumerate(hits, start=1) if is_hit(q, h.path, h.text)), None)
            for k in at:
                at[k] += int(rank is not None and rank <= k)
            rr += 1.0 / rank if rank else 0.0
        n = max(1, len(qa.questions))
        report[mode] = {"recall@1": round(at[1] / n, 4), "recall@5": round(at[5] / n, 4),
                        "recall@10": round(at[10] / n, 4), "mrr": round(rr / n, 4),
                        "p50_ms": round(1000 * pct(times, 0.5), 1)}
    return report


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:80]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", default=",".join(CELLS), help="comma-separated Q>D pairs of " + "/".join(LANGS))
    ap.add_argument("--limit", type=int, default=300, help="questions per cell, spread over the set (0: all 1,190)")
    ap.add_argument("--embedder", default="default", help="an embedder spec as in the settings")
    ap.add_argument("--weights", default="", help="extra hybrid rows at these vector weights")
    ap.add_argument("--work", help="keep documents and indexes here (made if missing)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    quiet_logs()
    from docent.core.models.embedder import load_embedder
    from docent.core.library import Library
    from docent.core.types import SyncDone

    cells = [tuple(c.split(">")) for c in args.cells.split(",") if c]
    for qlang, dlang in cells:
        if qlang not in LANGS or dlang not in LANGS:
            ap.error(f"unknown language in {qlang}>{dlang}")
    weights = [float(w) for w in args.weights.split(",") if w]
    work = Path(args.work or tempfile.mkdtemp(prefix="docent-ml-"))
    corpora = {lang: corpus(lang) for lang in sorted({x for c in cells for x in c})}
    ids = spaced(sorted(corpora[cells[0][0]].questions), args.limit)

    t = time.perf_counter()
    embedder = load_embedder(args.embedder)
    report: dict[str, Any] = {"embedder": embedder.id, "load_s": round(time.perf_counter() - t, 2),
                              "questions_per_cell": len(ids), "machine": machine(), "index": {}, "cells": {}}
    libs: dict[str, Any] = {}
    docs: dict[str, list[Path]] = {}
    try:
        for dlang in sorted({d for _, d in cells}):
            docs[dlang] = write_docs(corpora[dlang], work / "docs" / dlang)
            lib = Library(work / "index" / _safe(embedder.id) / dlang, embedder=embedder)
            libs[dlang] = lib
            t = time.perf_counter()
            done = [e for e in lib.index(docs[dlang]) if isinstance(e, SyncDone)][0]
            report["index"][dlang] = {"seconds": round(time.perf_counter() - t, 1), "chunks": lib.catalog.chunk_count(),
                                      "indexed": done.indexed, "unchanged": done.unchanged, "failed": done.failed}
            print(f"# {dlang}: {report['index'][dlang]}", file=sys.stderr, flush=True)
        for qlang, dlang in cells:
            name = f"{qlang}>{dlang}"
            qa = cell_set(name, corpora[qlang], corpora[dlang], docs[dlang], ids)
            report["cells"][name] = evaluate(libs[dlang], qa, mode_params(weights))
            print(f"# {name}: {report['cells'][name]}", file=sys.stderr, flush=True)
    finally:
        for lib in libs.values():
            lib.close()
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"embedder {report['embedder']}; {len(ids)} questions per cell; recall@1 / @5 / @10 (MRR)")
        for name, rows in report["cells"].items():
            for mode, m in rows.items():
                print(f"  {name:6} {mode:12} {m['recall@1']:.3f} / {m['recall@5']:.3f} / {m['recall@10']:.3f} "
                      f"({m['mrr']:.3f})  p50 {m['p50_ms']:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

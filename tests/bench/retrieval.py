"""Retrieval quality: recall@1/5/10, MRR and (SQuAD) page hits for vector-only, keyword-only (BM25),
hybrid RRF and Docent's default hybrid, side by side, through Docent's own search code.

A hit (../shared/README.md): a retrieved passage of the gold document whose normalised text holds
the normalised gold answer (SQuAD) or the first 8 tokens of the normalised reference answer (ARAGOG).

    python tests/bench/retrieval.py [--set squad|aragog] [--docs N] [--limit N] [--data-dir DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import QASet, aragog_set, is_hit, pct, quiet_logs, squad_set  # noqa: E402

MODES = ("vector", "keyword", "hybrid_rrf", "hybrid")


def mode_params() -> dict[str, Any]:
    from docent.core.retrieval.search import SearchParams

    return {
        "vector": SearchParams(mode="vector"),
        "keyword": SearchParams(mode="keyword"),
        "hybrid_rrf": SearchParams(fusion="rrf", vector_weight=1.0, keyword_weight=1.0),
        "hybrid": SearchParams(),
    }


SOFT_SHARE = 0.5


def _content(text: str) -> set[str]:
    from docent.core.storage.catalog import STOPWORDS
    from tests.bench.common import normalize

    return {w for w in normalize(text).split() if len(w) > 2 and w not in STOPWORDS}


def evaluate(lib: Any, qa: QASet, modes: Sequence[str] = MODES, k_max: int = 10) -> dict[str, dict[str, Any]]:
    """→ {mode: {recall@1, recall@5, recall@10, mrr, doc@1, [page@1, page@5], p50_ms, p95_ms}}.
    For long answers also soft@1/soft@5 (not the shared convention, which a reference answer
    written in its own words rarely meets): a passage of the gold document holding at least half of
    the answer's distinct content words."""
    params_by_mode = mode_params()
    answer_words = {q["id"]: _content(q["answer"]) for q in qa.questions} if qa.long_answers else {}
    searcher = lib.searcher()
    report: dict[str, dict[str, Any]] = {}
    for mode in modes:
        params = params_by_mode[mode]
        hits_at = {1: 0, 5: 0, 10: 0}
        page_at = {1: 0, 5: 0}
        doc_at1 = 0
        soft_at = {1: 0, 5: 0}
        rr = 0.0
        times = []
        for q in qa.questions:
            t = time.perf_counter()
            hits = searcher.search(q["question"], k_max, None, params)
            times.append(time.perf_counter() - t)
            rank = page_rank = None
            gold_page = qa.pages.get(q["id"])
            for i, h in enumerate(hits, start=1):
                if not is_hit(q, h.path, h.text):
                    continue
                if rank is None:
                    rank = i
                if page_rank is None and gold_page is not None and h.page == gold_page:
                    page_rank = i
            if hits and Path(hits[0].path).stem == q["doc"]:
                doc_at1 += 1
            words = answer_words.get(q["id"])
            if words:
                soft = next((i for i, h in enumerate(hits, start=1) if Path(h.path).stem == q["doc"]
                             and len(words & _content(h.text)) >= SOFT_SHARE * len(words)), None)
                for k in soft_at:
                    soft_at[k] += int(soft is not None and soft <= k)
            for k in hits_at:
                hits_at[k] += int(rank is not None and rank <= k)
            for k in page_at:
                page_at[k] += int(page_rank is not None and page_rank <= k)
            rr += 1.0 / rank if rank else 0.0
        n = max(1, len(qa.questions))
        row: dict[str, Any] = {
            "recall@1": round(hits_at[1] / n, 4), "recall@5": round(hits_at[5] / n, 4),
            "recall@10": round(hits_at[10] / n, 4), "mrr": round(rr / n, 4), "doc@1": round(doc_at1 / n, 4),
        }
        if qa.pages:
            row.update({"page@1": round(page_at[1] / n, 4), "page@5": round(page_at[5] / n, 4)})
        if answer_words:
            row.update({"soft@1": round(soft_at[1] / n, 4), "soft@5": round(soft_at[5] / n, 4)})
        row.update({"p50_ms": round(1000 * pct(times, 0.5), 2), "p95_ms": round(1000 * pct(times, 0.95), 2)})
        report[mode] = row
    return report


def reachable(lib: Any, qa: QASet) -> float:
    """Share of questions whose key occurs in some indexed chunk of the gold document at all: the
    ceiling for recall under the hit rule (a long answer's first 8 tokens rarely occur verbatim)."""
    from tests.bench.common import normalize

    texts: dict[str, list[str]] = {}
    for path, text in lib.catalog.rows("SELECT d.path, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id"):
        texts.setdefault(Path(path).stem, []).append(normalize(text))
    ok = sum(any(k and k in t for t in texts.get(q["doc"], []) for k in q["keys"]) for q in qa.questions)
    return round(ok / max(1, len(qa.questions)), 4)


def table(report: dict[str, dict[str, Any]]) -> list[str]:
    soft = any("soft@1" in m for m in report.values() if isinstance(m, dict))
    extra = "soft@1/@5" if soft else "page@1"
    lines = [f"  {'mode':11} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR':>6} {'doc@1':>6} {extra:>11} {'p50ms':>7} {'p95ms':>7}"]
    for mode in MODES:
        if mode not in report:
            continue
        m = report[mode]
        if soft:
            page = f"{m['soft@1']:5.3f}/{m['soft@5']:.3f}".rjust(11)
        else:
            page = f"{m['page@1']:11.3f}" if "page@1" in m else f"{'-':>11}"
        lines.append(f"  {mode:11} {m['recall@1']:6.3f} {m['recall@5']:6.3f} {m['recall@10']:6.3f} {m['mrr']:6.3f} "
                     f"{m['doc@1']:6.3f} {page} {m['p50_ms']:7.1f} {m['p95_ms']:7.1f}")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=["squad", "aragog"], default="squad")
    ap.add_argument("--docs", type=int, default=0, help="index only N documents (0: all)")
    ap.add_argument("--data-dir", help="reuse an index (made if empty)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    quiet_logs()
    from docent.core.library import Library
    from docent.core.types import SyncDone

    qa = squad_set(args.docs) if args.set == "squad" else aragog_set(args.docs)
    if args.limit:
        qa.questions = qa.questions[: args.limit]
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="docent-bench-"))
    with Library(data_dir) as lib:
        t = time.perf_counter()
        done = [e for e in lib.index(qa.docs) if isinstance(e, SyncDone)][0]
        report: dict[str, Any] = {
            "index": {"seconds": round(time.perf_counter() - t, 2), "pages": done.pages, "chunks": done.chunks,
                      "indexed": done.indexed, "unchanged": done.unchanged},
            "questions": len(qa.questions),
        }
        report.update(evaluate(lib, qa))
        report["reachable"] = reachable(lib, qa)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{qa.name}: {len(qa.questions)} questions (key found in the gold document: {report['reachable']}); "
              f"index: {report['index']}")
        print("\n".join(table(report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

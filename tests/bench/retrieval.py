"""Retrieval quality on the SQuAD set (../shared/eval/squad): recall@1/5/10, MRR and page hits for
vector-only, keyword-only (BM25) and hybrid search, side by side, through Docent's own code.

    python tests/bench/retrieval.py [--data-dir DIR] [--limit N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import SQUAD, gold_pages, normalize, squad_questions  # noqa: E402


def evaluate(lib, questions, pages, modes, k_max=10, params_by_mode=None):  # type: ignore[no-untyped-def]
    from docent.core.search import SearchParams

    report = {}
    searcher = lib.searcher()
    for mode in modes:
        params = (params_by_mode or {}).get(mode) or SearchParams()
        hits_at = {1: 0, 5: 0, 10: 0}
        page_at = {1: 0, 5: 0}
        rr = 0.0
        times = []
        for q in questions:
            t = time.perf_counter()
            hits = searcher.search(q["question"], k_max, None, params)
            times.append(time.perf_counter() - t)
            answers = [normalize(a) for a in q["answers"]]
            rank = None
            page_rank = None
            for i, h in enumerate(hits, start=1):
                if Path(h.path).stem != q["doc"]:
                    continue
                text = normalize(h.text)
                if any(a and a in text for a in answers):
                    if rank is None:
                        rank = i
                    if page_rank is None and h.page == pages.get(q["id"]):
                        page_rank = i
            for k in hits_at:
                hits_at[k] += int(rank is not None and rank <= k)
            for k in page_at:
                page_at[k] += int(page_rank is not None and page_rank <= k)
            rr += 1.0 / rank if rank else 0.0
        n = len(questions)
        times.sort()
        report[mode] = {
            "recall@1": round(hits_at[1] / n, 4), "recall@5": round(hits_at[5] / n, 4),
            "recall@10": round(hits_at[10] / n, 4), "mrr": round(rr / n, 4),
            "page@1": round(page_at[1] / n, 4), "page@5": round(page_at[5] / n, 4),
            "p50_ms": round(1000 * times[len(times) // 2], 2), "p95_ms": round(1000 * times[int(len(times) * 0.95)], 2),
        }
    return report


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", help="reuse an index (made if empty)")
    ap.add_argument("--docs", default=str(SQUAD / "docs_pdf"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from docent.core.library import Library
    from docent.core.types import SyncDone

    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="docent-bench-"))
    questions = squad_questions()
    if args.limit:
        questions = questions[: args.limit]
    pages = gold_pages(SQUAD / "docs_pdf", questions)
    with Library(data_dir) as lib:
        t = time.perf_counter()
        done = [e for e in lib.index([Path(args.docs)]) if isinstance(e, SyncDone)][0]
        index_s = time.perf_counter() - t
        report = {"index": {"seconds": round(index_s, 2), "pages": done.pages, "chunks": done.chunks,
                            "indexed": done.indexed, "unchanged": done.unchanged},
                  "questions": len(questions)}
        from docent.core.search import SearchParams

        modes = {"vector": SearchParams(mode="vector"), "keyword": SearchParams(mode="keyword"),
                 "hybrid_rrf": SearchParams(fusion="rrf", vector_weight=1.0, keyword_weight=1.0),
                 "hybrid": SearchParams()}
        report.update(evaluate(lib, questions, pages, list(modes), params_by_mode=modes))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"questions: {len(questions)}; index: {report['index']}")
        print(f"{'mode':10} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR':>6} {'page@1':>7} {'page@5':>7} {'p50ms':>7} {'p95ms':>7}")
        for mode in ("vector", "keyword", "hybrid_rrf", "hybrid"):
            r = report[mode]
            print(f"{mode:10} {r['recall@1']:6.3f} {r['recall@5']:6.3f} {r['recall@10']:6.3f} {r['mrr']:6.3f} "
                  f"{r['page@1']:7.3f} {r['page@5']:7.3f} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

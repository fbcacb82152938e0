"""The cost of encryption at rest: the same SQuAD PDFs indexed into a plain and an encrypted library,
runs alternating plain/encrypted (A/B, then B/A) so that a drift in the machine's load falls on both; per run,
the indexing time and the latency of hybrid (and keyword-only) search over the same questions.

    python tests/bench/encryption.py [--docs 5] [--runs 3] [--questions 50] [--json]

The embedder is loaded once and shared; each round indexes into two fresh library folders, then
times every question on both, alternately. "open" is the
time to open the library (for the encrypted one: scrypt key derivation, then SQLCipher). Overheads are
encrypted / plain - 1 of the medians over the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import drain, machine, pct, quiet_logs, r, spaced, squad_set  # noqa: E402

PASSPHRASE = "bench passphrase"


def one_round(tmp: Path, i: int, docs: list[Path], questions: list[str], embedder: Any) -> list[dict[str, Any]]:
    """Round i: index the documents into a fresh plain and a fresh encrypted library (which first
    alternates by round), then, with both open, time each question on one then the other (which
    first alternates by question), so both see the same moment of the machine's load."""
    from docent.core.library import Library
    from docent.core.retrieval.search import SearchParams
    from docent.core.types import SyncDone

    order = (False, True) if i % 2 == 0 else (True, False)
    libs: dict[bool, Any] = {}
    runs: dict[bool, dict[str, Any]] = {}
    cache: Any = getattr(embedder, "query_cache", None)  # the embedder's recent-query cache
    try:
        for encrypted in order:
            folder = tmp / f"round{i}-{'enc' if encrypted else 'plain'}"
            t0 = time.perf_counter()
            lib = libs[encrypted] = Library(folder, embedder=embedder, passphrase=PASSPHRASE if encrypted else None,
                                            encrypt=encrypted)
            open_s = time.perf_counter() - t0
            _ = lib.store  # Chroma opened before the clock starts, as an open app has it
            t0 = time.perf_counter()
            done = drain(lib.index(docs), SyncDone)
            assert done.indexed == len(docs), done
            runs[encrypted] = {"encrypted": encrypted, "open_s": open_s, "index_s": time.perf_counter() - t0,
                               "chunks": done.chunks, "pages": done.pages}
            lib.search(questions[0], 5)  # warm-up
        for mode in ("hybrid", "keyword"):
            params = SearchParams(mode=mode)
            lat: dict[bool, list[float]] = {False: [], True: []}
            for j, q in enumerate(questions):
                for encrypted in order if j % 2 == 0 else order[::-1]:
                    if cache is not None:
                        cache.clear()  # each question new to the embedder, as a user's are
                    t0 = time.perf_counter()
                    libs[encrypted].search(q, 5, params=params)
                    lat[encrypted].append(time.perf_counter() - t0)
            for encrypted, values in lat.items():
                runs[encrypted][f"{mode}_p50_ms"] = pct(values, 0.5) * 1000
                runs[encrypted][f"{mode}_p95_ms"] = pct(values, 0.95) * 1000
    finally:
        for lib in libs.values():
            lib.close()
    for encrypted in order:  # reopening an existing library (the encrypted one derives its key again)
        t0 = time.perf_counter()
        with Library(tmp / f"round{i}-{'enc' if encrypted else 'plain'}", embedder=embedder,
                     passphrase=PASSPHRASE if encrypted else None):
            runs[encrypted]["reopen_s"] = time.perf_counter() - t0
    return [runs[e] for e in order]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3, help="runs of each (plain, encrypted), alternating")
    ap.add_argument("--questions", type=int, default=50)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    quiet_logs()
    from docent.core.models.embedder import default_embedder

    qa = squad_set(args.docs, with_pages=False)
    questions = [q["question"] for q in spaced(qa.questions, args.questions)]
    embedder = default_embedder()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="docent-bench-enc-") as tmp:
        for i in range(args.runs):
            for run in one_round(Path(tmp), i, qa.docs, questions, embedder):
                runs.append(run)
                encrypted = run["encrypted"]
                if not args.json:
                    print(f"round {i + 1} {'encrypted' if encrypted else 'plain    '}: index {run['index_s']:.2f} s, "
                          f"hybrid p50 {run['hybrid_p50_ms']:.1f} ms p95 {run['hybrid_p95_ms']:.1f} ms, "
                          f"keyword p50 {run['keyword_p50_ms']:.2f} ms, open {run['open_s'] * 1000:.0f} ms",
                          flush=True)
    keys = ("index_s", "hybrid_p50_ms", "hybrid_p95_ms", "keyword_p50_ms", "keyword_p95_ms", "open_s", "reopen_s")
    summary: dict[str, Any] = {}
    for key in keys:
        plain = statistics.median(x[key] for x in runs if not x["encrypted"])
        enc = statistics.median(x[key] for x in runs if x["encrypted"])
        summary[key] = {"plain": r(plain, 4), "encrypted": r(enc, 4), "overhead_pct": r((enc / plain - 1) * 100, 1)}
    out = {"docs": len(qa.docs), "questions": len(questions), "runs_each": args.runs,
           "chunks": runs[0]["chunks"], "pages": runs[0]["pages"], "summary": summary, "runs": runs,
           "machine": machine()}
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    print(f"\n{len(qa.docs)} PDFs ({out['pages']} pages, {out['chunks']} chunks), {len(questions)} questions, "
          f"{args.runs} runs each; medians:")
    for key, v in summary.items():
        print(f"  {key:15} plain {v['plain']:>9}  encrypted {v['encrypted']:>9}  overhead {v['overhead_pct']:+.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

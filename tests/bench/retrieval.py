"""Retrieval quality: recall@1/5/10, MRR and (SQuAD) page hits for vector-only, keyword-only (BM25),
hybrid RRF and Docent's default hybrid, side by side, through Docent's own search code.

A hit (../shared/README.md): a retrieved passage of the gold document whose normalised text holds
the normalised gold answer (SQuAD) or the first 8 tokens of the normalised reference answer (ARAGOG);
for FinanceBench the page rule: a passage of the gold filing whose 1-based page is an evidence page
(its R@k columns are page recall@k).

    python tests/bench/retrieval.py [--set squad|aragog|financebench|all] [--docs N] [--limit N]
        [--data-dir DIR | --work DIR] [--modes vector,keyword,hybrid] [--param NAME=VALUE ...] [--json]

`--work DIR` keeps one index per set and chunker under DIR/<set>-<chunker signature>, made on first
use and reused after (indexing FinanceBench takes a quarter of an hour on 2 busy cores), so every
search-side experiment runs on the same index. `--param` overrides a SearchParams field in every
mode (ablation rows: e.g. `--param reduce_query=false`). `--set all` prints one table of every set.
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

from tests.bench.common import (  # noqa: E402
    QASet, aragog_set, financebench_set, is_hit, page_hit, pct, quiet_logs, squad_set,
)

MODES = ("vector", "keyword", "hybrid_rrf", "hybrid")


def mode_params(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    from docent.core.retrieval.search import SearchParams

    o = dict(overrides or {})
    return {
        "vector": SearchParams(**{**o, "mode": "vector"}),
        "keyword": SearchParams(**{**o, "mode": "keyword"}),
        "hybrid_rrf": SearchParams(**{**o, "fusion": "rrf", "vector_weight": 1.0, "keyword_weight": 1.0}),
        "hybrid": SearchParams(**o),
    }


def parse_params(items: Sequence[str]) -> dict[str, Any]:
    """["reduce_query=false", "vector_weight=0.5"] → SearchParams overrides, typed by the field's default."""
    from dataclasses import fields

    from docent.core.retrieval.search import SearchParams

    defaults = {f.name: f.default for f in fields(SearchParams)}
    out: dict[str, Any] = {}
    for item in items:
        name, _, value = item.partition("=")
        if name not in defaults:
            raise SystemExit(f"--param {item}: SearchParams has no field {name!r} (fields: {', '.join(defaults)})")
        d = defaults[name]
        if isinstance(d, bool):
            out[name] = value.lower() in ("1", "true", "yes", "on")
        elif isinstance(d, int):
            out[name] = int(value)
        elif isinstance(d, float) or d is None:
            out[name] = None if value.lower() == "none" else float(value)
        else:
            out[name] = value
    return out


SOFT_SHARE = 0.5


def _content(text: str) -> set[str]:
    from docent.core.storage.catalog import STOPWORDS
    from tests.bench.common import normalize

    return {w for w in normalize(text).split() if len(w) > 2 and w not in STOPWORDS}


def evaluate(lib: Any, qa: QASet, modes: Sequence[str] = MODES, k_max: int = 10,
             overrides: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """→ {mode: {recall@1, recall@5, recall@10, mrr, doc@1, [page@1, page@5], p50_ms, p95_ms}}.
    For long answers also soft@1/soft@5 (not the shared convention, which a reference answer
    written in its own words rarely meets): a passage of the gold document holding at least half of
    the answer's distinct content words."""
    params_by_mode = mode_params(overrides)
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
                if not (page_hit(q, h.path, h.page) if qa.by_page else is_hit(q, h.path, h.text)):
                    continue
                if rank is None:
                    rank = i
                if page_rank is None and gold_page is not None and h.page == gold_page:
                    page_rank = i
            if hits and Path(hits[0].path).stem == q["doc"]:
                doc_at1 += 1
            words = None if qa.by_page else answer_words.get(q["id"])
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
        if answer_words and not qa.by_page:
            row.update({"soft@1": round(soft_at[1] / n, 4), "soft@5": round(soft_at[5] / n, 4)})
        row.update({"p50_ms": round(1000 * pct(times, 0.5), 2), "p95_ms": round(1000 * pct(times, 0.95), 2)})
        report[mode] = row
    return report


def reachable(lib: Any, qa: QASet) -> float:
    """Share of questions whose key occurs in some indexed chunk of the gold document at all (for
    page-scored sets: whose evidence page has a chunk at all): the ceiling for recall under the hit
    rule (a long answer's first 8 tokens rarely occur verbatim)."""
    from tests.bench.common import normalize

    if qa.by_page:
        pages: set[tuple[str, int]] = set()
        for path, page in lib.catalog.rows("SELECT d.path, c.page FROM chunks c JOIN documents d ON d.id = c.doc_id"):
            pages.add((Path(path).stem, page))
        ok = sum(any((q["doc"], p) in pages for p in q["gold_pages"]) for q in qa.questions)
        return round(ok / max(1, len(qa.questions)), 4)
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


SETS = ("squad", "aragog", "financebench")


def load_set(name: str, docs: int = 0) -> QASet:
    if name == "squad":
        return squad_set(docs)
    if name == "aragog":
        return aragog_set(docs)
    return financebench_set(docs)


def work_dir(root: Path, qa: QASet, docs: int, chunker: str = "") -> Path:
    """One persistent index per set, sample and chunker: re-made only when the chunk text changes."""
    from docent.core.ingest.chunking import ChunkParams

    sig = chunker or ChunkParams().signature.replace(":", "_")
    return root / f"{qa.name}{f'-{docs}' if docs else ''}-{sig}"


def run_set(qa: QASet, data_dir: Path, modes: Sequence[str], overrides: dict[str, Any],
            index: bool = True) -> dict[str, Any]:
    from docent.core.library import Library
    from docent.core.types import SyncDone

    with Library(data_dir) as lib:
        report: dict[str, Any] = {"index": "as it was (--no-index)", "questions": len(qa.questions)}
        if index:
            t = time.perf_counter()
            done = [e for e in lib.index(qa.docs) if isinstance(e, SyncDone)][0]
            report["index"] = {"seconds": round(time.perf_counter() - t, 2), "pages": done.pages,
                               "chunks": done.chunks, "indexed": done.indexed, "unchanged": done.unchanged}
        report.update(evaluate(lib, qa, modes, overrides=overrides))
        report["reachable"] = reachable(lib, qa)
    return report


def summary(reports: dict[str, dict[str, Any]], label: str = "") -> list[str]:
    """One table of every set: SQuAD R@1/R@5, ARAGOG soft@5, FinanceBench page R@1/R@5/R@10."""
    lines = [f"  {'row':24} {'mode':8} {'SQ R@1':>7} {'SQ R@5':>7} {'AR s@5':>7} {'FB p@1':>7} {'FB p@5':>7} {'FB p@10':>7}"]
    for mode in ("vector", "keyword", "hybrid"):
        def cell(name: str, key: str) -> str:
            m = reports.get(name, {}).get(mode)
            return f"{m[key]:7.3f}" if m and key in m else f"{'-':>7}"
        lines.append(f"  {label or 'this code':24} {mode:8} {cell('squad', 'recall@1')} {cell('squad', 'recall@5')} "
                     f"{cell('aragog', 'soft@5')} {cell('financebench', 'recall@1')} {cell('financebench', 'recall@5')} "
                     f"{cell('financebench', 'recall@10')}")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=[*SETS, "all"], default="squad")
    ap.add_argument("--docs", type=int, default=0, help="index only N documents (financebench: N questions; 0: all)")
    ap.add_argument("--data-dir", help="reuse an index (made if empty); one set only")
    ap.add_argument("--work", help="keep one index per set under this folder and reuse it")
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES))
    ap.add_argument("--param", action="append", default=[], help="NAME=VALUE: a SearchParams override (repeatable)")
    ap.add_argument("--no-index", action="store_true",
                    help="search the index as it is (e.g. one made by an older chunker: compare search changes on it)")
    ap.add_argument("--chunker", default="", help="with --work: the index of this chunker signature (c3_200_32_24)")
    ap.add_argument("--label", default="", help="the summary row's name")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    quiet_logs()
    overrides = parse_params(args.param)
    modes = [m for m in args.modes.split(",") if m in MODES]
    names = SETS if args.set == "all" else (args.set,)
    reports: dict[str, dict[str, Any]] = {}
    for name in names:
        qa = load_set(name, args.docs)
        if args.limit:
            qa.questions = qa.questions[: args.limit]
        if args.data_dir and len(names) == 1:
            data_dir = Path(args.data_dir)
        elif args.work:
            data_dir = work_dir(Path(args.work), qa, args.docs, args.chunker)
        else:
            data_dir = Path(tempfile.mkdtemp(prefix=f"docent-bench-{name}-"))
        data_dir.mkdir(parents=True, exist_ok=True)
        report = run_set(qa, data_dir, modes, overrides, index=not args.no_index)
        reports[name] = report
        if not args.json:
            print(f"{qa.name}: {len(qa.questions)} questions (key found in the gold document: {report['reachable']}); "
                  f"index: {report['index']} in {data_dir}")
            print("\n".join(table(report)), flush=True)
    if args.json:
        print(json.dumps(reports if len(names) > 1 else reports[names[0]], indent=2))
    elif len(names) > 1:
        print("\n".join(summary(reports, args.label or " ".join(args.param))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

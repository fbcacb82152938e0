"""Time to first token and tokens/s of each chat model as a user meets them: five typical questions
(SQuAD questions spread over the set) through `Library.ask` on the same indexed library (SQuAD,
12 articles, as answers.py --docs 12), after one warm-up question
that loads the model. TTFT is the time from asking to the first answer token (retrieval, sentence
focus, prompt building and prompt evaluation; the system prompt's prefix is reused as in the
window); tokens/s is answer tokens / (generation time − time to first token). Medians (and the
95th percentile of the first token) of the questions, with the load average before and after,
since the timings depend on what else the machine runs.

`--during-indexing` asks the same questions again while another process indexes the FinanceBench
filings (`docent index`, 29 PDFs, into a throw-away library), as a user asks while a folder is
being indexed: each model's figures idle and busy.

    python tests/bench/model_speed.py [--models gemma3-270m,smollm2-135m-instruct,/path/to/model.gguf]
        [--data-dir DIR] [--threads N] [--questions 5] [--during-indexing]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import FINANCEBENCH, pct, quiet_logs, spaced, squad_set  # noqa: E402


def start_indexing(work: Path) -> Any:
    """Another process indexing the FinanceBench filings into a throw-away library."""
    import subprocess

    return subprocess.Popen([sys.executable, "-m", "docent", "--data-dir", str(work / "busy"), "index",
                             str(FINANCEBENCH / "pdfs")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)



def one(lib: Any, question: str) -> dict[str, float]:
    from docent.core.types import AnswerDone, Token

    t = time.perf_counter()
    first = None
    done = None
    for ev in lib.ask(question):
        if isinstance(ev, Token) and first is None:
            first = time.perf_counter() - t
        elif isinstance(ev, AnswerDone):
            done = ev
    assert done is not None
    tm = done.timings
    decode = tm.get("generation_s", 0.0) - tm.get("first_token_s", 0.0)
    tokens = tm.get("answer_tokens", 0.0)
    return {"ttft_s": first if first is not None else float("nan"), "tokens": tokens,
            "tokens_per_s": (tokens - 1) / decode if decode > 0 and tokens > 1 else float("nan"),
            "prompt_tokens": tm.get("prompt_tokens", 0.0), "total_s": time.perf_counter() - t}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="gemma3-270m,smollm2-135m-instruct")
    ap.add_argument("--data-dir")
    ap.add_argument("--threads", type=int, default=0, help="llama.cpp threads (0: Docent's choice)")
    ap.add_argument("--questions", type=int, default=5)
    ap.add_argument("--during-indexing", action="store_true", help="also measure while another process indexes")
    args = ap.parse_args()
    quiet_logs()
    from docent.core.library import Library

    qa = squad_set(12)
    warm_up, *questions = [q["question"] for q in spaced(qa.questions, args.questions + 1)]
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="docent-speed-"))

    def figures(lib: Any, runs: list[dict[str, float]], load_before: float) -> dict[str, Any]:
        speeds = [x["tokens_per_s"] for x in runs if x["tokens_per_s"] == x["tokens_per_s"]]
        firsts = [x["ttft_s"] for x in runs if x["ttft_s"] == x["ttft_s"]]  # declined before the model: none
        return {
            "answered_by_the_model": len(firsts),
            "ttft_p50_s": round(statistics.median(firsts), 2) if firsts else None,
            "ttft_p95_s": round(pct(firsts, 0.95), 2) if firsts else None,
            "ttft_max_s": round(max(firsts), 2) if firsts else None,
            "tokens_per_s_p50": round(statistics.median(speeds), 1) if speeds else None,
            "prompt_tokens_p50": statistics.median(x["prompt_tokens"] for x in runs),
            "answer_s_p50": round(statistics.median(x["total_s"] for x in runs), 2),
            "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }

    with Library(data_dir) as lib:
        list(lib.index(qa.docs))
        base = lib.settings
        for model in args.models.split(","):
            lib.set_settings(replace(base, chat_model=model, n_threads=args.threads))
            load_before = os.getloadavg()[0]
            one(lib, warm_up)
            out: dict[str, Any] = {"model": lib.chat_model().name, "cpus": os.cpu_count(),
                                   "idle": figures(lib, [one(lib, q) for q in questions], load_before)}
            if args.during_indexing:
                with tempfile.TemporaryDirectory(prefix="docent-busy-") as work:
                    busy = start_indexing(Path(work))
                    try:
                        time.sleep(20)  # past its start-up: reading and embedding pages
                        load_before = os.getloadavg()[0]
                        runs = [one(lib, q) for q in questions]
                        out["during_indexing"] = dict(figures(lib, runs, load_before),
                                                      indexer_still_running=busy.poll() is None)
                    finally:
                        busy.kill()
                        busy.wait()
            print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

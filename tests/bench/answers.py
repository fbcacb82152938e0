"""Answer quality on a sample of the SQuAD questions, through Docent's own ask path: answer accuracy
(normalised answer contains a gold answer), citation correctness (a citation points at the gold
document and page), decline rate, and latency, for each packaged chat model.

    python tests/bench/answers.py --data-dir DIR [--sample 40] [--models smollm2-135m-instruct,gemma3-270m] [--sources 3,5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import SQUAD, gold_pages, normalize, squad_questions  # noqa: E402


def run(lib, questions, pages):  # type: ignore[no-untyped-def]
    from docent.core.types import AnswerDone

    correct = cited_ok = answered = 0
    latencies, ttfts = [], []
    for q in questions:
        t = time.perf_counter()
        done = [e for e in lib.ask(q["question"]) if isinstance(e, AnswerDone)][0]
        latencies.append(time.perf_counter() - t)
        ttfts.append(done.timings.get("retrieval_s", 0) + done.timings.get("first_token_s", 0))
        golds = [normalize(a) for a in q["answers"]]
        if any(g and g in normalize(done.answer) for g in golds):
            correct += 1
        if done.answered:
            answered += 1
            if any(Path(c.path).stem == q["doc"] and c.page == pages.get(q["id"]) for c in done.citations):
                cited_ok += 1
    n = len(questions)
    return {
        "answer_accuracy": round(correct / n, 3),
        "answered": round(answered / n, 3),
        "citation_correct_of_answered": round(cited_ok / answered, 3) if answered else None,
        "latency_p50_s": round(statistics.median(latencies), 2),
        "ttft_p50_s": round(statistics.median(ttfts), 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir")
    ap.add_argument("--sample", type=int, default=40)
    ap.add_argument("--models", default="smollm2-135m-instruct,gemma3-270m")
    ap.add_argument("--sources", default="5")
    args = ap.parse_args()
    from docent.core.library import Library

    all_q = squad_questions()
    step = max(1, len(all_q) // args.sample)
    questions = all_q[::step][: args.sample]
    pages = gold_pages(SQUAD / "docs_pdf", questions)
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="docent-bench-"))
    report = {}
    with Library(data_dir) as lib:
        list(lib.index([SQUAD / "docs_pdf"]))
        base = lib.settings
        for model in args.models.split(","):
            for sources in (int(s) for s in args.sources.split(",")):
                lib.settings = replace(base, chat_model=model, sources=sources)
                key = f"{model}/sources={sources}"
                report[key] = run(lib, questions, pages)
                print(key, json.dumps(report[key]), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

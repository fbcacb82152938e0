"""Tokens/s of an answer with llama.cpp's thread count chosen by `core.models.threads` (the
physical cores less one) against n_threads = every core, idle and while a second process indexes
documents (the embedder busy on every core, as a background sync is). Decode speed only: each run
writes `--tokens` tokens after a fixed prompt (the prompt's own evaluation is timed apart).

    .venv/bin/python tests/bench/threads.py [--model gemma3-270m] [--tokens 96] [--reps 3] [--docs 24]

Prints JSON: for each thread count, tokens/s idle and during indexing (medians of --reps runs) and
the machine's physical and logical cores. The machine's other load is not controlled: run it on a
quiet machine and read the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import REPO, SQUAD, median, quiet_logs  # noqa: E402

PROMPT = ("Using only the sources, answer the question and cite them as [n].\n\n[1] The Normans were the "
          "people who in the 10th and 11th centuries gave their name to Normandy, a region in France.\n\n"
          "Question: Who gave their name to Normandy, and when? Write four sentences.")

INDEXER = """
import sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from docent.core.library import Library
with Library(Path({data!r})) as lib:
    while True:
        for ev in lib.index([Path(p) for p in {docs!r}], force=True):
            pass
"""


def decode_rate(model: Any, tokens: list[int], n: int) -> tuple[float, float]:
    """(tokens/s from the first token to the last, prompt evaluation s) of one cold run."""
    from docent.core.cancel import NEVER

    model._llm.reset()  # noqa: SLF001 - cold: the prompt is evaluated again
    t0 = time.perf_counter()
    first = None
    count = 0
    for _ in model.stream(tokens, n, [], NEVER):
        count += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    assert first is not None
    return (count - 1) / max(1e-9, end - first), first - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="gemma3-270m")
    ap.add_argument("--tokens", type=int, default=96)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--docs", type=int, default=24)
    ap.add_argument("--threads", default="", help="thread counts to compare (default: chosen and all cores)")
    args = ap.parse_args()
    quiet_logs()
    from docent.core.models import packaged
    from docent.core.models.llm import ChatModel, LLMSettings
    from docent.core.models.threads import generation_threads, physical_cores

    path = packaged.chat_model_path(args.model)
    chosen, logical = generation_threads(), os.cpu_count() or 1
    counts = [int(x) for x in args.threads.split(",")] if args.threads else sorted({chosen, logical})
    docs = [str(p) for p in sorted((SQUAD / "docs_pdf").glob("*.pdf"))[: args.docs]]
    out: dict[str, Any] = {"physical_cores": physical_cores(), "logical_cpus": logical, "chosen": chosen,
                           "model": path.name, "tokens": args.tokens, "reps": args.reps, "runs": {}}
    for n in counts:
        model = ChatModel(path, LLMSettings(n_threads=n, n_ctx=1024))
        tokens = model.tokenize(PROMPT)  # decode speed does not depend on the chat template
        decode_rate(model, tokens, 8)  # warm the weights into memory
        idle = [decode_rate(model, tokens, args.tokens) for _ in range(args.reps)]
        with tempfile.TemporaryDirectory(prefix="docent-threads-") as data:
            script = INDEXER.format(repo=str(REPO / "desktop"), data=data, docs=docs)
            proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                time.sleep(8)  # the library open and the first files' extraction, then embedding
                busy = [decode_rate(model, tokens, args.tokens) for _ in range(args.reps)]
            finally:
                proc.kill()
                proc.wait()
        model.close()
        out["runs"][str(n)] = {
            "tokens_per_s_idle": round(median([r for r, _ in idle]), 1),
            "tokens_per_s_indexing": round(median([r for r, _ in busy]), 1),
            "prompt_eval_s_idle": round(median([p for _, p in idle]), 3),
            "prompt_eval_s_indexing": round(median([p for _, p in busy]), 3),
        }
        print(n, json.dumps(out["runs"][str(n)]), flush=True)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

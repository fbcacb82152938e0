"""Long fuzzing runs (not collected as tests): the mutations and checks of tests/test_fuzz.py, for as
many iterations as asked, with counts printed as JSON.

    .venv/bin/python tests/bench/fuzz.py --iterations 5000

- parsers: each iteration mutates one seed document (byte flips, truncations, junk, zip entries
  replaced or dropped, declared sizes changed) and extracts it in this process; every
  `--worker-every`-th input also goes through the indexer's worker process. Outcomes are counted as
  "ok" (extracted), "error" (ExtractError with a readable reason) or "crash" (anything else: a
  bug); each distinct crash is saved under tests/bench/results/fuzz/ for replay.
- chunker: `--chunker-examples` hypothesis examples of the chunker's invariants.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import time
import traceback
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
RESULTS = TESTS / "bench" / "results" / "fuzz"


def fuzz_parsers(iterations: int, seed: int, worker_every: int, work: Path) -> dict[str, Any]:
    import test_fuzz as tf
    from docent.core.ingest.extract import ExtractError
    from docent.core.ingest.extract.worker import ProcessExtractor

    rng = random.Random(seed)
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    crashes: dict[str, dict[str, Any]] = {}
    reasons: collections.Counter[str] = collections.Counter()
    worker_counts: collections.Counter[str] = collections.Counter()

    def crash(where: str, name: str, data: bytes, exc: BaseException) -> None:
        key = f"{where} {name}: {type(exc).__name__}: {str(exc)[:160]}"
        if key not in crashes:
            RESULTS.mkdir(parents=True, exist_ok=True)
            saved = RESULTS / f"crash-{len(crashes):03d}-{name}"
            saved.write_bytes(data)
            crashes[key] = {"count": 0, "input": str(saved),
                            "trace": traceback.format_exception(exc, limit=-4)[-6:]}
        crashes[key]["count"] += 1

    started = time.monotonic()
    with ProcessExtractor(timeout_s=30, grace_s=0.0) as worker:
        for it in range(iterations):
            name, data = tf.random_mutation(rng, tf.SEEDS)
            path = work / f"in-{name}"
            path.write_bytes(data)
            try:
                expected = tf.extract_in_process(path)  # "ok" or the reason
            except (Exception, tf.Hang) as exc:  # noqa: BLE001 - counting them is the point
                expected = None
                crash("in-process", name, data, exc)
            outcome = "crash" if expected is None else "ok" if expected == "ok" else "error"
            if outcome == "error":
                reasons[str(expected).split("(")[0].strip()[:60]] += 1
            counts[name][outcome] += 1
            if worker_every and it % worker_every == 0:
                try:
                    try:
                        result = worker.result(str(path))
                    except ExtractError as exc:
                        tf.check_reason(exc)
                        # the worker gives the same reason as this process, not a catch-all
                        assert expected is None or exc.reason == expected, (exc.reason, expected)
                        worker_counts["error"] += 1
                    else:
                        tf.check_extraction(result)
                        assert expected in (None, "ok"), expected
                        worker_counts["ok"] += 1
                except Exception as exc:  # noqa: BLE001
                    worker_counts["crash"] += 1
                    crash("worker", name, data, exc)
    return {
        "iterations": iterations,
        "seconds": round(time.monotonic() - started, 1),
        "by_seed": {k: dict(v) for k, v in sorted(counts.items())},
        "totals": dict(sum(counts.values(), collections.Counter())),
        "worker": dict(worker_counts),
        "top_reasons": dict(reasons.most_common(12)),
        "crashes": crashes,
    }


def fuzz_chunker(examples: int) -> dict[str, Any]:
    from hypothesis import HealthCheck, given, settings

    import test_fuzz as tf
    from docent.core.models.embedder import default_embedder

    embedder = default_embedder()
    seen = {"examples": 0}

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(blocks=tf.block_lists(), params=tf.chunk_params())
    def run(blocks: Any, params: Any) -> None:
        seen["examples"] += 1
        tf.check_chunks(blocks, embedder.token_spans, params)

    started = time.monotonic()
    failure = None
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - hypothesis re-raises the shrunk failure
        failure = "".join(traceback.format_exception(exc, limit=-2))[-2000:]
    return {"examples_run": seen["examples"], "seconds": round(time.monotonic() - started, 1), "failure": failure}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--iterations", type=int, default=2000, help="mutated documents to extract")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--worker-every", type=int, default=4, help="send every n-th input through the worker too (0: never)")
    ap.add_argument("--chunker-examples", type=int, default=None, help="hypothesis examples for the chunker (default: iterations)")
    args = ap.parse_args()
    sys.path[:0] = [str(TESTS), str(TESTS / "netguard")]
    import logging

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # its repair notes on every damaged file
    import tempfile

    with tempfile.TemporaryDirectory(prefix="docent-fuzz-") as tmp:
        out = {
            "parsers": fuzz_parsers(args.iterations, args.seed, args.worker_every, Path(tmp)),
            "chunker": fuzz_chunker(args.chunker_examples if args.chunker_examples is not None else args.iterations),
        }
    print(json.dumps(out, indent=1))
    bad = out["parsers"]["crashes"] or out["chunker"]["failure"]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

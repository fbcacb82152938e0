"""Fairness: a question asked while a big tree is being indexed, run as the window runs it (one
library lane, the question an INTERACTIVE job, indexing a BACKGROUND one), with a real Qt event loop
(offscreen). Measures the question's time to first token idle and while indexing runs (target: at
most 1.5× idle), and the longest stall of the event loop over the whole run (target: < 100 ms),
seen by a 5 ms timer on the window's thread.

    .venv/bin/python -m tests.bench.fairness [--files 1000] [--tree DIR] [--asks 3] [--json]

The tree is generated as tests/bench/scale.py makes it (or --tree: any folder); the questions are
about the packaged samples, indexed first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.bench.common import REPO, median, r  # noqa: E402

QUESTIONS = ("How many days of paid annual leave does an employee get?",
             "What is the daily limit for meal expenses?",
             "What changed in the latest release?")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--files", type=int, default=1000, help="size of the generated tree (without --tree)")
    ap.add_argument("--tree", help="index this folder instead of a generated tree")
    ap.add_argument("--asks", type=int, default=3, help="questions idle, and again while indexing")
    ap.add_argument("--tokens", type=int, default=24)
    ap.add_argument("--work", help="working folder, kept (default: a temporary one)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEventLoop, QTimer

    from docent.core.answer.params import AskParams
    from docent.core.library import Library
    from docent.core.types import SyncDone, Token
    from docent.ui.tasks import Job, Lane, Priority
    from tests.bench.common import drain

    app = QCoreApplication.instance() or QCoreApplication(sys.argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="docent-fair-"))
    tree = Path(args.tree) if args.tree else work / f"tree{args.files}"
    if not args.tree:
        from tests.bench.scale import make_tree

        make_tree(tree, args.files)
    samples = REPO / "resources" / "samples"
    data = work / "library"
    shutil.rmtree(data, ignore_errors=True)
    lib = Library(data)
    drain(lib.index([samples]), SyncDone)

    # the event loop's longest stall: a 5 ms timer on this (the window's) thread
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]
    gaps: list[int] = []

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()

    lane = Lane("library")
    params = AskParams(max_answer_tokens=args.tokens)

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def ask(q: str) -> dict[str, Any]:
        """Submit a question; → seconds to its first token and to its end."""
        t0 = time.perf_counter()
        out: dict[str, Any] = {}
        loop = QEventLoop()

        def on_event(ev: object) -> None:
            if isinstance(ev, Token) and "ttft_s" not in out:
                out["ttft_s"] = time.perf_counter() - t0

        job = Job("ask", lambda cancel: lib.ask(q, cancel=cancel, params=params), Priority.INTERACTIVE)
        job.event.connect(on_event)
        job.finished.connect(lambda _c: loop.quit())
        lane.submit(job)
        loop.exec()
        out["total_s"] = time.perf_counter() - t0
        return out

    report: dict[str, Any] = {"machine": {"cores": os.cpu_count(), "load_start": os.getloadavg()[0]}, "tree": str(tree)}
    ask(QUESTIONS[1])  # load the model (not timed)
    gaps.clear()
    # two answered questions in turn, idle and while indexing alike: each prompt then shares only
    # the system prompt with the one before (a question asked twice in a row would be cached)
    idle = [ask(QUESTIONS[i % 2]) for i in range(args.asks)]
    idle_stall = max(gaps, default=0)

    progress = {"events": 0, "files": 0}
    index_done = [False]

    def on_index(ev: object) -> None:
        progress["events"] += 1
        if type(ev).__name__ == "FileDone":
            progress["files"] += 1

    job = Job("index", lambda cancel: lib.index([tree], cancel, force=True), Priority.BACKGROUND)
    job.event.connect(on_index)
    job.finished.connect(lambda _c: index_done.__setitem__(0, True))
    gaps.clear()
    lane.submit(job)
    wait(4000)  # indexing well under way
    busy: list[dict[str, Any]] = []
    for i in range(args.asks):
        if index_done[0]:
            break
        res = ask(QUESTIONS[i % 2])
        res["files_indexed_before"] = progress["files"]
        busy.append(res)
        wait(2000)
    busy_stall = max(gaps, default=0)
    job.cancel()
    while not index_done[0]:
        wait(50)
    lane.shutdown(lib.close)
    timer.stop()

    idle_ttft = median([x["ttft_s"] for x in idle if "ttft_s" in x])
    busy_ttft = median([x["ttft_s"] for x in busy if "ttft_s" in x]) if busy else None
    report.update({
        "idle": {"ttft_s": r(idle_ttft, 2), "runs": [{k: r(v, 2) for k, v in x.items()} for x in idle]},
        "indexing": {"ttft_s": r(busy_ttft, 2) if busy_ttft else None,
                     "runs": [{k: r(v, 2) for k, v in x.items()} for x in busy],
                     "files_indexed": progress["files"]},
        "ttft_ratio": r(busy_ttft / idle_ttft, 2) if busy_ttft and idle_ttft else None,
        "max_event_loop_stall_ms": {"idle": idle_stall, "indexing": busy_stall},
    })
    report["machine"]["load_end"] = os.getloadavg()[0]
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(f"time to first token: idle {report['idle']['ttft_s']} s, while indexing {report['indexing']['ttft_s']} s "
              f"(ratio {report['ttft_ratio']}; target ≤ 1.5); {progress['files']} files indexed meanwhile")
        print(f"longest event-loop stall: idle {idle_stall} ms, while indexing {busy_stall} ms (target < 100 ms)")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())

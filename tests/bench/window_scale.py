"""The window with a big library: cold start until every document is listed, the filter's keystrokes,
and the idle memory, at 1k and 10k documents (or --docs N).

    .venv/bin/python -m tests.bench.window_scale [--docs 1000 10000] [--work DIR] [--runs 3] [--json]

For each size a library data dir is built once (kept in --work, reused when it is there): N
synthetic document rows written straight through the catalog (begin_document → add_chunks with one
chunk → finish_document; no vectors: the window never needs them to list the library), with mixed
.pdf/.docx/.txt/.md names in nested folders under four followed folders (one of them a single folder
of 20% of the documents, like a scanner's output), a few skipped and failed ones with their reasons,
and an empty file on disk for each (the window watches the files). Then, in a fresh child process
(offscreen Qt), the real window (docent.app.main) is started on it and measured:

  opened_s    process start → the library open (its rows read, on the library's lane)
  ready_s     process start → window shown, every document in the library's model, the proxy
              showing the tree, and the event loop turning again (a zero timer fired)
  stall_ms    the longest the event loop was blocked between the window being shown and ready
              (a 5 ms heartbeat timer; its largest gap less 5 ms)
  key_ms      for each of the 6 keystrokes of a filter typed slowly (each waits for the previous to be
              applied), the longest event-loop stall from the key press until the filter is applied
              and the event loop turned; then the same for clearing it ("clear")
  latency_ms  key press → filter applied (includes a debounce, which is not a stall)
  expand_ms   the event loop's longest stall expanding the folder of a fifth of the library
  rss_mb      VmRSS of the window's process after the listing, idle for 1 s

Targets (issue "A whole career of documents", 2 cores): ready < 1.5 s at 10k, every keystroke's
stall < 100 ms, idle RSS < 800 MB. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FILTER = "report"  # six keystrokes: "r" matches most of the library, "report" one name in twelve
WORDS = ("minutes", "budget", "report", "invoice", "contract", "letter", "notes", "memo", "proposal",
         "summary", "review", "plan")
EXTS = (".pdf", ".pdf", ".docx", ".txt", ".md")
ROOTS = ("work", "personal", "archive", "scans")

CHILD = r"""
import json, os, sys, time
t0 = float(os.environ["DOCENT_BENCH_T0"])
expect = int(os.environ["DOCENT_BENCH_DOCS"])
big = os.environ["DOCENT_BENCH_BIG"]  # the folder holding a fifth of the library
text = os.environ["DOCENT_BENCH_FILTER"]
if os.environ.get("DOCENT_BENCH_KEEP_SINGLETONS"):  # --keep-singletons-alive: what the window does now
    import ctypes
    for _obj in (None, True, False):
        ctypes.c_ssize_t.from_address(id(_obj)).value += 1 << 40
from PySide6.QtCore import QTimer, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
import docent.app as app
from docent.ui.models.documents import KIND_ROLE

made = app.create_window
out = {"gc_ms": []}
import gc
_gc = {}
def _gc_watch(phase, info):  # the collector's own pauses, part of what a stall can be
    if phase == "start":
        _gc["t"] = time.perf_counter()
    elif "t" in _gc and info.get("generation") == 2:
        out["gc_ms"].append(round(1000 * (time.perf_counter() - _gc.pop("t")), 1))
gc.callbacks.append(_gc_watch)
beat = {"last": None, "max": 0.0, "on": False}

def heartbeat(interval=0.0):
    now = time.perf_counter()
    if beat["on"] and beat["last"] is not None:
        beat["max"] = max(beat["max"], now - beat["last"] - interval)
    beat["last"] = now

def stall_window(start):
    beat["on"], beat["max"], beat["last"] = True, 0.0, time.perf_counter()

def stall_end():
    heartbeat()
    beat["on"] = False
    return 1000 * beat["max"]

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0

def create_window(*args, **kwargs):
    window = made(*args, **kwargs)
    window.library.auto_sync_on_open = False
    pane = window.library_pane
    timer = QTimer(window)
    timer.setInterval(5)
    timer.timeout.connect(lambda: heartbeat(0.005))
    applied = getattr(pane, "filterApplied", None)  # a pane that applies the filter later says when

    def listed():
        return pane.model.document_count() == expect and pane.proxy.rowCount() > 0

    window.library.opened.connect(lambda _state: out.setdefault("opened_s", time.time() - t0))

    def shown():
        out["shown_s"] = time.time() - t0
        stall_window(time.perf_counter())
        timer.start()
        poll()

    def poll():
        if listed():
            QTimer.singleShot(0, ready)
        else:
            QTimer.singleShot(2, poll)

    def ready():
        out["ready_s"] = time.time() - t0
        out["stall_ms"] = stall_end()
        QTimer.singleShot(1000, idle)

    def idle():
        out["rss_mb"] = rss_mb()
        pane.filter.setFocus()
        out["key_ms"], out["latency_ms"] = [], []
        type_key(0)

    def wait_applied(want, then):
        start = time.perf_counter()
        stall_window(start)
        state = {"done": applied is None}

        def on_applied(value):
            if value == want:
                state["done"] = True
        if applied is not None:
            applied.connect(on_applied)

        def check():
            if state["done"]:
                latency = 1000 * (time.perf_counter() - start)
                QTimer.singleShot(0, lambda: finish(latency))
            else:
                QTimer.singleShot(1, check)

        def finish(latency):
            if applied is not None:
                applied.disconnect(on_applied)
            out["key_ms"].append(stall_end())
            out["latency_ms"].append(latency)
            QTimer.singleShot(30, then)
        return start, check

    def type_key(i):
        if i == len(text):
            out["matches"] = count_docs()
            clear()
            return
        start, check = wait_applied(text[: i + 1].strip(), lambda: type_key(i + 1))
        QTest.keyClick(pane.filter, text[i])
        heartbeat()
        check()

    def clear():
        start, check = wait_applied("", expand_big)
        pane.filter.clear()
        heartbeat()
        check()

    def expand_big():
        index = pane.model.index_of(big)
        if pane.proxy is not pane.model:  # a proxy in front of the model (the code before)
            index = pane.proxy.mapFromSource(index)
        pane.tree.collapse(index)
        QTimer.singleShot(30, lambda: expand(index))

    def expand(index):
        stall_window(time.perf_counter())
        pane.tree.expand(index)
        pane.tree.scrollTo(index)
        heartbeat()
        QTimer.singleShot(0, lambda: (out.__setitem__("expand_ms", stall_end()), done()))

    def count_docs():
        proxy, n = pane.proxy, 0
        stack = [proxy.index(r, 0) for r in range(proxy.rowCount())]
        while stack:
            idx = stack.pop()
            while proxy.canFetchMore(idx):
                proxy.fetchMore(idx)
            rows = proxy.rowCount(idx)
            if rows == 0 and idx.data(KIND_ROLE) == "doc":
                n += 1
            stack.extend(proxy.index(r, 0, idx) for r in range(rows))
        return n

    def done():
        out["listed"] = pane.model.document_count()
        print("RESULT " + json.dumps(out), flush=True)
        window.close()
        QApplication.instance().quit()

    QTimer.singleShot(0, shown)  # runs once the event loop turns with the window shown
    return window

app.create_window = create_window
sys.exit(app.main())
"""


def build_library(data_dir: Path, corpus: Path, n: int, seed: int = 7) -> dict[str, Any]:
    """N synthetic documents in `data_dir`'s catalog, their (empty) files under `corpus`, and the
    followed folders in folders.json. → facts about what was written."""
    from docent.core.ingest.folders import FolderList
    from docent.core.library import Library
    from docent.core.types import Chunk

    rng = random.Random(seed)
    roots = [corpus / r for r in ROOTS]
    lib = Library(data_dir)
    try:
        catalog = lib.catalog
        statuses: dict[str, int] = {}
        for i in range(n):
            word = WORDS[i % len(WORDS)]
            ext = EXTS[rng.randrange(len(EXTS))]
            year = 2000 + rng.randrange(25)
            if i % 5 == 4:  # a fifth of the library in one flat folder
                folder = roots[3] / "inbox"
            else:
                root = roots[rng.randrange(3)]
                folder = root / str(year) / f"client_{rng.randrange(12):02d}"
                if rng.random() < 0.3:
                    folder = folder / rng.choice(("drafts", "final", "correspondence"))
            path = folder / f"{word}_{year}_{i:05d}{ext}"
            folder.mkdir(parents=True, exist_ok=True)
            path.touch()
            roll = rng.random()
            if roll < 0.02:
                catalog.record_outcome(str(path), 0, 0.0, f"sha-{i}", "failed", "the file is damaged (no page tree)")
                status = "failed"
            elif roll < 0.05:
                catalog.record_outcome(str(path), 0, 0.0, f"sha-{i}", "skipped", "no text: a scan without OCR")
                status = "skipped"
            else:
                doc_id = catalog.begin_document(str(path), rng.randrange(2_000, 5_000_000), 0.0, f"sha-{i}")
                text = f"{word} for {year}, document {i}."
                chunk = Chunk(f"win{i:06d}-0000", 0, text, 1, 1, "p. 1", "", 0, len(text), 12)
                catalog.add_chunks(doc_id, [chunk], [path.stem])
                pages = rng.randrange(1, 80) if ext in (".pdf", ".docx") else 0
                notes = "2 pages read by OCR" if rng.random() < 0.01 else ""
                catalog.finish_document(doc_id, pages=pages, chunks=1, embedder_id="synthetic", chunker="synthetic",
                                        title=path.stem, notes=notes)
                status = "indexed"
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        lib.close()
    folders = FolderList.load(data_dir)
    for root in roots:
        folders.add(root)
    folders.save()
    return {"docs": n, "statuses": statuses}


def ensure_library(work: Path, n: int) -> Path:
    data_dir = work / f"lib{n}"
    marker = data_dir / "window_scale.json"
    if marker.exists():
        return data_dir
    t = time.perf_counter()
    facts = build_library(data_dir, work / f"corpus{n}", n)
    facts["build_s"] = round(time.perf_counter() - t, 1)
    marker.write_text(json.dumps(facts), encoding="utf-8")
    print(f"built a library of {n} documents in {facts['build_s']} s: {facts['statuses']}", file=sys.stderr)
    return data_dir


def expected_matches(data_dir: Path, text: str) -> int:
    """Documents whose name (or state, or kind) holds the filter text, as the pane filters."""
    from docent.core.storage.catalog import Catalog

    catalog = Catalog(data_dir / "catalog.sqlite3")
    try:
        names = [os.path.basename(d.path) for d in catalog.documents()]
    finally:
        catalog.close()
    return sum(text.lower() in n.lower() for n in names)


def run_once(data_dir: Path, n: int, env: dict[str, str]) -> dict[str, Any]:
    env = dict(env, DOCENT_DATA_DIR=str(data_dir), DOCENT_BENCH_T0=repr(time.time()), DOCENT_BENCH_DOCS=str(n),
               DOCENT_BENCH_FILTER=FILTER, DOCENT_BENCH_BIG=str(data_dir.parent / f"corpus{n}" / ROOTS[3] / "inbox"))
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300,
                         cwd=ROOT)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT "):])
            return result
    raise RuntimeError(f"no figures from the child (rc {out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")


def summarise(runs: list[dict[str, Any]], expect: int) -> dict[str, Any]:
    med = statistics.median
    keys = [max(r["key_ms"][i] for r in runs) for i in range(len(runs[0]["key_ms"]))]
    return {
        "runs": len(runs),
        "shown_s": round(med(r["shown_s"] for r in runs), 3),
        "opened_s": round(med(r["opened_s"] for r in runs), 3),
        "ready_s": round(med(r["ready_s"] for r in runs), 3),
        "ready_max_s": round(max(r["ready_s"] for r in runs), 3),
        "stall_ms": round(med(r["stall_ms"] for r in runs), 1),
        "key_ms": [round(k, 1) for k in keys],  # worst run, per keystroke (the last: clearing)
        "key_max_ms": round(max(keys), 1),
        "latency_ms": [round(med(r["latency_ms"][i] for r in runs), 1) for i in range(len(runs[0]["latency_ms"]))],
        "expand_ms": round(max(r["expand_ms"] for r in runs), 1),
        "rss_mb": round(med(r["rss_mb"] for r in runs), 1),
        "gc2_max_ms": max((max(r["gc_ms"], default=0.0) for r in runs), default=0.0),
        "key_runs": [r["key_ms"] for r in runs],
        "listed": runs[0]["listed"],
        "matches": runs[0]["matches"],
        "matches_expected": expect,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--work", type=Path, help="keep (and reuse) the built libraries here")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--keep-singletons-alive", action="store_true",
                    help="make None, True and False immortal in the child first, to measure code from before the "
                         "window did so (PySide6 6.12 on Python 3.11 drops a reference to None at every call that "
                         "returns nothing, to True at every signal emitted: without this such code aborts)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="docent-window-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env["QT_QPA_PLATFORM"] = "offscreen"
    env.setdefault("DOCENT_LOG_DIR", str(work / "logs"))
    if args.keep_singletons_alive:
        env["DOCENT_BENCH_KEEP_SINGLETONS"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "desktop"), env.get("PYTHONPATH", "")]))
    results: dict[str, Any] = {}
    for n in args.docs:
        data_dir = ensure_library(work, n)
        run_once(data_dir, n, env)  # warm-up (file cache), not counted
        runs = [run_once(data_dir, n, env) for _ in range(args.runs)]
        results[str(n)] = summarise(runs, expected_matches(data_dir, FILTER))
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print(f"platform: {env['QT_QPA_PLATFORM'] if 'QT_QPA_PLATFORM' in env else 'default'}, "
          f"runs: {args.runs} (median; keystrokes: the worst run), filter {FILTER!r}")
    print(f"{'docs':>6} {'shown s':>8} {'opened s':>9} {'ready s':>8} {'stall ms':>9} {'key max ms':>11} "
          f"{'expand ms':>10} {'rss MB':>7}  listed  matches")
    for n, r in results.items():
        print(f"{n:>6} {r['shown_s']:>8.3f} {r['opened_s']:>9.3f} {r['ready_s']:>8.3f} {r['stall_ms']:>9.1f} {r['key_max_ms']:>11.1f} "
              f"{r['expand_ms']:>10.1f} {r['rss_mb']:>7.1f}  {r['listed']:>6}  {r['matches']}/{r['matches_expected']}")
        print(f"{'':>6} keystrokes ms (stall): {r['key_ms']}; key → applied ms: {r['latency_ms']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Memory and incremental-sync figures. Memory is measured in child processes (a fresh interpreter
per measurement, so one figure never inherits another's peak):

    python tests/bench/footprint.py index-rss DATA_DIR FILE   → JSON: RSS after loading, peak while indexing
    python tests/bench/footprint.py idle-rss DATA_DIR         → JSON: RSS with the embedder and chat model loaded

`incremental` (called by run.py) times one changed file in a library of many small files, through
`python -m docent index` (a subprocess: interpreter start, imports, model load included) and
in-process (an open Library, as the app's watcher would have it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import REPO, drain, median, peak_rss_mb, quiet_logs, r, rss_mb  # noqa: E402


# ---- child-process measurements ------------------------------------------------------------------
def _tree_rss_mb(root: int) -> tuple[float, float]:
    """Resident memory of a process and of all its descendants (e.g. Docent's extraction worker), MB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    kids, todo = 0, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        kids += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    mb = 1024 * 1024
    return rss.get(root, 0) / mb, kids / mb


class TreeSampler:
    """Samples the process tree's RSS every `interval` s on a thread: `.peak` (the whole tree) and
    `.children_peak` (descendants only), MB. (ru_maxrss of children is useless here: a child that
    forks and execs inherits its parent's high-water mark.)"""

    def __init__(self, interval: float = 0.05) -> None:
        import threading

        self.interval = interval
        self.peak = self.children_peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            own, kids = _tree_rss_mb(me)
            self.peak = max(self.peak, own + kids)
            self.children_peak = max(self.children_peak, kids)
            self._stop.wait(self.interval)

    def __enter__(self) -> "TreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _index_rss(data_dir: Path, file: Path) -> dict[str, Any]:
    from docent.core.library import Library
    from docent.core.types import SyncDone

    start = rss_mb()
    with Library(data_dir) as lib:
        _ = lib.embedder, lib.store
        loaded = rss_mb()
        peak_before = peak_rss_mb()
        t = time.perf_counter()
        with TreeSampler() as tree:
            done = drain(lib.index([file]), SyncDone)
        seconds = time.perf_counter() - t
        after = rss_mb()
    return {"rss_start_mb": r(start, 1), "rss_loaded_mb": r(loaded, 1), "peak_before_index_mb": r(peak_before, 1),
            "peak_mb": r(peak_rss_mb(), 1), "children_peak_mb": r(tree.children_peak, 1), "tree_peak_mb": r(tree.peak, 1),
            "peak_total_mb": r(max(tree.peak, peak_rss_mb()), 1),
            "rss_after_mb": r(after, 1), "pages": done.pages, "chunks": done.chunks, "seconds": r(seconds, 2)}


def _idle_rss(data_dir: Path) -> dict[str, Any]:
    import gc

    from docent.core.library import Library

    with Library(data_dir) as lib:
        _ = lib.embedder, lib.store
        with_embedder = rss_mb()
        model = lib.chat_model()
        gc.collect()
        time.sleep(1.0)
        return {"rss_embedder_mb": r(with_embedder, 1), "rss_with_chat_model_mb": r(rss_mb(), 1),
                "peak_mb": r(peak_rss_mb(), 1), "chat_model": model.name, "n_ctx": model.n_ctx}


def child(kind: str, *args: str, timeout: float = 1800) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter (this venv's); → its JSON, or {"error": ...}."""
    cmd = [sys.executable, str(Path(__file__).resolve()), kind, *args]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-400:]}"}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = r(time.perf_counter() - t, 2)
    return out


# ---- incremental sync ----------------------------------------------------------------------------
def _touch_change(path: Path, n: int) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"\nEdited line number {n}: the quarterly figures were revised.\n")


def incremental(data_dir: Path, folder: Path, n_files: int, runs: int) -> dict[str, Any]:
    """Build a library of the small files in `folder`, then re-index after changing one file:
    `runs` times through the CLI, `runs` times in-process."""
    from docent.core.models.embedder import default_embedder
    from docent.core.library import Library
    from docent.core.types import SyncDone

    files = sorted(p for p in folder.rglob("*") if p.is_file())
    with Library(data_dir, embedder=default_embedder()) as lib:
        t = time.perf_counter()
        first = drain(lib.index([folder]), SyncDone)
        build_s = time.perf_counter() - t
    cli, cli_reported, cli_ok = [], [], True
    env = dict(os.environ)
    for i in range(runs):
        _touch_change(files[(7 * i + 3) % len(files)], i)
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "docent", "--data-dir", str(data_dir), "index", str(folder), "--json"],
                              capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
        cli.append(time.perf_counter() - t)
        try:
            js = json.loads(proc.stdout.strip().splitlines()[-1])
            cli_reported.append(js["seconds"])
            cli_ok &= js["indexed"] == 1 and js["unchanged"] == len(files) - 1
        except (ValueError, IndexError, KeyError):
            cli_ok = False
    inproc, unchanged_s, ok = [], [], True
    with Library(data_dir, embedder=default_embedder()) as lib:
        t = time.perf_counter()
        drain(lib.index([folder]), SyncDone)  # warm: store open, nothing to do
        unchanged_s.append(time.perf_counter() - t)
        for i in range(runs):
            _touch_change(files[(11 * i + 5) % len(files)], 100 + i)
            t = time.perf_counter()
            done = drain(lib.index([folder]), SyncDone)
            inproc.append(time.perf_counter() - t)
            ok &= done.indexed == 1 and done.unchanged == len(files) - 1
            t = time.perf_counter()
            drain(lib.index([folder]), SyncDone)
            unchanged_s.append(time.perf_counter() - t)
    return {
        "files": len(files), "initial_index_s": r(build_s, 2), "initial_chunks": first.chunks,
        "cli_wall_s": r(median(cli), 3), "cli_wall_all_s": [r(x, 3) for x in cli],
        "cli_sync_reported_s": r(median(cli_reported), 3), "cli_correct": cli_ok,
        "inprocess_s": r(median(inproc), 4), "inprocess_all_s": [r(x, 4) for x in inproc], "inprocess_correct": ok,
        "unchanged_sync_s": r(median(unchanged_s), 4),
    }


def main() -> int:
    quiet_logs()
    kind, *args = sys.argv[1:]
    if kind == "index-rss":
        out = _index_rss(Path(args[0]), Path(args[1]))
    elif kind == "idle-rss":
        out = _idle_rss(Path(args[0]))
    else:
        raise SystemExit(f"unknown measurement {kind}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

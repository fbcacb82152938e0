"""Cold start of the desktop window: process start → window shown with its event loop running
(interactive), and → library open. Median of N runs, each a fresh process on a fresh data folder
holding the sample documents' index (so the library has something to open).

    .venv/bin/python tests/bench/startup.py [--runs 5] [--empty]

Uses the offscreen Qt platform unless a display is available (DISPLAY/WAYLAND_DISPLAY set).
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import os, sys, time
t0 = float(os.environ["DOCENT_BENCH_T0"])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import docent.app as app

made = app.create_window
marks = {}

def create_window(*args, **kwargs):
    window = made(*args, **kwargs)

    def shown():
        marks["shown"] = time.time() - t0
        if "opened" in marks:
            finish()

    def opened(_state):
        marks["opened"] = time.time() - t0
        if "shown" in marks:
            finish()

    def finish():
        print(f"SHOWN {marks['shown']:.4f} OPENED {marks['opened']:.4f}", flush=True)
        window.close()
        QApplication.instance().quit()

    window.library.opened.connect(opened)
    window.library.auto_sync_on_open = False
    QTimer.singleShot(0, shown)  # runs once the event loop turns with the window shown
    return window

app.create_window = create_window
sys.exit(app.main())
"""


def prepare(data_dir: Path, empty: bool) -> None:
    if empty:
        return
    subprocess.run([sys.executable, "-m", "docent", "--data-dir", str(data_dir), "index",
                    str(ROOT / "resources" / "samples")], check=True, capture_output=True)


def run_once(data_dir: Path, env: dict[str, str]) -> tuple[float, float]:
    env = dict(env, DOCENT_DATA_DIR=str(data_dir), DOCENT_BENCH_T0=repr(time.time()))
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    for line in out.stdout.splitlines():
        if line.startswith("SHOWN"):
            parts = line.split()
            return float(parts[1]), float(parts[3])
    raise RuntimeError(f"no timing from the child:\n{out.stdout}\n{out.stderr}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--empty", action="store_true", help="start on an empty library")
    args = ap.parse_args()
    env = dict(os.environ)
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env["QT_QPA_PLATFORM"] = "offscreen"
    tmp = Path(tempfile.mkdtemp(prefix="docent-startup-"))
    env.setdefault("DOCENT_LOG_DIR", str(tmp / "logs"))
    shown, opened = [], []
    for i in range(args.runs + 1):  # one warm-up run (file cache), not counted
        data_dir = tmp / f"lib{i}"
        prepare(data_dir, args.empty)
        s, o = run_once(data_dir, env)
        if i:
            shown.append(s)
            opened.append(o)
    print(f"platform: {env.get('QT_QPA_PLATFORM', 'default')}, runs: {args.runs}")
    print(f"process start → window shown and interactive: median {statistics.median(shown):.3f} s "
          f"(min {min(shown):.3f}, max {max(shown):.3f})")
    print(f"process start → library open:                  median {statistics.median(opened):.3f} s "
          f"(min {min(opened):.3f}, max {max(opened):.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

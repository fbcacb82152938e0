"""The window outlives PySide6's lost references to None and True (docent.ui.refcounts)."""

from __future__ import annotations

import subprocess
import sys


def test_none_and_true_outlive_many_calls_that_lose_them() -> None:
    """PySide6 6.12 on Python 3.11 drops a reference to None at each call returning nothing and one
    to True at each signal emitted; the window keeps both alive, else it aborted listing 1,000
    documents (and, emitting signals, in any session)."""
    code = ("from docent.ui.refcounts import keep_singletons_alive\n"
            "keep_singletons_alive()\n"
            "from PySide6.QtCore import QObject, Signal\n"
            "class Source(QObject):\n"
            "    said = Signal(int)\n"
            "o = Source()\n"
            "o.said.connect(lambda n: None)\n"
            "for i in range(100_000):\n"
            "    o.setObjectName('x')\n"
            "    o.said.emit(i)\n"
            "print('alive')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "alive", out.stderr[-2000:]

"""The window outlives PySide6's lost references to None (docent.ui.refcounts)."""

from __future__ import annotations

import subprocess
import sys


def test_none_outlives_many_calls_that_return_nothing() -> None:
    """PySide6 6.12 on Python 3.11 drops a reference to None at each call returning nothing; the
    window keeps None alive (docent.ui.refcounts), else it aborted listing 1,000 documents."""
    code = ("from docent.ui.refcounts import keep_none_alive\n"
            "keep_none_alive()\n"
            "from PySide6.QtCore import QObject\n"
            "o = QObject()\n"
            "for _ in range(200_000):\n"
            "    o.setObjectName('x')\n"
            "print('alive')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "alive", out.stderr[-2000:]

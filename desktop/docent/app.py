"""Composition root for the desktop window: paths → logging → settings → core → QApplication → window."""

from __future__ import annotations

import sys


def main(data_dir: str | None = None) -> int:
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        sys.stderr.write(f"docent: the desktop window needs PySide6 ({exc}); the CLI works without it\n")
        return 2
    from docent import paths
    from docent.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Docent")
    window = MainWindow(paths.data_dir(data_dir))
    window.show()
    return int(app.exec())

"""Uncaught exceptions: logged with their traceback, then shown in a dialog that says where the log
is. Exceptions raised on worker threads reach the dialog through a queued signal."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("docent.crash")


class CrashReporter(QObject):
    """Signals:
        crashed(str, str): a summary and the traceback of an uncaught exception
    """

    crashed = Signal(str, str)

    def __init__(self, log_file: Path, window: Callable[[], QWidget | None]) -> None:
        super().__init__()
        self.log_file = log_file
        self._window = window
        self._showing = False
        self.crashed.connect(self._show)
        self._previous = (sys.excepthook, threading.excepthook)

    def install(self) -> None:
        sys.excepthook = self._hook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def _hook(self, etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            sys.__excepthook__(etype, value, tb)
            return
        log.critical("uncaught exception", exc_info=(etype, value, tb))
        details = "".join(traceback.format_exception(etype, value, tb))
        self.crashed.emit(f"{etype.__name__}: {value}", details)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        self._hook(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)

    @Slot(str, str)
    def _show(self, summary: str, details: str) -> None:
        if self._showing:  # one dialog at a time; the rest is in the log
            return
        self._showing = True
        try:
            box = QMessageBox(self._window())
            box.setIcon(QMessageBox.Icon.Critical)
            box.setWindowTitle("Docent hit an unexpected problem")
            box.setText(f"Something went wrong: {summary[:400]}")
            box.setInformativeText(
                f"The details were written to the log file:\n{self.log_file}\n\n"
                "Docent keeps running. If something looks wrong, restart it; your documents and chats are safe."
            )
            box.setDetailedText(details)
            box.exec()
        finally:
            self._showing = False

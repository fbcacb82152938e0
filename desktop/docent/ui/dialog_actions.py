"""The window's dialogs and the actions behind them: settings, models, the privacy self-test, the
audit log, restart, the log and About. A mixin of MainWindow (split from main_window.py), using its
`library`, `files` and `privacy` controllers, `show_error`, `log_file` and `_gpu`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from docent.settings import Settings


class DialogActions:
    library: Any
    files: Any
    privacy: Any
    log_file: Path | None
    _gpu: bool
    show_error: Any  # MainWindow's
    open_library_folder: Any  # LibraryActions'
    # statusBar(), close() and the dialogs' parent come from QMainWindow, later in the MRO

    # ---- dialogs ------------------------------------------------------------------------------
    def open_settings(self) -> Any:
        from docent.ui.widgets.settings_dialog import SettingsDialog

        if not self.library.is_open:
            self.show_error("Open a library first: settings are kept in the library folder.", kind="info")
            return None
        dialog = SettingsDialog(self.library.settings, str(self.library.data_dir), self._gpu, self)
        self.files.gpuSupport.connect(dialog.set_gpu_supported)
        self.files.check_gpu()
        dialog.libraryFolderRequested.connect(lambda: (dialog.reject(), QTimer.singleShot(0, self.open_library_folder)))
        dialog.privacySelfTestRequested.connect(self.open_privacy_selftest)
        dialog.accepted.connect(lambda: self.apply_settings(dialog.settings()))
        dialog.finished.connect(lambda _r: self._disconnect(self.files.gpuSupport, dialog.set_gpu_supported))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    # ---- privacy and audit --------------------------------------------------------------------
    def open_privacy_selftest(self) -> Any:
        """Show the privacy self-test dialog and start a run (in the background)."""
        from docent.ui.widgets.privacy import PrivacyDialog

        dialog = PrivacyDialog(self.privacy, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        settings = self.library.settings
        self.privacy.run(settings.chroma_server, settings.llm_server)
        return dialog

    def verify_audit(self) -> Any:
        """Check the open library's audit log (on the library's lane, which writes it) and say what
        was found in the banner."""
        if not self.library.is_open or self.library.data_dir is None:
            self.show_error("Open a library first: its audit log is kept in the library folder.", kind="info")
            return None
        from docent.core.storage.audit import AuditLog

        audit = AuditLog.of_library(self.library.data_dir)
        return self.library.lane.call("verify audit", audit.verify, on_result=self._audit_verified,
                                      on_error=lambda exc: self.show_error(f"The audit log could not be read: {exc}"))

    def _audit_verified(self, check: Any) -> None:
        if check.ok:
            span = f" (seq {check.first_seq} to {check.last_seq})" if check.records else ""
            self.show_error(f"The audit log is intact: {check.records} records{span}.", kind="info")
        else:
            first = check.problems[0]
            more = f" (and {len(check.problems) - 1} more problems)" if len(check.problems) > 1 else ""
            where = f"line {first.line}: " if first.line else ""
            self.show_error(f"The audit log was tampered with or damaged — {where}{first.message}{more}. "
                            f"File: {check.log_file}")

    def export_audit(self, target: str | None = None) -> Any:
        if not self.library.is_open or self.library.data_dir is None:
            self.show_error("Open a library first: its audit log is kept in the library folder.", kind="info")
            return None
        if target is None:
            target, _ = QFileDialog.getSaveFileName(self, "Export the audit log as CSV",
                                                    str(Path.home() / "docent-audit.csv"), "CSV (*.csv)")
        if not target:
            return None
        from docent.core.storage.audit import AuditLog

        audit = AuditLog.of_library(self.library.data_dir)
        out = Path(target)
        return self.library.lane.call(
            "export audit", lambda: audit.export_csv(out),
            on_result=lambda n: self.statusBar().showMessage(f"{n} audit records saved to {out}", 8000),
            on_error=lambda exc: self.show_error(f"The audit log could not be exported to {out}: {exc}"))

    @staticmethod
    def _disconnect(signal: Any, slot: Any) -> None:
        try:
            signal.disconnect(slot)
        except (RuntimeError, TypeError):
            pass

    def apply_settings(self, new: Settings) -> list[str]:
        problems = self.library.apply_settings(new)
        if problems:
            self.show_error("The settings were not saved: " + "; ".join(problems))
        else:
            self.statusBar().showMessage("Settings saved", 4000)
        return problems

    def open_models(self) -> Any:
        from docent.ui.widgets.model_manager import ModelManager

        if not self.library.is_open:
            self.show_error("Open a library first: the model choice is kept in the library folder.", kind="info")
            return None
        s = self.library.settings
        dialog = ModelManager(self.files, s.chat_model, s.embedder, "", self)
        self.library.embedder_in_use(lambda recorded: self._set_recorded(dialog, recorded))
        dialog.chatModelChosen.connect(lambda spec: self.apply_settings(_replace(self.library.settings, chat_model=spec)))
        dialog.embedderChosen.connect(lambda spec: self.apply_settings(_replace(self.library.settings, embedder=spec)))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    @staticmethod
    def _set_recorded(dialog: Any, recorded: str) -> None:
        from docent.ui.widgets.model_manager import embedder_label

        try:
            dialog.embedder_label.setText(embedder_label(dialog.embedder, recorded))
        except RuntimeError:  # the dialog is already gone
            pass

    def restart(self) -> None:
        """Close this window (the library is closed, its lock released) and start Docent again."""
        import sys

        from PySide6.QtCore import QProcess

        self.close()
        if getattr(sys, "frozen", False):  # an installed app: the executable is Docent itself
            QProcess.startDetached(sys.executable, sys.argv[1:])
            return
        script = sys.argv[0] if sys.argv and sys.argv[0] not in ("", "-c") else ""
        if script:
            QProcess.startDetached(sys.executable, [script, *sys.argv[1:]])

    def show_log(self) -> Any:
        """The end of the log in a window (with buttons to open the file or its folder)."""
        from docent.ui.widgets.log_view import LogDialog

        if self.log_file is None:
            return None
        for handler in logging.getLogger().handlers:  # what was just logged is shown too
            handler.flush()
        dialog = LogDialog(self.log_file, self)  # type: ignore[arg-type]  # the MainWindow
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def about(self) -> None:
        from docent import __version__

        QMessageBox.about(
            self, "About Docent",
            f"<h3>Docent {__version__}</h3><p>Ask questions about your documents, offline. "
            "Everything — indexing, search and answers — runs on this computer.</p>"
            f"<p>Library: <code>{self.library.data_dir}</code><br>Log: <code>{self.log_file}</code></p>",
        )


def _replace(settings: Settings, **changes: Any) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)

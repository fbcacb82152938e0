"""The privacy self-test dialog: progress while the test runs in the background, then the number of
network connections attempted (it must be 0) and every file and folder Docent wrote, with its
permissions."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from docent.ui.controllers.privacy import PrivacyController
from docent.ui.models.documents import human_size
from docent.ui.theme import STATUS_COLORS


class PrivacyDialog(QDialog):
    def __init__(self, controller: PrivacyController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Privacy self-test")
        self.resize(820, 520)
        self.controller = controller
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Docent indexes its sample documents into a temporary library and answers a question about them, "
            "with every network call intercepted. A private Docent attempts none. Then it lists every file "
            "and folder it wrote, with its permissions.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        layout.addWidget(self.progress_bar)
        self.status = QLabel("")
        self.status.setObjectName("hint")
        layout.addWidget(self.status)
        self.result = QLabel("")
        self.result.setObjectName("privacyResult")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.result.font()
        font.setBold(True)
        self.result.setFont(font)
        layout.addWidget(self.result)
        self.files = QTreeWidget()
        self.files.setColumnCount(5)
        self.files.setHeaderLabels(["Permissions", "Size", "Where", "Readable by others", "Path"])
        self.files.setRootIsDecorated(False)
        self.files.setAlternatingRowColors(True)
        header = self.files.header()
        for col in range(4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.files, 1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.run_again = QPushButton("Run again")
        self.copy = QPushButton("Copy report")
        self.copy.setToolTip("Copy the full report (JSON) to the clipboard")
        self.buttons.addButton(self.run_again, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.copy, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        self.run_again.clicked.connect(self.controller.run)
        self.copy.clicked.connect(self.copy_report)
        layout.addWidget(self.buttons)

        controller.started.connect(self._on_started)
        controller.progress.connect(self._on_progress)
        controller.finished.connect(self._on_finished)
        controller.failed.connect(self._on_failed)
        self.finished.connect(self._on_closed)
        if controller.busy:
            self._on_started()
        elif controller.report is not None:
            self._on_finished(controller.report)
        else:
            self._set_idle()

    def _set_idle(self) -> None:
        self.run_again.setEnabled(True)
        self.copy.setEnabled(self.controller.report is not None)

    @Slot()
    def _on_started(self) -> None:
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.status.setText("Starting…")
        self.result.setText("")
        self.files.clear()
        self.run_again.setEnabled(False)
        self.copy.setEnabled(False)

    @Slot(object)
    def _on_progress(self, step: Any) -> None:
        self.progress_bar.setValue(int(step.fraction * 100))
        self.status.setText(step.message + "…")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.result.setText(f"The self-test could not run: {message}")
        self.result.setProperty("ok", False)

    @Slot(object)
    def _on_finished(self, report: Any) -> None:
        self._set_idle()
        if report is None:
            self.status.setText("Cancelled." if not self.result.text() else "")
            return
        self.progress_bar.setValue(100)
        self.status.setText(f"Finished in {report.seconds:.1f} s.")
        self.result.setText(report.summary())
        self.result.setProperty("ok", bool(report.ok))
        self.result.setStyleSheet("" if report.ok else f"color: {STATUS_COLORS['failed'][0]};")
        self.files.clear()
        for f in report.files_written:
            size = human_size(int(f.get("size", 0))) if f.get("kind") == "file" else "folder"
            item = QTreeWidgetItem([f.get("mode", ""), size, f.get("where", ""),
                                    "yes" if f.get("exposed") else "no", f.get("path", "")])
            item.setToolTip(4, f.get("path", ""))
            self.files.addTopLevelItem(item)
        for c in report.connections:
            item = QTreeWidgetItem(["", "", "NETWORK", "", f"{c.get('call', '')} {c.get('target', '')}"])
            self.files.insertTopLevelItem(0, item)

    def copy_report(self) -> None:
        report = self.controller.report
        if report is not None:
            QGuiApplication.clipboard().setText(json.dumps(report.to_json(), indent=1))

    @Slot(int)
    def _on_closed(self, _result: int) -> None:
        self.controller.cancel()  # closing the dialog stops a run in progress
        for signal, slot in ((self.controller.started, self._on_started), (self.controller.progress, self._on_progress),
                             (self.controller.finished, self._on_finished), (self.controller.failed, self._on_failed)):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass

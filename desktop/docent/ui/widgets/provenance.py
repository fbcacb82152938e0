""""Why this answer?": the model file that wrote an answer (name, sha256, quantization), the
embedder, the retrieval settings, the passages given to the model with their ranks and scores, and
the timings (docent.core.answer.provenance.Provenance, as kept with the chat)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

_TIMING_LABELS = {
    "retrieval_s": "Searching the documents", "model_load_s": "Loading the model", "focus_s": "Picking sentences",
    "first_token_s": "First word", "generation_s": "Writing the answer", "total_s": "Total",
}


def _selectable(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ProvenanceDialog(QDialog):
    def __init__(self, provenance: dict[str, Any], question: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Why this answer?")
        self.resize(760, 600)
        self.provenance = provenance
        layout = QVBoxLayout(self)
        if question:
            q = _selectable(f"“{' '.join(question.split())}”")
            q.setObjectName("hint")
            layout.addWidget(q)

        model = QGroupBox("Model")
        form = QFormLayout(model)
        path = provenance.get("model_path") or ""
        used = provenance.get("model_used", False)
        from docent.core.models.remote_llm import split_served  # not at import: it brings http.client

        server, served = split_served(path) if "://" in path else ("", "")
        if server:  # "http://host:port (model id)": another model, on the office's model server
            name = f"{served} on the server {server}"
        else:
            name = Path(path).name if path else "none"
        self.model_name = _selectable(name + ("" if used else " — not asked: the documents hold nothing relevant enough"))
        form.addRow("Chat model:", self.model_name)
        self.quantization = _selectable(str(provenance.get("quantization") or ("on the server" if server else "unknown")))
        form.addRow("Quantization:", self.quantization)
        self.sha256 = QLineEdit(str(provenance.get("model_sha256") or ""))
        self.sha256.setReadOnly(True)
        self.sha256.setMinimumWidth(480)
        if server:
            self.sha256.setPlaceholderText("not known here: the model file is on the server")
        form.addRow("sha256:", self.sha256)
        form.addRow("Server:" if server else "File:", _selectable(path))
        self.embedder = _selectable(str(provenance.get("embedder", "")))
        form.addRow("Embedder:", self.embedder)
        layout.addWidget(model)

        passages = QGroupBox("Passages given to the model" if used else "Passages found")
        pv = QVBoxLayout(passages)
        self.passages = QTreeWidget()
        self.passages.setColumnCount(7)
        self.passages.setHeaderLabels(["#", "Rank", "File", "Where", "Score", "Similarity", "Cited"])
        self.passages.setRootIsDecorated(False)
        self.passages.setAlternatingRowColors(True)
        header = self.passages.header()
        for col in range(7):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        for p in provenance.get("passages") or []:
            sim = p.get("similarity")
            item = QTreeWidgetItem([
                f"[{p.get('n')}]", str(p.get("rank") or "—"), Path(str(p.get("path", ""))).name, str(p.get("location", "")),
                f"{float(p.get('score') or 0):.3f}", "—" if sim is None else f"{float(sim):.3f}",
                "yes" if p.get("cited") else "",
            ])
            item.setToolTip(2, str(p.get("path", "")))
            self.passages.addTopLevelItem(item)
        pv.addWidget(self.passages)
        layout.addWidget(passages, 1)

        details = QGroupBox("Retrieval, generation and timings")
        dv = QVBoxLayout(details)
        self.settings = QTreeWidget()
        self.settings.setColumnCount(2)
        self.settings.setHeaderLabels(["Setting", "Value"])
        self.settings.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for title, values in (("Retrieval", provenance.get("retrieval") or {}),
                              ("Generation", provenance.get("generation") or {}),
                              ("Timings", provenance.get("timings") or {})):
            group = QTreeWidgetItem([title, ""])
            for key, value in values.items():
                label = _TIMING_LABELS.get(key, key.replace("_", " ")) if title == "Timings" else key.replace("_", " ")
                if title == "Timings" and key.endswith("_s") and isinstance(value, (int, float)):
                    text = f"{value:.2f} s"
                elif isinstance(value, list):
                    text = ", ".join(str(v) for v in value) or "all documents"
                else:
                    text = "—" if value is None else str(value)
                group.addChild(QTreeWidgetItem([label, text]))
            self.settings.addTopLevelItem(group)
            group.setExpanded(title != "Generation")
        dv.addWidget(self.settings)
        layout.addWidget(details, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy = QPushButton("Copy as JSON")
        buttons.addButton(self.copy, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy.clicked.connect(self.copy_json)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def copy_json(self) -> None:
        QGuiApplication.clipboard().setText(json.dumps(self.provenance, indent=1, ensure_ascii=False))

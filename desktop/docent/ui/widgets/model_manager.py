"""The model manager: the chat model and the embedder in use, the bundled and imported models, GGUF
files found on this computer (LM Studio, GPT4All, Ollama, Hugging Face), and importing a .gguf.
Switching the chat model takes effect at the next question; switching the embedder asks first,
because the whole index must be rebuilt."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from docent.ui.controllers import FilesController, ModelRow
from docent.ui.models.documents import human_size

SPEC_ROLE = Qt.ItemDataRole.UserRole + 1


def embedder_label(setting: str, recorded: str) -> str:
    from docent.core.models.packaged import EMBEDDER_ID

    if not setting or setting == "default":
        name = "all-MiniLM-L6-v2 (int8 ONNX, bundled)"
    else:
        name = Path(setting).name
    if recorded and recorded != EMBEDDER_ID and (not setting or setting == "default"):
        return f"{name} — but the index was built with {recorded}"
    return name


class ModelManager(QDialog):
    """Signals:
        chatModelChosen(str): use this chat model (Settings.chat_model value; "" = default)
        embedderChosen(str): use this embedder ("default" or a path) — already confirmed by the user
    """

    chatModelChosen = Signal(str)
    embedderChosen = Signal(str)

    def __init__(self, files: FilesController, chat_model: str, embedder: str, recorded_embedder: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(860, 560)
        self.files = files
        self.current = chat_model
        self.embedder = embedder or "default"
        self._items: dict[str, QTreeWidgetItem] = {}
        self._found = 0
        layout = QVBoxLayout(self)

        chat = QGroupBox("Chat model — writes the answers")
        cv = QVBoxLayout(chat)
        self.in_use = QLabel("")
        self.in_use.setWordWrap(True)
        cv.addWidget(self.in_use)
        self.table = QTreeWidget()
        self.table.setColumnCount(6)
        self.table.setHeaderLabels(["Name", "From", "Quantization", "Size", "Context", "File"])
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for c in (1, 2, 3, 4):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda *_: self._use_selected())
        cv.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.use = QPushButton("Use selected model")
        self.use.setObjectName("primary")
        self.use.clicked.connect(self._use_selected)
        self.import_button = QPushButton("Import a .gguf file…")
        self.import_button.clicked.connect(self._import)
        self.find_button = QPushButton("Find models on this computer")
        self.find_button.setToolTip("Look in LM Studio, GPT4All, Ollama and Hugging Face folders for GGUF files")
        self.find_button.clicked.connect(self._find)
        row.addWidget(self.use)
        row.addStretch(1)
        row.addWidget(self.import_button)
        row.addWidget(self.find_button)
        cv.addLayout(row)
        self.status = QLabel("Switching the chat model needs no re-indexing; it loads at the next question.")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        cv.addWidget(self.status)
        layout.addWidget(chat, 1)

        emb = QGroupBox("Embedder — finds the passages that match a question")
        ev = QVBoxLayout(emb)
        self.embedder_label = QLabel(embedder_label(self.embedder, recorded_embedder))
        self.embedder_label.setWordWrap(True)
        ev.addWidget(self.embedder_label)
        erow = QHBoxLayout()
        self.other_embedder = QPushButton("Use another embedder…")
        self.other_embedder.setToolTip("A GGUF embedding model, or an .onnx file with tokenizer.json beside it")
        self.other_embedder.clicked.connect(self._choose_embedder)
        self.default_embedder = QPushButton("Use the bundled embedder")
        self.default_embedder.clicked.connect(lambda: self._switch_embedder("default"))
        self.default_embedder.setEnabled(self.embedder != "default")
        erow.addWidget(self.other_embedder)
        erow.addWidget(self.default_embedder)
        erow.addStretch(1)
        ev.addLayout(erow)
        note = QLabel("Changing the embedder rebuilds the whole index (every document is read again).")
        note.setObjectName("hint")
        ev.addWidget(note)
        layout.addWidget(emb)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)

        files.modelsListed.connect(self._on_listed)
        files.modelFound.connect(self._on_found)
        files.discoveryFinished.connect(self._on_discovered)
        files.imported.connect(self._on_imported)
        files.importFailed.connect(self._on_import_failed)
        self._update_in_use()
        self._update_buttons()
        files.list_models()

    def done(self, result: int) -> None:
        self.files.cancel_discovery()
        for sig, slot in ((self.files.modelsListed, self._on_listed), (self.files.modelFound, self._on_found),
                          (self.files.discoveryFinished, self._on_discovered), (self.files.imported, self._on_imported),
                          (self.files.importFailed, self._on_import_failed)):
            try:
                sig.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
        super().done(result)

    # ---- table --------------------------------------------------------------------------------
    def _add(self, row: ModelRow) -> None:
        key = row.spec or "<default>"
        item = self._items.get(key)
        if item is None and row.path:
            for k, it in self._items.items():  # the same file found twice (imported and discovered)
                if it.data(5, Qt.ItemDataRole.DisplayRole) == row.path:
                    item = it
                    break
            if item is not None:
                return
        if item is None:
            item = QTreeWidgetItem()
            self.table.addTopLevelItem(item)
            self._items[key] = item
        item.setData(0, SPEC_ROLE, row.spec)
        item.setText(0, row.label)
        item.setText(1, row.source)
        item.setText(2, row.quantization or "")
        item.setText(3, human_size(row.size) if row.size else "")
        item.setText(4, f"{row.context_length:,}" if row.context_length else "")
        item.setText(5, row.path or row.note)
        tip = row.path or row.label
        if row.error:
            tip += f"\nCannot be used: {row.error}"
            item.setText(5, f"Cannot be used: {row.error}")
        elif row.is_embedding:
            tip += "\nAn embedding model: it cannot write answers"
            item.setText(5, f"(embedding model) {row.path}")
        for c in range(6):
            item.setToolTip(c, tip)
        usable = not row.error and not row.is_embedding
        item.setData(1, SPEC_ROLE, usable)
        if not usable:
            for c in range(6):
                item.setForeground(c, QBrush(self.palette().color(self.palette().ColorRole.PlaceholderText)))
        self._mark_current()

    def _mark_current(self) -> None:
        for key, item in self._items.items():
            spec = item.data(0, SPEC_ROLE) or ""
            current = spec == self.current or (not spec and not self.current)
            font = QFont(item.font(0))
            font.setBold(current)
            for c in range(6):
                item.setFont(c, font)
            label = item.text(0).removeprefix("✓ ")
            item.setText(0, ("✓ " + label) if current else label)

    def _update_in_use(self) -> None:
        import html

        from docent.core.models.packaged import DEFAULT_CHAT_MODEL
        from docent.ui.controllers import PACKAGED_LABELS, model_label

        name = model_label(self.current) + (" (bundled)" if (self.current or DEFAULT_CHAT_MODEL) in PACKAGED_LABELS else "")
        self.in_use.setText(f"In use: <b>{html.escape(name)}</b>")
        self.in_use.setToolTip(self.current or "the bundled default model")

    def _update_buttons(self) -> None:
        items = self.table.selectedItems()
        ok = bool(items) and bool(items[0].data(1, SPEC_ROLE))
        self.use.setEnabled(ok and (items[0].data(0, SPEC_ROLE) or "") != self.current)

    def _use_selected(self) -> None:
        items = self.table.selectedItems()
        if not items or not items[0].data(1, SPEC_ROLE):
            return
        spec = items[0].data(0, SPEC_ROLE) or ""
        self.current = spec
        self._mark_current()
        self._update_in_use()
        self._update_buttons()
        self.status.setText(f"{items[0].text(0).removeprefix('✓ ')} will answer your next question.")
        self.chatModelChosen.emit(spec)

    # ---- files --------------------------------------------------------------------------------
    def _on_listed(self, rows: list[ModelRow]) -> None:
        for row in rows:
            self._add(row)
        if self.current and self.current not in self._items and Path(self.current).suffix == ".gguf":
            self._add(ModelRow(self.current, Path(self.current).name, "Settings", self.current))

    def _find(self) -> None:
        self._found = 0
        self.find_button.setEnabled(False)
        self.status.setText("Looking in LM Studio, GPT4All, Ollama and Hugging Face folders…")
        self.files.discover()

    def _on_found(self, row: ModelRow) -> None:
        self._found += 1
        if not row.is_embedding:
            self._add(row)

    def _on_discovered(self, count: int) -> None:
        self.find_button.setEnabled(True)
        if count:
            self.status.setText(f"Found {count} GGUF file{'s' if count != 1 else ''} on this computer.")
        else:
            self.status.setText("No GGUF files found in the usual places (LM Studio, GPT4All, Ollama, "
                                "Hugging Face). Use “Import a .gguf file…” to pick one.")

    def _import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a chat model", str(Path.home()), "GGUF models (*.gguf);;All files (*)")
        if path:
            self.status.setText(f"Checking {Path(path).name}…")
            self.files.import_model(path)

    def _on_imported(self, row: ModelRow) -> None:
        self._add(row)
        item = self._items.get(row.spec)
        if item is not None:
            self.table.setCurrentItem(item)
        ctx = f", context {row.context_length:,}" if row.context_length else ""
        self.status.setText(f"{row.label} is a valid GGUF ({row.quantization}, {human_size(row.size)}{ctx}). "
                            "Click “Use selected model” to answer with it.")

    def _on_import_failed(self, message: str) -> None:
        self.status.setText(message)
        QMessageBox.warning(self, "This file cannot be used", message)

    # ---- embedder -----------------------------------------------------------------------------
    def _choose_embedder(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose an embedding model", str(Path.home()), "Embedding models (*.gguf *.onnx);;All files (*)")
        if not path:
            return
        if path.lower().endswith(".gguf"):
            from docent.core.models.gguf import read_gguf
            from docent.errors import ModelError

            try:
                info = read_gguf(path)
            except ModelError as exc:
                QMessageBox.warning(self, "This file cannot be used", str(exc))
                return
            if not info.is_embedding_model:
                QMessageBox.warning(self, "Not an embedding model",
                                    f"{Path(path).name} is a {info.architecture} model that writes text; "
                                    "an embedder must be an embedding model (BERT, nomic-bert…).")
                return
        elif not (Path(path).parent / "tokenizer.json").is_file():
            QMessageBox.warning(self, "Tokenizer missing", "An .onnx embedder needs its tokenizer.json in the same folder.")
            return
        self._switch_embedder(path)

    def _switch_embedder(self, spec: str) -> None:
        if spec == self.embedder:
            return
        answer = QMessageBox.question(
            self, "Rebuild the index?",
            "Switching the embedder rebuilds the whole index: every document is read and embedded again "
            "when Docent next starts (you can restart right away). Until then answers use the current "
            "embedder.\n\nSwitch the embedder?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.embedder = spec
        self.embedder_label.setText(embedder_label(spec, ""))
        self.default_embedder.setEnabled(spec != "default")
        self.embedderChosen.emit(spec)

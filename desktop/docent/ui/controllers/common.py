"""Values the controllers send to the window, and messages for errors that reach the user."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docent.core.types import DocumentRecord, Planned  # Planned: re-exported, it moved to the core
from docent.errors import DocentError
from docent.settings import Settings


def describe_error(exc: BaseException, log_file: Path | None = None) -> str:
    """A message a user can act on, for any failure that reaches the window."""
    where = f" Details are in the log: {log_file}" if log_file else ""
    if isinstance(exc, DocentError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return ("Docent ran out of memory. Choose a smaller chat model or a smaller context size "
                "in Settings, or close other programs." + where)
    text = str(exc)
    low = text.lower()
    if any(k in low for k in ("out of memory", "failed to allocate", "cannot allocate", "failed to create llama_context")):
        return ("Not enough memory to run the chat model. Choose a smaller model or context size in "
                "Settings (fewer GPU layers if a GPU is used)." + where)
    if isinstance(exc, PermissionError):
        return f"Permission denied: {exc.filename or text}. Check the file's permissions.{where}"
    if isinstance(exc, FileNotFoundError):
        return f"File not found: {exc.filename or text}.{where}"
    return f"Unexpected error ({type(exc).__name__}: {text[:300]}).{where}"


# ---- values sent to the window ---------------------------------------------------------------------
@dataclass(frozen=True)
class DocRow:
    """One document as the library pane shows it."""

    path: str
    status: str  # indexed | indexing | queued | skipped | failed
    reason: str = ""
    pages: int = 0
    chunks: int = 0
    notes: str = ""
    size: int = 0
    indexed_at: float | None = None
    mtime: float = 0.0  # as catalogued (0: not in the catalog yet); the file watcher's periodic check compares it

    @classmethod
    def of(cls, doc: DocumentRecord, notes: str = "") -> "DocRow":
        return cls(doc.path, doc.status, doc.reason, doc.pages, doc.chunks, notes, doc.size, doc.indexed_at, doc.mtime)


@dataclass(frozen=True)
class IndexProgress:
    phase: str  # "preparing" | "indexing" | "finishing"
    files_done: int = 0
    files_total: int = 0
    pages_done: int = 0
    current: str = ""
    current_pages: tuple[int, int] = (0, 0)
    seconds_left: float | None = None
    elapsed: float = 0.0
    current_ocr: tuple[int, int] = (0, 0)  # the current file's pages read by OCR / to read (a scan)

    @property
    def fraction(self) -> float:
        if not self.files_total:
            return 0.0
        within = 0.0
        done, total = self.current_pages
        ocr_done, ocr_total = self.current_ocr
        if total and self.current:
            within = min(1.0, done / total)
        elif ocr_total and self.current:  # reading a scan is most of that file's time
            within = 0.9 * min(1.0, ocr_done / ocr_total)
        return min(1.0, (self.files_done + within) / self.files_total)


@dataclass(frozen=True)
class LibraryState:
    data_dir: Path
    settings: Settings
    rows: list[DocRow]
    roots: list[str]
    recorded_embedder: str
    rebuilt: bool = False  # the index was dropped on opening (a new embedder): everything is read again
    encrypted: bool = False  # the library is encrypted at rest (docent.core.storage.crypto)
    chats: object = None  # the library's ChatStore (sealed with its key when encrypted); None: a plain one


PACKAGED_LABELS = {"smollm2-135m-instruct": "SmolLM2 135M Instruct", "gemma3-270m": "Gemma 3 270M"}


def model_label(spec: str) -> str:
    from docent.core.models.packaged import DEFAULT_CHAT_MODEL

    spec = spec or DEFAULT_CHAT_MODEL
    if spec in PACKAGED_LABELS:
        return PACKAGED_LABELS[spec]
    return Path(spec).name if ("/" in spec or spec.endswith(".gguf")) else spec

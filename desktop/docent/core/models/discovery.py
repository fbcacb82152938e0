"""Find GGUF model files the user already has: LM Studio, GPT4All, Ollama and the Hugging Face
cache, plus any folder given. Reads headers only (docent.core.models.gguf); never loads a model.

`discover(...)` is a generator taking a cancel token, like every long job in the core.
The models a user imported by hand are remembered in `<models dir>/imported.json`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from docent.core.cancel import NEVER, CancelToken
from docent.core.models.gguf import GGUF_MAGIC, read_gguf
from docent.errors import ModelError

MIN_SIZE = 1 << 20  # anything smaller is not a usable model
_SPLIT = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)
IMPORTED_FILE = "imported.json"


@dataclass(frozen=True)
class FoundModel:
    path: str
    source: str  # "LM Studio", "Ollama", "Imported", ...
    size: int
    name: str = ""
    architecture: str = ""
    quantization: str = ""
    context_length: int | None = None
    is_embedding: bool = False
    has_chat_template: bool = False
    error: str = ""  # why the file cannot be used ("" when it can)


def default_locations(home: Path | None = None) -> list[tuple[str, Path]]:
    """(label, folder) for every place local model tools keep GGUF files, existing or not."""
    h = Path(home) if home is not None else Path.home()
    env = os.environ
    places = [
        ("LM Studio", h / ".lmstudio" / "models"),
        ("LM Studio", h / ".cache" / "lm-studio" / "models"),
        ("GPT4All", h / ".local" / "share" / "nomic.ai" / "GPT4All"),
        ("GPT4All", h / "Library" / "Application Support" / "nomic.ai" / "GPT4All"),
        ("Ollama", Path(env["OLLAMA_MODELS"]) / "blobs" if env.get("OLLAMA_MODELS") else h / ".ollama" / "models" / "blobs"),
        ("Hugging Face", Path(env["HF_HUB_CACHE"]) if env.get("HF_HUB_CACHE") else
         (Path(env["HF_HOME"]) / "hub" if env.get("HF_HOME") else h / ".cache" / "huggingface" / "hub")),
        ("llama.cpp", h / ".cache" / "llama.cpp"),
    ]
    if os.name == "nt":  # pragma: no cover - Windows
        local = Path(env.get("LOCALAPPDATA", h / "AppData" / "Local"))
        places.append(("GPT4All", local / "nomic.ai" / "GPT4All"))
    return places


def has_gguf_magic(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) == GGUF_MAGIC
    except OSError:
        return False


def describe(path: Path, source: str) -> FoundModel:
    """Header facts for one file; `error` says why it cannot be used."""
    try:
        info = read_gguf(path)
    except ModelError as exc:
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        split = _SPLIT.search(path.name)
        reason = str(exc)
        if split and split.group(2) != "00001":
            reason = f"a model split into {int(split.group(2))} files; Docent needs a single-file GGUF"
        return FoundModel(str(path), source, size, name=path.stem, error=reason)
    name = info.name
    if source == "Ollama" and name == path.stem:
        name = f"Ollama blob {path.name[:19]}"
    return FoundModel(
        path=str(path), source=source, size=info.size, name=name, architecture=info.architecture,
        quantization=info.quantization, context_length=info.context_length,
        is_embedding=info.is_embedding_model, has_chat_template=info.chat_template is not None,
    )


def _candidates(folder: Path, magic_only: bool, cancel: CancelToken, max_depth: int = 8) -> Iterator[Path]:
    base_depth = len(folder.parts)
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False, onerror=lambda e: None):
        if cancel.cancelled:
            return
        if len(Path(dirpath).parts) - base_depth >= max_depth:
            dirnames[:] = []
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            full = Path(dirpath) / name
            if magic_only:
                if name.endswith((".partial", "-partial")):
                    continue
            elif not name.lower().endswith(".gguf"):
                continue
            split = _SPLIT.search(name)
            if split and split.group(1) != "00001":
                continue  # later parts of a split model
            try:
                if full.stat().st_size < MIN_SIZE:  # follows Hugging Face's symlinks to blobs
                    continue
            except OSError:
                continue
            if magic_only and not has_gguf_magic(full):
                continue
            yield full


def discover(
    locations: Sequence[tuple[str, Path]] | None = None,
    cancel: CancelToken = NEVER,
) -> Iterator[FoundModel]:
    """Every GGUF file under `locations` (default: `default_locations()`), each reported once
    (by real path), in folder order."""
    seen: set[str] = set()
    for source, folder in (locations if locations is not None else default_locations()):
        if cancel.cancelled:
            return
        if not folder.is_dir():
            continue
        for path in _candidates(folder, magic_only=(source == "Ollama"), cancel=cancel):
            if cancel.cancelled:
                return
            real = os.path.realpath(path)
            if real in seen:
                continue
            seen.add(real)
            yield describe(path, source)


# ---- models imported by hand ----------------------------------------------------------------------
def load_imported(models_dir: Path) -> list[str]:
    try:
        raw = json.loads((Path(models_dir) / IMPORTED_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(p) for p in raw.get("paths", []) if isinstance(p, str)]


def remember_imported(models_dir: Path, path: str | Path) -> list[str]:
    """Add a model path to the imported list (most recent first) and return the list."""
    p = str(Path(path).expanduser().resolve())
    paths_ = [p] + [q for q in load_imported(models_dir) if q != p]
    folder = Path(models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (IMPORTED_FILE + ".tmp")
    tmp.write_text(json.dumps({"paths": paths_[:50]}, indent=1), encoding="utf-8")
    os.replace(tmp, folder / IMPORTED_FILE)
    return paths_


def forget_imported(models_dir: Path, path: str | Path) -> list[str]:
    p = str(Path(path).expanduser().resolve())
    paths_ = [q for q in load_imported(models_dir) if q != p]
    folder = Path(models_dir)
    if (folder / IMPORTED_FILE).exists():
        tmp = folder / (IMPORTED_FILE + ".tmp")
        tmp.write_text(json.dumps({"paths": paths_}, indent=1), encoding="utf-8")
        os.replace(tmp, folder / IMPORTED_FILE)
    return paths_

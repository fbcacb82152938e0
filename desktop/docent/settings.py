"""Typed settings with a schema version and ordered migrations, stored as JSON in the data folder."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Settings:
    schema_version: int = SCHEMA_VERSION
    chat_model: str = ""  # "" → the packaged default; a known name or a .gguf path
    embedder: str = "default"
    n_gpu_layers: int = 0
    n_threads: int = 0  # 0 → automatic
    n_ctx: int = 4096
    temperature: float = 0.0
    max_answer_tokens: int = 256
    sources: int = 5
    chunk_tokens: int = 200
    chunk_overlap: int = 32
    # a cross-encoder that re-orders the best fused passages: an .onnx file with tokenizer.json beside
    # it (or their folder); "" → none (no cross-encoder ships with Docent: see core/models/rerank.py)
    reranker: str = ""
    rerank_candidates: int = 20
    # "personal": no audit log unless asked for; "office": an audit log of every question is kept
    profile: str = "personal"
    audit_log: bool | None = None  # None → as the profile says
    audit_retention_days: int = 365  # audit records older than this are pruned; 0 → kept forever
    # Office scale-out: "" → everything local (the default). A shared Chroma server started with
    # `chroma run` (e.g. "http://10.0.0.5:8000"), and an OpenAI-compatible llama.cpp server
    # (`llama-server` or `python -m llama_cpp.server`); only these hosts are ever contacted.
    chroma_server: str = ""
    llm_server: str = ""

    def __post_init__(self) -> None:
        # one spelling per server: "http://10.0.0.5:8000/" and "http://10.0.0.5:8000" are one server
        for name in ("chroma_server", "llm_server"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, normalize_server_url(value))

    @property
    def audit_enabled(self) -> bool:
        return self.audit_log if self.audit_log is not None else self.profile == "office"

    def validate(self) -> list[str]:
        problems = []
        if not 0 <= self.n_gpu_layers <= 1000 and self.n_gpu_layers != -1:
            problems.append("GPU layers must be -1 (all), 0 (CPU only) or a positive number")
        if not 512 <= self.n_ctx <= 131072:
            problems.append("context size must be between 512 and 131072 tokens")
        if not 0.0 <= self.temperature <= 2.0:
            problems.append("temperature must be between 0 and 2")
        if not 16 <= self.max_answer_tokens <= 4096:
            problems.append("answer length must be between 16 and 4096 tokens")
        if not 0 <= self.rerank_candidates <= 100:
            problems.append("reranked candidates must be between 0 and 100")
        if not 1 <= self.sources <= 20:
            problems.append("number of sources must be between 1 and 20")
        if not 32 <= self.chunk_tokens <= 256:
            problems.append("chunk size must be between 32 and 256 tokens (the default embedder reads at most 256)")
        if not 0 <= self.chunk_overlap < self.chunk_tokens // 2:
            problems.append("chunk overlap must be at least 0 and under half the chunk size")
        if self.n_threads < 0:
            problems.append("threads must be 0 (automatic) or more")
        if self.profile not in PROFILES:
            problems.append(f"profile must be one of: {', '.join(PROFILES)}")
        if self.audit_log not in (None, True, False):
            problems.append("audit log must be on, off or unset (as the profile says)")
        if not 0 <= self.audit_retention_days <= 36500:
            problems.append("audit retention must be between 0 (keep forever) and 36500 days")
        for label, url in (("Chroma server", self.chroma_server), ("model server", self.llm_server)):
            problem = server_url_problem(url)
            if problem:
                problems.append(f"{label}: {problem}")
        return problems


def normalize_server_url(url: str) -> str:
    """One spelling per server address: no surrounding spaces, no trailing slash, the scheme and
    host in lower case ("HTTP://Chroma.local:8000/" -> "http://chroma.local:8000")."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        return url
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, parts.fragment))


def host_port(url: str) -> str:
    """A server as people name it: "http://10.0.0.6:8080" -> "10.0.0.6:8080"."""
    return url.split("://", 1)[-1]


def server_url_problem(url: str) -> str:
    """'' when `url` is empty (no server) or an http(s) URL with a host and a port; else why not."""
    if not url:
        return ""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return (f"{url!r} is not a valid server address: it must be http:// or https://, a host and a port "
                "number, e.g. http://10.0.0.5:8000")
    if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
        return f"{url!r} must be an http:// or https:// URL with a host and a port, e.g. http://10.0.0.5:8000"
    if parts.query or parts.fragment or parts.username:
        return f"{url!r} must not hold a query, a fragment or credentials"
    return ""


PROFILES = ("personal", "office")


# Ordered migrations: MIGRATIONS[n] turns a version-n dict into version n+1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def load(path: Path) -> Settings:
    """The settings in `path`, migrated to this version. A value that is not valid (a hand edit, a
    newer Docent's meaning) falls back to its default on its own; the others are kept."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError):
        log.warning("cannot read the settings in %s; using the defaults", path)
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    version = int(raw.get("schema_version", 1))
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version += 1
    defaults = Settings()
    names = [f.name for f in fields(Settings) if f.name != "schema_version"]
    settings = replace(defaults, **{k: raw[k] for k in names if k in raw})
    # each value that makes the settings invalid goes back to its default, the others stay (values
    # are checked together: a chunk size is valid or not with its overlap)
    changed = True
    while changed and _problems(settings):  # a value of the wrong type hides the others' problems: repeat
        changed = False
        for name in names:
            reset = replace(settings, **{name: getattr(defaults, name)})
            if _problems(reset) < _problems(settings):
                log.warning("ignoring the setting %s=%r in %s (not valid); using %r", name,
                            getattr(settings, name), path, getattr(defaults, name))
                settings, changed = reset, True
    if _problems(settings):
        log.warning("the settings in %s are not valid; using the defaults", path)
        return defaults
    return settings


def _problems(settings: Settings) -> int:
    try:
        return len(settings.validate())
    except (TypeError, ValueError):  # a value of the wrong type (a hand-edited file)
        return 1000


def save(path: Path, settings: Settings) -> None:
    problems = settings.validate()
    if problems:
        raise ValueError("; ".join(problems))
    path.parent.mkdir(parents=True, exist_ok=True)
    known = {f.name for f in fields(Settings)}
    try:  # keep what this version does not know (written by a newer Docent): nothing the user set is lost
        existing = json.loads(path.read_text(encoding="utf-8"))
        kept = {k: v for k, v in existing.items() if k not in known} if isinstance(existing, dict) else {}
    except (OSError, ValueError):
        kept = {}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**kept, **asdict(settings)}, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def updated(settings: Settings, **changes: Any) -> Settings:
    return replace(settings, **changes)

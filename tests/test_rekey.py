"""Changing an encrypted library's passphrase, and encrypting a plain library: afterwards the library
opens with the new passphrase only and holds no plaintext; a failure or a SIGKILL at any moment
leaves a library that opens with the old passphrase or the new one, with everything in it."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from docent.core.storage import rekey
from docent.core.storage.chats import ChatStore, Turn
from docent.core.library import Library
from docent.errors import DataDirLocked, WrongPassphrase
from docent.settings import Settings
from helpers import run_index
from test_encryption import NEEDLES, PASSPHRASE, SENTENCE, _files_holding, _make_docs

NEW = "a different, longer passphrase 42"


def _library(tmp_path: Path, embedder: Any, encrypted: bool = True) -> Path:  # noqa: ANN401
    _make_docs(tmp_path / "docs")
    folder = tmp_path / "lib"
    opts = {"passphrase": PASSPHRASE, "encrypt": True} if encrypted else {}
    with Library(folder, Settings(), embedder=embedder, **opts) as lib:
        _, done = run_index(lib, [tmp_path / "docs"])
        assert done.indexed == 3
        chats = lib.chat_store()
        chat = chats.new()
        chat.turns.append(Turn(question="When do they polish?", answer="Every Thursday at dawn. Glimmerquax"))
        chats.save(chat)
    return folder


def _contents(folder: Path, embedder: Any, passphrase: str | None) -> tuple[list[str], list[str], str]:  # noqa: ANN401
    with Library(folder, embedder=embedder, passphrase=passphrase) as lib:
        docs = sorted(Path(d.path).name for d in lib.catalog.documents() if d.status == "indexed")
        chats = [c.turns[0].answer for c in (lib.chat_store().load(s.id) for s in lib.chat_store().list())]
        top = lib.search("Vexmoorian quartermasters astrolabes", top_k=1)[0].text
    return docs, chats, top


def test_a_new_passphrase_opens_the_library_and_the_old_one_no_longer_does(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    folder = _library(tmp_path, embedder)
    before = _contents(folder, embedder, PASSPHRASE)
    assert rekey.change_passphrase(folder, PASSPHRASE, NEW) == 1
    assert _contents(folder, embedder, NEW) == before
    with pytest.raises(WrongPassphrase):
        Library(folder, embedder=embedder, passphrase=PASSPHRASE)
    assert not _files_holding(folder, NEEDLES)  # still no plaintext anywhere
    leftovers = [p.name for p in folder.iterdir() if "rekey" in p.name or p.name == rekey.PENDING]
    assert leftovers == []


def test_a_plain_library_becomes_encrypted(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    folder = _library(tmp_path, embedder, encrypted=False)
    before = _contents(folder, embedder, None)
    assert _files_holding(folder, [SENTENCE])  # plain: the text is in the catalog
    rekey.change_passphrase(folder, None, NEW)
    assert _contents(folder, embedder, NEW) == before
    assert not _files_holding(folder, NEEDLES)
    with pytest.raises(Exception, match="encrypted"):
        Library(folder, embedder=embedder)


def test_it_is_refused_while_the_library_is_open_and_with_a_wrong_passphrase(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    folder = _library(tmp_path, embedder)
    with Library(folder, embedder=embedder, passphrase=PASSPHRASE):
        with pytest.raises(DataDirLocked):
            rekey.change_passphrase(folder, PASSPHRASE, NEW)
    with pytest.raises(WrongPassphrase):
        rekey.change_passphrase(folder, "not it", NEW)
    assert _contents(folder, embedder, PASSPHRASE)[0]


@pytest.mark.parametrize("stage", ["_export_catalog", "_reseal_chats", "replace"])
def test_a_failure_before_the_commit_leaves_the_library_as_it_was(tmp_path: Path, embedder, stage: str,  # noqa: ANN001
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _library(tmp_path, embedder)
    before = _contents(folder, embedder, PASSPHRASE)

    def boom(*_a: Any, **_k: Any) -> None:  # noqa: ANN401
        raise OSError(28, "No space left on device")

    if stage == "replace":  # the commit itself fails
        real = os.replace
        monkeypatch.setattr(rekey.os, "replace",
                            lambda a, b: boom() if Path(a).name == rekey.PENDING else real(a, b))
    else:
        monkeypatch.setattr(rekey, stage, boom)
    with pytest.raises(OSError, match="No space"):
        rekey.change_passphrase(folder, PASSPHRASE, NEW)
    monkeypatch.undo()
    assert _contents(folder, embedder, PASSPHRASE) == before
    assert not [p for p in folder.iterdir() if "rekey" in p.name or p.name == rekey.PENDING]


def test_a_change_cut_short_after_the_commit_is_finished_by_the_next_open(tmp_path: Path, embedder,  # noqa: ANN001
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _library(tmp_path, embedder)
    before = _contents(folder, embedder, PASSPHRASE)
    monkeypatch.setattr(rekey, "_install_copies", lambda _f: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        rekey.change_passphrase(folder, PASSPHRASE, NEW)
    monkeypatch.undo()
    assert (folder / rekey.CATALOG_COPY).exists()  # committed, not yet in place
    assert _contents(folder, embedder, NEW) == before  # the open finished it
    assert not (folder / rekey.CATALOG_COPY).exists() and not (folder / rekey.CHATS_COPY).exists()


_KILL_SCRIPT = """
import sys
sys.path[:0] = {paths!r}
from docent.core.storage import rekey
rekey.change_passphrase(sys.argv[1], sys.argv[2], sys.argv[3])
print("done", flush=True)
"""


def test_sigkill_at_random_moments_leaves_a_library_that_opens(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    """Kill the change at random moments: each time the library opens with the old passphrase or
    the new one (never neither), with the same documents, chats and search results."""
    folder = _library(tmp_path, embedder)
    expected = _contents(folder, embedder, PASSPHRASE)
    script = tmp_path / "change.py"
    script.write_text(_KILL_SCRIPT.format(paths=[p for p in sys.path if p]))
    rng = random.Random(11)
    current, other = PASSPHRASE, NEW
    outcomes = []
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, str(script), str(folder), current, other],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.15, 0.45))  # start to finish, the change takes about 0.3 s here
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        try:
            got = _contents(folder, embedder, current)
            outcomes.append("old" + (" (killed)" if killed else " (FAILED?)"))
        except WrongPassphrase:
            got = _contents(folder, embedder, other)
            current, other = other, current
            outcomes.append("new" + (" (killed after the commit)" if killed else ""))
        assert got == expected
        assert not [p for p in folder.iterdir() if "rekey" in p.name or p.name == rekey.PENDING]
    print("outcomes:", outcomes)
    assert json.loads((folder / "encryption.json").read_text())["kdf"] == "scrypt"


def test_cli_passphrase_changes_it_and_says_so(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    folder = _library(tmp_path, embedder)
    env = {k: v for k, v in os.environ.items() if k not in ("DOCENT_DATA_DIR", "DOCENT_PASSPHRASE")}

    def run(extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "docent", "--data-dir", str(folder), *args],
                              env={**env, **extra}, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)

    proc = run({"DOCENT_PASSPHRASE": PASSPHRASE}, "passphrase", "--json")  # no new one, no terminal
    assert proc.returncode == 2 and "DOCENT_NEW_PASSPHRASE" in proc.stderr
    proc = run({"DOCENT_PASSPHRASE": "wrong", "DOCENT_NEW_PASSPHRASE": NEW}, "passphrase")
    assert proc.returncode == 2 and "wrong passphrase" in proc.stderr
    proc = run({"DOCENT_PASSPHRASE": PASSPHRASE, "DOCENT_NEW_PASSPHRASE": NEW}, "passphrase", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"encrypted": True, "was_encrypted": True, "chats_resealed": 1,
                                       "library": str(folder)}
    status = run({"DOCENT_PASSPHRASE": NEW}, "status", "--json")
    assert status.returncode == 0 and len(json.loads(status.stdout)["documents"]) == 3
    assert run({"DOCENT_PASSPHRASE": PASSPHRASE}, "status", "--json").returncode == 2

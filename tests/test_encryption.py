"""Encryption at rest: an encrypted library keeps no document text in any of its files (catalog, its
WAL journal, the keyword index, chats, Chroma's folder) yet searches and answers as before; a wrong
or missing passphrase gives a clear error and changes no byte of the library."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import docgen
from docent.core.storage import crypto
from docent.core.storage.chats import ChatStore, Passage, Turn
from docent.core.library import Library
from docent.core.retrieval.search import SearchParams
from docent.core.types import AnswerDone, Sources
from docent.errors import DocentError, PassphraseRequired, WrongPassphrase
from docent.settings import Settings
from helpers import run_index

NETGUARD = Path(__file__).resolve().parent / "netguard"
PASSPHRASE = "correct horse battery staple"
# Distinctive words no model, library or tokenizer file holds.
SENTENCE = "The Vexmoorian quartermasters polish eleven brass astrolabes every Thursday at dawn."
PDF_SENTENCE = "Drabbleworth beekeepers in Ostrava harvest linden honey under a violet moon."
DOCX_WORD = "Quorvantide"
CHAT_ANSWER = "Glimmerquax timetable B applies on Sundays."
NEEDLES = [SENTENCE, "Vexmoorian", "astrolabes", "Drabbleworth", DOCX_WORD, "Glimmerquax"]


def _files_holding(root: Path, needles: list[str]) -> dict[str, list[str]]:
    """file → the needles found in its bytes (UTF-8 and UTF-16, any case), every file under `root`."""
    found: dict[str, list[str]] = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            data = (Path(dirpath) / name).read_bytes().lower()
            hits = [n for n in needles if n.lower().encode() in data or n.lower().encode("utf-16-le") in data]
            if hits:
                found[str(Path(dirpath) / name)] = hits
    return found


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _make_docs(docs: Path) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    (docs / "notes.txt").write_text(SENTENCE + "\n\nA second paragraph about harbour cranes.\n", encoding="utf-8")
    docgen.write_pdf(docs / "bees.pdf", [PDF_SENTENCE])
    docgen.write_docx(docs / "contract.docx", [docgen.Section("Parties", paragraphs=[
        f"The {DOCX_WORD} Shipping Company leases berth nine for five years."])])


def _encrypted_library(folder: Path, docs: Path, embedder: Any) -> None:  # noqa: ANN401
    with Library(folder, Settings(profile="office"), embedder=embedder, passphrase=PASSPHRASE, encrypt=True) as lib:
        assert lib.encrypted
        _, done = run_index(lib, [docs])
        assert done.indexed == 3, done


@pytest.mark.slow  # runs the real chat model
def test_an_encrypted_library_holds_no_text_yet_searches_and_asks(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    docs = tmp_path / "docs"
    _make_docs(docs)
    folder = tmp_path / "lib"
    with Library(folder, Settings(profile="office", n_threads=1, max_answer_tokens=32), embedder=embedder,
                 passphrase=PASSPHRASE, encrypt=True) as lib:
        _, done = run_index(lib, [docs])
        assert done.indexed == 3, done
        hits = lib.search("Vexmoorian astrolabes", top_k=1)
        assert hits[0].path == str(docs / "notes.txt") and "Vexmoorian" in hits[0].text  # decrypted for use
        keyword = lib.search("Quorvantide", top_k=1, params=SearchParams(mode="keyword"))  # the FTS5 index
        assert keyword[0].path == str(docs / "contract.docx")
        events = list(lib.ask("Which quartermasters polish brass astrolabes on Thursdays?"))
        assert isinstance(events[0], Sources) and any("Vexmoorian" in h.text for h in events[0].hits)
        done_ev = events[-1]
        assert isinstance(done_ev, AnswerDone) and done_ev.answer.strip()
        prov = done_ev.provenance
        assert prov is not None and prov.model_used  # the model was given the decrypted passages
        store = lib.chat_store()
        chat = store.new()
        chat.turns.append(Turn(question="Who polishes astrolabes?", answer=CHAT_ANSWER, answered=True,
                               sources=[Passage.from_hit(i, h) for i, h in enumerate(events[0].hits, 1)]))
        store.save(chat)
        # while open: the WAL journal and every other file, Chroma's folder included
        assert (folder / "catalog.sqlite3-wal").exists()
        assert _files_holding(folder, NEEDLES + [PASSPHRASE]) == {}
    after_close = _files_holding(folder, NEEDLES + [PASSPHRASE])
    assert after_close == {}, after_close
    assert not (folder / "catalog.sqlite3").read_bytes().startswith(b"SQLite format 3")
    assert json.loads((folder / crypto.ENCRYPTION_FILE).read_text())["kdf"] == "scrypt"
    assert (folder / "vectors").is_dir() and (folder / "audit" / "log.jsonl").is_file()

    # the same passphrase opens it again: search, the chat and its title
    with Library(folder, embedder=embedder, passphrase=PASSPHRASE) as lib:
        assert lib.encrypted and lib.search("linden honey", top_k=1)[0].path == str(docs / "bees.pdf")
        summaries = lib.chat_store().list()
        assert [s.title for s in summaries] == ["Who polishes astrolabes?"]
        assert lib.chat_store().load(summaries[0].id).turns[0].answer == CHAT_ANSWER
    # a chat file is sealed: neither JSON nor readable with another key
    chat_file = next((folder / "chats").glob("*.json"))
    with pytest.raises(ValueError):
        json.loads(chat_file.read_bytes())
    assert ChatStore(folder / "chats", os.urandom(32)).list() == []

    # the control: the same documents in a plain library are found by the same search of the bytes
    plain = tmp_path / "plain"
    with Library(plain, embedder=embedder) as lib:
        run_index(lib, [docs])
        assert {n for hits in _files_holding(plain, NEEDLES).values() for n in hits} >= {"Vexmoorian", DOCX_WORD}


def test_a_wrong_or_missing_passphrase_changes_nothing(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    docs = tmp_path / "docs"
    _make_docs(docs)
    folder = tmp_path / "lib"
    _encrypted_library(folder, docs, embedder)
    before = _snapshot(folder)
    with pytest.raises(WrongPassphrase, match="wrong passphrase") as wrong:
        Library(folder, embedder=embedder, passphrase="correct horse battery stapler")
    assert str(folder) in str(wrong.value)
    with pytest.raises(PassphraseRequired, match="DOCENT_PASSPHRASE"):
        Library(folder, embedder=embedder)
    with pytest.raises(WrongPassphrase):
        Library(folder, embedder=embedder, passphrase="nope", encrypt=True)
    assert _snapshot(folder) == before  # every file, byte for byte (the lock file too)
    with Library(folder, embedder=embedder, passphrase=PASSPHRASE) as lib:  # and it still opens
        assert len(lib.documents()) == 3

    # a plain library is never silently converted by --encrypt: `docent passphrase` does that, and says so
    plain = tmp_path / "plain"
    with Library(plain, embedder=embedder) as lib:
        run_index(lib, [docs])
    before = _snapshot(plain)
    with pytest.raises(DocentError, match="not encrypted: encrypt it first with `docent passphrase`"):
        Library(plain, embedder=embedder, passphrase=PASSPHRASE, encrypt=True)
    with pytest.raises(PassphraseRequired):
        Library(tmp_path / "new", embedder=embedder, encrypt=True)
    assert _snapshot(plain) == before and not (tmp_path / "new").exists()


def _cli(args: list[str], data: Path, netlog: Path, passphrase: str | None,
         expect_rc: int = 0) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(NETGUARD), DOCENT_TEST_NETLOG=str(netlog))
    env.pop(crypto.PASSPHRASE_ENV, None)
    if passphrase is not None:
        env[crypto.PASSPHRASE_ENV] = passphrase
    proc = subprocess.run([sys.executable, "-m", "docent", "--data-dir", str(data), *args], check=False, capture_output=True,
                          text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == expect_rc, (args, proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def test_cli_index_encrypt_then_every_command_needs_the_passphrase(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _make_docs(docs)
    data = tmp_path / "data"
    netlog = tmp_path / "netlog.txt"

    summary = json.loads(_cli(["index", "--encrypt", str(docs), "--json"], data, netlog, PASSPHRASE).stdout)
    assert summary["indexed"] == 3
    status = json.loads(_cli(["status", "--json"], data, netlog, PASSPHRASE).stdout)
    assert status["encrypted"] is True and len(status["documents"]) == 3
    hits = json.loads(_cli(["search", "Vexmoorian astrolabes", "--json"], data, netlog, PASSPHRASE).stdout)["hits"]
    assert hits[0]["path"] == str(docs / "notes.txt") and "Vexmoorian" in hits[0]["text"]
    answer = json.loads(_cli(["ask", "What is the boiling point of mercury on Jupiter?", "--json"],
                             data, netlog, PASSPHRASE).stdout)
    assert answer["answered"] is False and isinstance(answer["answer"], str)
    # a second index run on the same folder (without --encrypt) reads the same variable
    again = json.loads(_cli(["index", str(docs), "--json"], data, netlog, PASSPHRASE).stdout)
    assert again["unchanged"] == 3
    assert _files_holding(data, NEEDLES) == {}

    before = _snapshot(data)
    for args in (["status"], ["search", "astrolabes"], ["index", str(docs)], ["index", "--encrypt", str(docs)]):
        wrong = _cli(args, data, netlog, "not it", expect_rc=2)
        assert "wrong passphrase" in wrong.stderr and "Traceback" not in wrong.stderr, wrong.stderr
        missing = _cli(args, data, netlog, None, expect_rc=2)  # no terminal to ask on: say what is needed
        assert "encrypted" in missing.stderr and "DOCENT_PASSPHRASE" in missing.stderr, missing.stderr
    assert _snapshot(data) == before
    assert not netlog.exists() or netlog.read_text() == "", netlog.read_text()


def _cli_on_a_terminal(args: list[str], data: Path, answers: list[str]) -> tuple[int, str]:
    """Run docent on a pseudo-terminal (no DOCENT_PASSPHRASE), typing each answer after a prompt."""
    import pty
    import time

    env = dict(os.environ, PYTHONPATH=str(NETGUARD), DOCENT_TEST_NETLOG=str(data.parent / "netlog.txt"))
    env.pop(crypto.PASSPHRASE_ENV, None)
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.execve(sys.executable, [sys.executable, "-m", "docent", "--data-dir", str(data), *args], env)
    out = b""
    for answer in answers:
        seen, deadline = b"", time.monotonic() + 60
        while not seen.rstrip().endswith(b":") and time.monotonic() < deadline:
            seen += os.read(fd, 1024)
        out += seen
        os.write(fd, answer.encode() + b"\n")
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child has ended
            break
        if not chunk:
            break
        out += chunk
    os.close(fd)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), out.decode(errors="replace")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pseudo-terminal as on Linux")
def test_cli_asks_the_passphrase_on_a_terminal(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.txt").write_text(SENTENCE + "\n", encoding="utf-8")
    data = tmp_path / "data"
    rc, out = _cli_on_a_terminal(["index", "--encrypt", str(docs)], data, [PASSPHRASE, PASSPHRASE + "x"])
    assert rc == 2 and "passphrases differ" in out and not data.exists(), out
    rc, out = _cli_on_a_terminal(["index", "--encrypt", str(docs)], data, [PASSPHRASE, PASSPHRASE])
    assert rc == 0 and "Indexed 1 file " in out and PASSPHRASE not in out, out  # never echoed
    rc, out = _cli_on_a_terminal(["search", "astrolabes"], data, ["wrong"])
    assert rc == 2 and "wrong passphrase" in out, out
    rc, out = _cli_on_a_terminal(["search", "astrolabes"], data, [PASSPHRASE])
    assert rc == 0 and "Vexmoorian" in out, out
    assert _files_holding(data, NEEDLES + [PASSPHRASE]) == {}
    netlog = tmp_path / "netlog.txt"
    assert not netlog.exists() or netlog.read_text() == "", netlog.read_text()

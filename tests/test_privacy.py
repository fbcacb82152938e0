"""Data at rest: removing a library deletes every trace of it (vectors, keyword index, catalog, chats,
audit log, settings) and its folder; the log never holds document text unless debugging; the
library folder is private to the user (0700)."""

from __future__ import annotations

import io
import logging
import os
import stat
from pathlib import Path
from typing import Any, Iterator

import pytest

import docgen
from docent import paths
from docent.core.storage.chats import ChatStore, Passage, Turn
from docent.core.ingest.folders import FolderList
from docent.core.storage.registry import REGISTRY_FILE, Registry, delete_library
from docent.core.library import Library
from docent.core.types import AnswerDone, Sources
from docent.errors import DataDirLocked
from docent.settings import Settings
from helpers import run_index

# Distinctive words no model, library or tokenizer file holds.
SENTENCE = "The Zorbluvian quartermasters polish eleven brass astrolabes every Thursday at dawn."
NONCE = "zorbluvian"
PDF_SENTENCE = "Quillifrax beekeepers in Ostrava harvest linden honey under a violet moon."
DOCX_WORD = "Snarvelhoff"
CHAT_QUESTION = "Which Plumquistadorian ferry timetable applies on Sundays?"
CHAT_ANSWER = "Glimmerwort timetable B applies on Sundays."
SECRETS = [SENTENCE, NONCE, "Quillifrax", DOCX_WORD, "Plumquistadorian", "Glimmerwort"]


def _files_holding(root: Path, needles: list[str]) -> dict[str, list[str]]:
    """file → the needles found in its bytes (UTF-8 and UTF-16, any case)."""
    found: dict[str, list[str]] = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            file = Path(dirpath) / name
            try:
                data = file.read_bytes().lower()
            except OSError:
                continue
            hits = [n for n in needles if n.lower().encode("utf-8") in data or n.lower().encode("utf-16-le") in data]
            if hits:
                found[str(file)] = hits
    return found


def _make_docs(docs: Path) -> None:
    (docs / "notes.txt").parent.mkdir(parents=True, exist_ok=True)
    (docs / "notes.txt").write_text(SENTENCE + "\n\nA second paragraph about harbour cranes.\n", encoding="utf-8")
    docgen.write_pdf(docs / "bees.pdf", [PDF_SENTENCE])
    docgen.write_docx(docs / "contract.docx", [docgen.Section("Parties", paragraphs=[
        f"The {DOCX_WORD} Shipping Company leases berth nine for five years."])])


def _fill_library(folder: Path, docs: Path, embedder: Any) -> None:  # noqa: ANN401
    """Everything a user does in a library: follow a folder, index, search, ask, keep the chat,
    with the audit log on (the office profile)."""
    settings = Settings(profile="office")
    with Library(folder, settings, embedder=embedder) as lib:
        folders = FolderList.load(folder)
        folders.add(docs)
        folders.save()
        _, done = run_index(lib, [docs])
        assert done.indexed == 3, done
        assert lib.search("Zorbluvian astrolabes", top_k=1)[0].path == str(docs / "notes.txt")
        events = list(lib.ask(CHAT_QUESTION))  # declined before the model: nothing relevant
        done_ev = events[-1]
        assert isinstance(done_ev, AnswerDone)
        turn = Turn(question=CHAT_QUESTION, answer=CHAT_ANSWER, answered=True)
        turn.sources = [Passage.from_hit(i, h) for i, h in enumerate(events[0].hits, start=1)] \
            if isinstance(events[0], Sources) else []
        store = ChatStore(folder / "chats")
        chat = store.new()
        chat.turns.append(turn)
        store.save(chat)


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    default = tmp_path / "data" / "library"
    return Registry(default.parent / REGISTRY_FILE, default)


def test_removing_a_library_deletes_every_trace_of_it(tmp_path: Path, registry: Registry, embedder) -> None:  # noqa: ANN001
    docs = tmp_path / "docs"
    _make_docs(docs)
    entry = registry.add("Contracts")
    registry.current = entry.path
    registry.save()
    folder = Path(entry.path)
    _fill_library(folder, docs, embedder)
    # the default library is used too, and must survive
    with Library(Path(registry.default_dir), embedder=embedder) as other:
        (docs.parent / "other").mkdir()
        (docs.parent / "other" / "kept.txt").write_text("Kept: the default library stays.\n", encoding="utf-8")
        run_index(other, [docs.parent / "other"])

    data_root = tmp_path / "data"
    before = _files_holding(data_root, SECRETS)
    # the test proves something only if the library held them: keyword index, chunks, chats
    assert {n for hits in before.values() for n in hits} >= {NONCE, "Quillifrax", DOCX_WORD, "Plumquistadorian",
                                                              "Glimmerwort"}, before
    assert all(Path(f).is_relative_to(folder) for f in before), before

    left = registry.remove(entry.path)
    registry.save()

    assert left == []
    assert not folder.exists(), sorted(p.name for p in folder.iterdir())
    assert _files_holding(data_root, SECRETS) == {}
    assert all(e.path != entry.path for e in Registry(registry.file, Path(registry.default_dir)).entries)
    assert registry.current == registry.default_dir
    with Library(Path(registry.default_dir), embedder=embedder) as other:
        assert [Path(d.path).name for d in other.documents()] == ["kept.txt"]
        assert other.search("default library stays", top_k=1)


def test_a_library_in_use_is_not_removed(tmp_path: Path, registry: Registry, embedder) -> None:  # noqa: ANN001
    entry = registry.add("Busy")
    with Library(Path(entry.path), embedder=embedder):
        with pytest.raises(DataDirLocked):
            registry.remove(entry.path)
        assert (Path(entry.path) / "catalog.sqlite3").exists()
    assert any(e.path == entry.path for e in registry.entries)


def test_a_library_in_a_folder_the_user_chose_keeps_the_users_files(tmp_path: Path, registry: Registry, embedder) -> None:  # noqa: ANN001
    docs = tmp_path / "docs"
    _make_docs(docs)
    folder = tmp_path / "my-folder"
    folder.mkdir()
    (folder / "my notes.txt").write_text("mine\n", encoding="utf-8")
    entry = registry.add("Mine", folder)
    _fill_library(folder, docs, embedder)
    assert registry.remove(entry.path) == ["my notes.txt"]
    assert sorted(p.name for p in folder.iterdir()) == ["my notes.txt"]
    assert _files_holding(folder, SECRETS) == {}
    assert delete_library(tmp_path / "never-existed") == []


def test_forgetting_a_document_leaves_no_copy_of_its_text(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    docs = tmp_path / "docs"
    _make_docs(docs)
    folder = tmp_path / "lib"
    with Library(folder, embedder=embedder) as lib:
        run_index(lib, [docs])
        assert lib.remove(docs / "notes.txt") == 1
        assert lib.search("Zorbluvian astrolabes", top_k=1)[0].path != str(docs / "notes.txt")
    assert {n for hits in _files_holding(folder, SECRETS).values() for n in hits} >= {"Quillifrax"}  # others stay
    assert not [f for f, hits in _files_holding(folder, [SENTENCE, NONCE]).items()], _files_holding(folder, [NONCE])


# ---- logs ---------------------------------------------------------------------------------------------
@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """The window's log set up as app.main does (a rotating file in DOCENT_LOG_DIR), removed after."""
    from docent.app import setup_logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    file = setup_logging(paths.log_dir())
    yield file
    for h in root.handlers:
        if h not in handlers:
            root.removeHandler(h)
            h.close()
    root.setLevel(level)


def _damaged_plain_pdf(path: Path, sentence: str) -> Path:
    """A PDF whose page is not compressed and whose page object is damaged (its dictionary does not
    end before the stream): pypdf warns, quoting the raw bytes of the page, i.e. the sentence."""
    import re

    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=0, invariant=1)
    c.setFont("Helvetica", 11)
    c.drawString(72, 720, sentence)
    c.showPage()
    c.save()
    data, n = re.subn(rb">>\nstream\n[^()]*?(?=BT 1 0 0 1 72 720 Tm \()", b"stream\n", buf.getvalue())
    assert n == 1
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("inline", [False, True], ids=["worker", "inline"])
def test_indexing_and_asking_never_log_document_text(tmp_path: Path, embedder, log_file: Path,  # noqa: ANN001
                                                      monkeypatch: pytest.MonkeyPatch, inline: bool) -> None:
    if inline:
        monkeypatch.setenv("DOCENT_INLINE_EXTRACT", "1")
    docs = tmp_path / "docs"
    _make_docs(docs)
    _damaged_plain_pdf(docs / "damaged.pdf", "Vexaloran " + SENTENCE)
    docgen.write_random_bytes(docs / "broken.pdf")
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        events, done = run_index(lib, [docs])
        assert (done.indexed, done.failed + done.skipped) == (3, 2), done
        lib.search("Zorbluvian astrolabes")
        list(lib.ask(CHAT_QUESTION))
    for h in logging.getLogger().handlers:
        h.flush()
    assert log_file.is_file()
    assert _files_holding(log_file.parent, SECRETS + ["Vexaloran", "astrolabes"]) == {}


@pytest.mark.slow
def test_an_answer_from_the_real_model_is_not_logged(tmp_path: Path, embedder, log_file: Path) -> None:  # noqa: ANN001
    """The model reads the passage and writes an answer quoting it: neither reaches the log."""
    docs = tmp_path / "docs"
    _make_docs(docs)
    settings = Settings(max_answer_tokens=32, n_ctx=2048, sources=1, n_threads=1, chat_model="smollm2-135m-instruct")
    with Library(tmp_path / "lib", settings, embedder=embedder) as lib:
        run_index(lib, [docs])
        done = list(lib.ask("What do the Zorbluvian quartermasters polish every Thursday?"))[-1]
        assert isinstance(done, AnswerDone) and "generation_s" in done.timings, "the model was not asked"
    for h in logging.getLogger().handlers:
        h.flush()
    assert _files_holding(log_file.parent, SECRETS + ["astrolabes"]) == {}
    answer = done.answer.strip()
    assert answer, "no answer to look for"
    assert answer[:40] not in log_file.read_text(encoding="utf-8")


def test_pypdf_warnings_with_document_bytes_reach_the_log_only_when_debugging(tmp_path: Path, log_file: Path) -> None:
    """The damaged PDF above does make pypdf quote the page (so the test above proves something):
    with the root logger at DEBUG (a developer's session) that is allowed through."""
    from docent.core.ingest.extract import extract

    pdf = _damaged_plain_pdf(tmp_path / "damaged.pdf", "Vexaloran moon harbour.")
    pypdf_log = logging.getLogger("pypdf")
    saved = pypdf_log.level
    try:
        pypdf_log.setLevel(logging.NOTSET)
        logging.getLogger().setLevel(logging.DEBUG)
        try:
            extract(pdf)
        except Exception:  # noqa: BLE001 - only the log matters here
            pass
        for h in logging.getLogger().handlers:
            h.flush()
        assert "Vexaloran" in log_file.read_text(encoding="utf-8"), "the damage was not quoted: the test proves nothing"
    finally:
        pypdf_log.setLevel(saved)


# ---- permissions ------------------------------------------------------------------------------------
def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_library_folders_are_private_to_the_user(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    old = os.umask(0o000)  # the most permissive umask: modes must not depend on it
    try:
        fresh = tmp_path / "a" / "b" / "lib"
        existing = tmp_path / "shared"
        existing.mkdir(mode=0o777)
        os.chmod(existing, 0o777)
        for folder in (fresh, existing):
            with Library(folder, embedder=embedder) as lib:
                docs = tmp_path / "docs"
                docs.mkdir(exist_ok=True)
                (docs / "a.txt").write_text(SENTENCE + "\n", encoding="utf-8")
                run_index(lib, [docs])
                store = ChatStore(folder / "chats")
                chat = store.new()
                chat.turns.append(Turn(question=CHAT_QUESTION, answer=CHAT_ANSWER))
                store.save(chat)
            assert _mode(folder) == 0o700, (folder, oct(_mode(folder)))
            assert _mode(folder / "chats") == 0o700
            # whatever is inside, nobody else can get in: the folder itself is closed to them
            if os.geteuid() != 0:
                other = stat.S_IRWXG | stat.S_IRWXO
                assert not _mode(folder) & other
    finally:
        os.umask(old)


def test_the_default_data_dir_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder) -> None:  # noqa: ANN001
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(tmp_path / "x" / "docent-data"))
    with Library(paths.data_dir(), embedder=embedder):
        pass
    assert _mode(paths.data_dir()) == 0o700

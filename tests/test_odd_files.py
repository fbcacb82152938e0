"""Odd file system inputs next to ordinary documents: symlink loops, dangling and self-referencing
links, a FIFO and a device under document names, non-ASCII, very long and undecodable file names,
a path longer than PATH_MAX, an unreadable file, Word files that are zip bombs or not zips at all,
and files deleted or changed between discovery and reading. The run ends, the ordinary files index,
and each odd one is either reported with a specific reason or left out (never hangs the run)."""

from __future__ import annotations

import os
import struct
import time
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest

import docgen
from docent.core.ingest.extract.worker import InlineExtractor, ProcessExtractor
from docent.core.ingest.indexer import Indexer
from docent.core.library import Library
from helpers import assert_consistent, by_name, file_done, run_index

FERRY = "The Vellmar ferry is painted bright orange and carries ninety cars between Skarsund and Holm."
NON_ASCII = "Übersicht – 日本語 résumé 🚢.txt"
LONG = "é" * 120 + ".txt"  # 244 bytes: near NAME_MAX (255 bytes)
ODD_CHARS = 'new\nline "quoted" <tag> & $HOME.txt'
BAD_BYTES = b"latin1-caf\xe9-\xff.txt"  # not valid UTF-8: Python keeps it as lone surrogates
IS_ROOT = os.geteuid() == 0


def write_zip_bomb(path: Path, megabytes: int = 520) -> Path:
    """A real .docx-shaped zip whose word/document.xml inflates to `megabytes` of XML (over the
    512 MB guard) from about a megabyte on disk."""
    chunk = b" " * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0"?><w:document xmlns:w="x"><w:body>')
            for _ in range(megabytes):
                fh.write(chunk)
            fh.write(b"</w:body></w:document>")
    return path


def write_lying_docx(path: Path) -> Path:
    """A small, valid .docx whose central directory declares a 4 GB document.xml."""
    docgen.write_docx(path, docgen.HARBOUR_SECTIONS[:1])
    raw = bytearray(path.read_bytes())
    at = raw.index(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46 : at + 46 + name_len] == b"word/document.xml":
            struct.pack_into("<I", raw, at + 24, 0xFFFFFFF0)
        at = raw.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(raw))
    return path


def _deep_file(base: Path, text: str) -> Path | None:
    """A file whose absolute path is longer than PATH_MAX (4096), made with dir_fd (no single path
    handed to the kernel is that long). None where the platform cannot."""
    if not hasattr(os, "O_DIRECTORY"):
        return None
    name = "d" * 200
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    depth = 0
    try:
        while len(str(base)) + depth * 201 < 4300:
            os.mkdir(name, dir_fd=fd)
            nxt = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nxt
            depth += 1
        out = os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, text.encode("utf-8"))
        os.close(out)
    finally:
        os.close(fd)
    return base.joinpath(*([name] * depth), "deep.txt")


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory, embedder, models_dir: Path) -> Iterator[Any]:  # noqa: ANN001
    root = tmp_path_factory.mktemp("odd")
    docs = root / "docs"
    docs.mkdir()
    # ordinary documents
    (docs / "ferry.txt").write_text(FERRY + "\n", encoding="utf-8")
    docgen.write_pdf(docs / "atlas.pdf", docgen.ATLAS_PAGES)
    docgen.write_docx(docs / "contract.docx", docgen.HARBOUR_SECTIONS)
    # odd names, ordinary contents
    (docs / NON_ASCII).write_text("Der Fährplan der Nordsee gilt ab Montag. Quokka tides.\n", encoding="utf-8")
    (docs / LONG).write_text("A very long file name holds the word axolotl.\n", encoding="utf-8")
    (docs / ODD_CHARS).write_text("Control characters in a name: the word pangolin.\n", encoding="utf-8")
    with open(os.path.join(os.fsencode(docs), BAD_BYTES), "wb") as fh:
        fh.write(b"A name that is not UTF-8: the word narwhal.\n")
    deep = _deep_file(docs, "Far below PATH_MAX: the word wombat.\n")
    # links and special files under document names
    (docs / "sub").mkdir()
    (docs / "sub" / "inner.txt").write_text("Inner file about lighthouse keepers.\n", encoding="utf-8")
    os.symlink(docs, docs / "loop")  # a folder linking to its parent
    os.symlink("..", docs / "sub" / "up")
    os.symlink(docs / "missing.pdf", docs / "dangling.pdf")
    os.symlink("self.pdf", docs / "self.pdf")  # ELOOP on open
    os.mkfifo(docs / "pipe.txt")  # opening it would block forever
    os.symlink("/dev/zero", docs / "zero.txt")  # reading it never ends
    (docs / "folder.pdf").mkdir()
    # broken Word files
    write_zip_bomb(docs / "bomb.docx")
    write_lying_docx(docs / "lying.docx")
    (docs / "plain.docx").write_text("Just text under a .docx name.\n", encoding="utf-8")
    (docs / "empty.docx").write_bytes(b"")
    (docs / "pdf-named.docx").write_bytes(docgen.pdf_bytes(["A PDF under a Word name."]))
    # an unreadable file
    secret = docs / "secret.txt"
    secret.write_text("Unreadable: the word okapi.\n", encoding="utf-8")
    secret.chmod(0o000)
    lib = Library(root / "lib", embedder=embedder)
    started = time.monotonic()
    try:
        events, done = run_index(lib, [docs])
        seconds = time.monotonic() - started
        yield lib, docs, events, done, seconds, deep
    finally:
        secret.chmod(0o600)
        lib.close()


def test_the_run_ends_and_ordinary_files_index(odd) -> None:  # noqa: ANN001
    lib, docs, _, done, seconds, _ = odd
    assert not done.cancelled
    assert seconds < 120, "something blocked the run (a FIFO, /dev/zero, a link loop?)"
    docs_by_name = by_name(lib)
    for name in ("ferry.txt", "atlas.pdf", "contract.docx", "inner.txt", NON_ASCII, LONG, ODD_CHARS):
        assert docs_by_name[name].status == "indexed", (name, docs_by_name.get(name))
    assert lib.search("Vellmar ferry orange", top_k=1)[0].path == str(docs / "ferry.txt")
    assert lib.search("Fährplan Nordsee quokka", top_k=1)[0].path == str(docs / NON_ASCII)
    assert lib.search("axolotl", top_k=1)[0].path == str(docs / LONG)
    assert lib.search("pangolin", top_k=1)[0].path == str(docs / ODD_CHARS)
    assert_consistent(lib)


def test_links_loops_and_special_files_are_left_out_without_duplicates(odd) -> None:  # noqa: ANN001
    lib, docs, _, _, _, _ = odd
    paths = [d.path for d in lib.documents()]
    assert len(paths) == len(set(paths))
    # nothing is reached twice through the loop links, and no special file is read
    assert not [p for p in paths if "/loop/" in p or "/up/" in p]
    listed = {Path(p).name for p in paths}
    assert not listed & {"dangling.pdf", "self.pdf", "pipe.txt", "zero.txt", "folder.pdf"}
    assert sum(Path(p).name == "inner.txt" for p in paths) == 1


def test_what_cannot_be_a_document_is_reported_with_a_reason(odd) -> None:  # noqa: ANN001
    from docent.core.types import FileLeftOut

    _, _, events, _, _, _ = odd
    left = {Path(e.path).name: e.reason for e in events if isinstance(e, FileLeftOut)}
    assert "does not exist" in left["dangling.pdf"] and "link loop" in left["self.pdf"]
    assert "not a regular file" in left["pipe.txt"] and "not a regular file" in left["zero.txt"]
    assert any("not valid text" in reason and "rename" in reason for reason in left.values())
    assert "folder.pdf" not in left  # a folder with a document's name is just a folder


def test_an_undecodable_file_name_does_not_stop_the_run(odd) -> None:  # noqa: ANN001
    lib, _, events, _, _, _ = odd
    for p in [d.path for d in lib.documents()] + list(file_done(events)):
        p.encode("utf-8")  # every stored path is text
    assert not [d for d in lib.documents() if "latin1-caf" in d.path]


def test_a_path_longer_than_path_max_does_not_stop_the_run(odd) -> None:  # noqa: ANN001
    lib, _, _, _, _, deep = odd
    if deep is None:
        pytest.skip("no dir_fd support here")
    doc = next((d for d in lib.documents() if d.path.endswith("deep.txt")), None)
    if doc is not None:  # read (some platforms allow it) or reported, never a crash
        assert doc.status == "indexed" or doc.reason, doc


@pytest.mark.parametrize(("name", "status", "words"), [
    ("bomb.docx", "failed", ("zip bomb",)),
    ("lying.docx", "failed", ("zip bomb",)),
    ("plain.docx", "failed", ("not a valid .docx",)),
    ("empty.docx", "skipped", ("empty file (no text)",)),  # like an empty .txt: nothing broken
    ("pdf-named.docx", "failed", ("not a valid .docx",)),
])
def test_broken_word_files_fail_with_a_specific_reason(odd, name: str, status: str, words: tuple[str, ...]) -> None:  # noqa: ANN001
    lib, docs, events, _, _, _ = odd
    doc = by_name(lib)[name]
    assert doc.status == status, doc
    assert all(w in doc.reason for w in words), doc.reason
    assert (doc.chunks, doc.pages) == (0, 0)
    ev = file_done(events)[str(docs / name)]
    assert (ev.status, ev.reason) == (doc.status, doc.reason)


def test_an_unreadable_file_fails_with_permission_denied(odd) -> None:  # noqa: ANN001
    lib, _, _, _, _, _ = odd
    doc = by_name(lib)["secret.txt"]
    if IS_ROOT:
        pytest.skip("running as root: file permissions do not apply")
    assert (doc.status, doc.reason) == ("failed", "permission denied")


# ---- files that change under the indexer ------------------------------------------------------------
class _Meddler:
    """An extractor that does something to a file just before reading it, then reads it with the real
    extractor (the worker process unless `inline`)."""

    def __init__(self, target: Path, action: str, inline: bool = False) -> None:
        self.target, self.action = target, action
        self.inner: Any = InlineExtractor() if inline else ProcessExtractor(timeout_s=60)

    def submit(self, path: str) -> None:
        if path != str(self.target):  # never read ahead the file about to change
            self.inner.submit(path)

    def result(self, path: str) -> Any:  # noqa: ANN401
        if path == str(self.target):
            if self.action == "delete":
                self.target.unlink()
            else:
                self.target.write_text("Rewritten while indexing: the harbour now opens at noon.\n", encoding="utf-8")
        return self.inner.result(path)

    def close(self) -> None:
        self.inner.close()


def _folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Alpha: the lighthouse lamp is visible for twenty miles.\n", encoding="utf-8")
    (docs / "b.txt").write_text("Bravo: the harbour opens at six in the morning.\n", encoding="utf-8")
    (docs / "c.txt").write_text("Charlie: the ferry carries ninety cars.\n", encoding="utf-8")
    return docs


def test_a_file_deleted_between_discovery_and_reading(tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    import docent.core.ingest.indexer as indexer_mod

    docs = _folder(tmp_path)
    real_scan = indexer_mod.scan

    def scan_then_delete(roots: Any, left_out: Any = None, **kwargs: Any) -> Any:  # noqa: ANN401
        found = real_scan(roots, left_out, **kwargs)
        (docs / "b.txt").unlink()
        return found

    monkeypatch.setattr(indexer_mod, "scan", scan_then_delete)
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        events, done = run_index(lib, [docs])
        ev = file_done(events)[str(docs / "b.txt")]
        assert (ev.status, ev.reason) == ("failed", "the file disappeared before it could be read")
        assert done.indexed == 2
        assert sorted(by_name(lib)) == ["a.txt", "c.txt"]
        assert_consistent(lib)


@pytest.mark.parametrize("inline", [False, True], ids=["worker", "inline"])
def test_a_file_deleted_while_it_is_read(tmp_path: Path, embedder, inline: bool) -> None:  # noqa: ANN001
    docs = _folder(tmp_path)
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        meddler = _Meddler(docs / "b.txt", "delete", inline)
        indexer = Indexer(lib.catalog, lib.store, lib.embedder, lib.chunk_params, extractor=meddler)  # type: ignore[arg-type]
        try:
            events = list(indexer.sync([docs]))
        finally:
            meddler.close()
        ev = file_done(events)[str(docs / "b.txt")]
        assert (ev.status, ev.reason) == ("failed", "the file disappeared while it was being read")
        assert sorted(d.path for d in lib.documents() if d.status == "indexed") == [str(docs / "a.txt"), str(docs / "c.txt")]
        assert_consistent(lib)


def test_a_file_changed_while_it_is_read_is_read_again_next_time(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    docs = _folder(tmp_path)
    b = docs / "b.txt"
    os.utime(b, (time.time() - 100, time.time() - 100))  # the rewrite below moves its mtime on
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        meddler = _Meddler(b, "rewrite")
        indexer = Indexer(lib.catalog, lib.store, lib.embedder, lib.chunk_params, extractor=meddler)  # type: ignore[arg-type]
        try:
            events = list(indexer.sync([docs]))
        finally:
            meddler.close()
        assert file_done(events)[str(b)].status == "indexed"
        # the catalog must not take the new content for the old: the next run sees the change
        _, done = run_index(lib, [docs])
        assert (done.indexed, done.unchanged) == (1, 2), done
        doc = by_name(lib)["b.txt"]
        from docent.core.ingest.indexer import file_sha256

        assert doc.sha256 == file_sha256(str(b))
        top = lib.search("harbour opens at noon", top_k=1)[0]
        assert top.path == str(b) and "noon" in top.text
        _, done = run_index(lib, [docs])
        assert done.unchanged == 3
        assert_consistent(lib)

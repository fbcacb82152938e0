"""Property-based fuzzing (hypothesis) of the chunker and of the parsers' error paths.

- The chunker, on arbitrary blocks (any unicode, words longer than a window, empty and blank
  paragraphs, runs of headings, pages): every visible character lands in a chunk, each chunk is
  the exact slice of the document text its offsets name, no chunk is blank, crosses a page or
  exceeds the token budget counted with the real embedder's tokenizer.
- The same through the Markdown/text extractor, from arbitrary file contents.
- The parsers, on real small PDFs and Word files mutated byte by byte (flips, truncations, junk
  inserted, ranges deleted) or entry by entry (a zip entry replaced, dropped, damaged, its declared
  size changed): in this process and in the indexer's worker process, every input either extracts
  or raises ExtractError with a short human-readable reason; nothing else, and nothing hangs.

Example counts are kept small so the file runs in well under a minute; tests/bench/fuzz.py runs
the same mutations for as many iterations as asked.
"""

from __future__ import annotations

import io
import random
import signal
import struct
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import docgen
from docent.core.ingest.chunking import ChunkParams, chunk_blocks, document_text
from docent.core.ingest.extract import ExtractError, extract
from docent.core.ingest.extract.text import extract_text
from docent.core.ingest.extract.worker import ProcessExtractor
from docent.core.types import Block, Extraction

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "resources" / "samples"

pytestmark = pytest.mark.fuzz  # the fast suite leaves it out: -m "not fuzz"

# ---- chunker ----------------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzéüßøç"
_words = st.one_of(
    st.sampled_from(["harbour", "quay", "bollard", "the", "of", "3.5", "km/h", "Zürich", "naïve", "e.g.",
                     "日本語", "Привет", "مرحبا", "😀", "a-b", "(x)", "—", "…"]),
    st.text(alphabet=_LETTERS, min_size=1, max_size=12),
    st.text(alphabet=_LETTERS, min_size=40, max_size=140),  # longer than a window, or than BERT's 100
    st.text(min_size=1, max_size=8),  # anything: control characters, combining marks, astral planes
)
_seps = st.sampled_from([" ", " ", " ", ". ", "! ", "? ", ", ", "\n", "  ", "\t", "。", ".\" ", "\u00a0"])


@st.composite
def paragraph_text(draw: st.DrawFn, max_words: int = 120) -> str:
    kind = draw(st.sampled_from(["words", "words", "words", "empty", "blank", "raw"]))
    if kind == "empty":
        return ""
    if kind == "blank":
        return draw(st.text(alphabet=" \t\n\u00a0\u3000", min_size=1, max_size=5))
    if kind == "raw":
        return draw(st.text(max_size=300))
    words = draw(st.lists(_words, min_size=1, max_size=max_words))
    out = []
    for w in words:
        out.append(w)
        out.append(draw(_seps))
    return "".join(out[:-1])


@st.composite
def block_lists(draw: st.DrawFn) -> list[Block]:
    pdf_like = draw(st.booleans())
    blocks: list[Block] = []
    page, heading, para = 1, "", 0
    for _ in range(draw(st.integers(1, 14))):
        if pdf_like:
            if draw(st.integers(0, 3)) == 0:
                page += draw(st.integers(1, 2))
                para = 0
            para += 1
            blocks.append(Block(draw(paragraph_text()), page=page, para=para))
        elif draw(st.integers(0, 3)) == 0:  # a heading (often several in a row)
            title = draw(paragraph_text(max_words=6))
            heading = (heading + " › " + title) if heading and draw(st.booleans()) else title
            para = 0
            blocks.append(Block(title, heading=heading, kind="heading"))
        else:
            para += 1
            kind = draw(st.sampled_from(["text", "text", "list", "table"]))
            blocks.append(Block(draw(paragraph_text()), heading=heading, para=para, kind=kind))
    return blocks


@st.composite
def chunk_params(draw: st.DrawFn) -> ChunkParams:
    max_tokens = draw(st.integers(4, 64))
    overlap = draw(st.integers(0, max_tokens // 2))
    return ChunkParams(max_tokens, overlap, min_tokens=draw(st.integers(0, max_tokens)))


def check_chunks(blocks: Sequence[Block], token_spans: Callable[[str], list[tuple[int, int]]],
                 params: ChunkParams) -> None:
    """The chunker's invariants; an AssertionError names the first one broken."""
    doc = document_text(blocks)
    chunks = chunk_blocks(blocks, token_spans, params, doc_key="fuzz")
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    covered = bytearray(len(doc))
    for c in chunks:
        assert 0 <= c.char_start < c.char_end <= len(doc), ("offsets out of range", c)
        assert doc[c.char_start : c.char_end] == c.text, ("chunk text is not its source slice", c)
        assert c.text.strip(), ("blank chunk", c)
        n = len(token_spans(c.text))
        assert n <= params.max_tokens, ("over the token budget", n, params, c.text[:120])
        if c.page is not None:
            assert c.page == c.page_end, ("a chunk crosses a page", c)
        covered[c.char_start : c.char_end] = b"\x01" * (c.char_end - c.char_start)
    lost = [i for i, ch in enumerate(doc) if not ch.isspace() and not covered[i]]
    assert not lost, ("characters in no chunk", repr(doc[max(0, lost[0] - 20) : lost[0] + 20]))
    starts = [c.char_start for c in chunks]
    assert starts == sorted(starts), "chunks out of document order"
    again = chunk_blocks(list(blocks), token_spans, params, doc_key="fuzz")
    assert [c.id for c in again] == [c.id for c in chunks], "not deterministic"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(blocks=block_lists(), params=chunk_params())
def test_chunker_invariants_on_arbitrary_blocks(embedder, blocks: list[Block], params: ChunkParams) -> None:  # noqa: ANN001
    check_chunks(blocks, embedder.token_spans, params)


@st.composite
def markdown_files(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["heading", "para", "para", "list", "blank", "raw"]))
        if kind == "heading":
            lines.append("#" * draw(st.integers(1, 7)) + draw(st.sampled_from([" ", "  ", ""]))
                         + draw(paragraph_text(max_words=5)).replace("\n", " "))
        elif kind == "para":
            lines.append(draw(paragraph_text()))
        elif kind == "list":
            lines.extend(draw(st.sampled_from(["- ", "* ", "1. ", "• "])) + draw(paragraph_text(max_words=8))
                         for _ in range(draw(st.integers(1, 4))))
        elif kind == "blank":
            lines.append(draw(st.sampled_from(["", " ", "\t", "\r"])))
        else:
            lines.append(draw(st.text(max_size=80)))
        lines.append(draw(st.sampled_from(["", "", "\r"])))
    return "\n".join(lines)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(source=markdown_files(), params=chunk_params(), suffix=st.sampled_from([".md", ".txt"]))
def test_text_extraction_then_chunking_keeps_every_word(embedder, fuzz_dir: Path, source: str,  # noqa: ANN001
                                                        params: ChunkParams, suffix: str) -> None:
    path = fuzz_dir / f"fuzz{suffix}"
    path.write_bytes(source.encode("utf-8", "surrogatepass"))
    try:
        extraction = extract_text(path)
    except ExtractError as exc:
        assert exc.status == "skipped", exc.reason
        if "\x00" in source:
            assert "binary" in exc.reason, exc.reason
        else:
            assert "empty" in exc.reason, exc.reason
            assert not any(ch.isalnum() for ch in source), "a file with words was called empty"
        return
    doc = document_text(extraction.blocks)
    for block in extraction.blocks:
        assert block.text.strip(), ("blank block", block)
    # every run of ASCII letters and digits of the file is in the extracted text (markup aside)
    import re

    for word in re.findall(r"[A-Za-z0-9]+", source):
        assert word in doc, (word, doc[:200])
    check_chunks(extraction.blocks, embedder.token_spans, params)


# ---- parsers: mutations -------------------------------------------------------------------------------
def seed_files() -> dict[str, bytes]:
    """Small real documents: generated ones and the packaged samples."""
    seeds = {
        "atlas.pdf": docgen.pdf_bytes(docgen.ATLAS_PAGES[:2]),
        "handbook.pdf": (SAMPLES / "Employee_Handbook.pdf").read_bytes(),
        "agreement.docx": (SAMPLES / "Cleaning_Service_Agreement.docx").read_bytes(),
    }
    # uncompressed content streams: mutations reach pypdf's content parser, not only the inflater
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=0, invariant=1)
    for page in docgen.ATLAS_PAGES[3:5]:
        c.setFont("Helvetica", 11)
        for k, line in enumerate((page[:70], page[70:140], page[140:])):
            c.drawString(72, 720 - 14 * k, line)
        c.showPage()
    c.save()
    seeds["plain.pdf"] = buf.getvalue()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        enc = docgen.write_encrypted_pdf(Path(tmp) / "enc.pdf", [docgen.ATLAS_PAGES[2]], user_password="")
        seeds["encrypted.pdf"] = enc.read_bytes()
        docx = docgen.write_docx(Path(tmp) / "contract.docx", docgen.HARBOUR_SECTIONS, title="Harbour contract")
        seeds["contract.docx"] = docx.read_bytes()
    return seeds


BYTE_OPS = ("flip", "truncate", "insert", "delete", "overwrite", "duplicate")
ZIP_OPS = ("replace", "drop", "mutate", "declared_size", "add_junk_entry", "store_garbage")


def mutate_bytes(data: bytes, ops: Sequence[tuple[str, int, int, bytes]]) -> bytes:
    """Apply byte-level mutations: (op, position, length or value, junk)."""
    buf = bytearray(data)
    for op, pos, n, junk in ops:
        if not buf:
            buf = bytearray(junk)
            continue
        p = pos % len(buf)
        if op == "flip":
            buf[p] ^= (n % 255) + 1
        elif op == "truncate":
            del buf[p:]
        elif op == "insert":
            buf[p:p] = junk
        elif op == "delete":
            del buf[p : p + 1 + n % 512]
        elif op == "overwrite":
            buf[p : p + len(junk)] = junk
        elif op == "duplicate":
            buf[p:p] = buf[p : p + 1 + n % 2048]
    return bytes(buf)


def mutate_zip(data: bytes, ops: Sequence[tuple[str, int, int, bytes]]) -> bytes:
    """Rewrite a zip package entry by entry: an entry's content replaced by junk, dropped, damaged
    byte-wise, declared with another uncompressed size, or junk added."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        entries = [(info, zf.read(info)) for info in zf.infolist()]
    patch_sizes: list[tuple[int, int]] = []
    for op, pos, n, junk in ops:
        if not entries:
            break
        k = pos % len(entries)
        info, content = entries[k]
        if op == "replace":
            entries[k] = (info, junk)
        elif op == "drop":
            del entries[k]
        elif op == "mutate":
            entries[k] = (info, mutate_bytes(content, [(BYTE_OPS[n % len(BYTE_OPS)], pos // 7, n, junk)]))
        elif op == "declared_size":
            patch_sizes.append((k, n))
        elif op == "add_junk_entry":
            entries.append((zipfile.ZipInfo(f"word/junk{len(entries)}-{n}.xml"), junk))
        elif op == "store_garbage":  # well-formed XML that is not WordprocessingML
            entries[k] = (info, b"<?xml version='1.0'?><a><b>" + junk.replace(b"<", b"") + b"</b></a>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zw:
        for info, content in entries:
            zw.writestr(info.filename, content)
    raw = bytearray(out.getvalue())
    # the declared uncompressed size lives in each central directory header (offset 24)
    headers = [i for i in range(len(raw)) if raw[i : i + 4] == b"PK\x01\x02"]
    for k, n in patch_sizes:
        if headers:
            h = headers[k % len(headers)]
            size = [0, 1, n, 0x7FFFFFFF, 0xFFFFFFFE][n % 5]
            raw[h + 24 : h + 28] = struct.pack("<I", size)
    return bytes(raw)


_byte_ops = st.lists(
    st.tuples(st.sampled_from(BYTE_OPS), st.integers(0, 1 << 20), st.integers(0, 1 << 12),
              st.binary(min_size=0, max_size=64)),
    min_size=1, max_size=4,
)
_zip_ops = st.lists(
    st.tuples(st.sampled_from(ZIP_OPS), st.integers(0, 1 << 20), st.integers(0, 1 << 12),
              st.binary(min_size=0, max_size=256)),
    min_size=1, max_size=3,
)


@st.composite
def mutated_documents(draw: st.DrawFn, seeds: dict[str, bytes]) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(seeds)))
    data = seeds[name]
    if name.endswith(".docx") and draw(st.booleans()):
        data = mutate_zip(data, draw(_zip_ops))
        if draw(st.booleans()):
            return name, data
    return name, mutate_bytes(data, draw(_byte_ops))


def random_mutation(rng: random.Random, seeds: dict[str, bytes]) -> tuple[str, bytes]:
    """The same mutations drawn from a plain RNG (for tests/bench/fuzz.py)."""
    name = rng.choice(sorted(seeds))
    data = seeds[name]

    def ops(kinds: Sequence[str], count: int, junk_max: int) -> list[tuple[str, int, int, bytes]]:
        return [(rng.choice(kinds), rng.randrange(1 << 20), rng.randrange(1 << 12),
                 rng.randbytes(rng.randrange(junk_max + 1))) for _ in range(count)]

    if name.endswith(".docx") and rng.random() < 0.5:
        data = mutate_zip(data, ops(ZIP_OPS, rng.randint(1, 3), 256))
        if rng.random() < 0.5:
            return name, data
    return name, mutate_bytes(data, ops(BYTE_OPS, rng.randint(1, 4), 64))


def check_reason(exc: ExtractError) -> None:
    """A reason a person can read: one short line, no traceback, no Python object repr."""
    assert exc.status in ("failed", "skipped"), exc.status
    assert isinstance(exc.reason, str) and exc.reason.strip(), repr(exc.reason)
    assert len(exc.reason) <= 300 and "\n" not in exc.reason, repr(exc.reason)
    assert "Traceback" not in exc.reason and " object at 0x" not in exc.reason, repr(exc.reason)


def check_extraction(result: Extraction) -> None:
    assert result.blocks, "an extraction without blocks should have been an ExtractError"
    for block in result.blocks:
        assert isinstance(block.text, str) and block.text.strip(), block


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise Hang in this (main) thread after `seconds`."""
    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    started = time.monotonic()
    outer = signal.alarm(seconds)  # pytest-timeout's own alarm, if set: put back afterwards
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        if outer:
            signal.alarm(max(1, round(outer - (time.monotonic() - started))))


def extract_in_process(path: Path, limit_s: int = 20) -> str:
    """"ok", or the ExtractError's reason; anything but ExtractError propagates (a bug)."""
    try:
        with time_limit(limit_s):
            result = extract(path)
    except ExtractError as exc:
        check_reason(exc)
        return exc.reason
    check_extraction(result)
    return "ok"


SEEDS = seed_files()
_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]


def test_seeds_extract_unmutated(fuzz_dir: Path) -> None:
    for name, data in SEEDS.items():
        path = fuzz_dir / name
        path.write_bytes(data)
        assert extract_in_process(path) == "ok", name


@settings(max_examples=600, deadline=None, suppress_health_check=_HEALTH)
@given(doc=mutated_documents(SEEDS))
def test_mutated_documents_extract_or_give_a_reason_in_process(fuzz_dir: Path, doc: tuple[str, bytes]) -> None:
    name, data = doc
    assume(data != SEEDS[name])
    path = fuzz_dir / ("m-" + name)
    path.write_bytes(data)
    extract_in_process(path)


@pytest.fixture(scope="module")
def worker() -> Iterator[ProcessExtractor]:
    with ProcessExtractor(timeout_s=20, grace_s=0.0) as ex:
        yield ex


@settings(max_examples=150, deadline=None, suppress_health_check=_HEALTH)
@given(doc=mutated_documents(SEEDS))
def test_mutated_documents_extract_or_give_a_reason_in_the_worker(fuzz_dir: Path, worker: ProcessExtractor,
                                                                  doc: tuple[str, bytes]) -> None:
    name, data = doc
    path = fuzz_dir / ("w-" + name)
    path.write_bytes(data)
    expected = extract_in_process(path)  # "ok" or the reason
    try:
        result = worker.result(str(path))
    except ExtractError as exc:
        check_reason(exc)
        # the same reason as in this process, not one of the worker's catch-alls for a crash
        assert exc.reason == expected, (exc.reason, expected)
    else:
        check_extraction(result)
        assert expected == "ok", expected

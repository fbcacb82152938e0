"""The chunker: exact source slices, token limits counted with the embedder's own tokenizer,
deterministic ids."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

import docgen
from docent.core.ingest.chunking import ChunkParams, block_offsets, chunk_blocks, document_text
from docent.core.ingest.extract import extract
from docent.core.types import Block

WORDS = (
    "harbour quay vessel mooring inspection bollard corrosion tide channel marker survey depth pilot "
    "ferry crane pontoon jetty berth anchor chain fender hydraulic authority contract maintenance "
    "antidisestablishmentarianism électricité Zürich naïve 2024 3.5 km/h"
).split()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _paragraph(rng: random.Random, sentences: int, words: tuple[int, int] = (6, 18)) -> str:
    return " ".join(_sentence(rng, rng.randint(*words)) for _ in range(sentences))


def _synthetic_blocks(seed: int = 1) -> list[Block]:
    rng = random.Random(seed)
    blocks: list[Block] = []
    # PDF-like: pages with short and very long paragraphs
    for page in (1, 2, 3):
        for para in range(1, 5):
            sentences = rng.choice([1, 2, 4, 30])  # 30 sentences: longer than any chunk
            blocks.append(Block(_paragraph(rng, sentences), page=page, para=para))
    # one paragraph with no sentence end at all (split on tokens only)
    blocks.append(Block(" ".join(rng.choice(WORDS) for _ in range(700)), page=4, para=1))
    return blocks


def _docx_like_blocks(seed: int = 2) -> list[Block]:
    rng = random.Random(seed)
    blocks: list[Block] = []
    for title in ("Scope", "Scope › Terms", "Payment"):
        blocks.append(Block(title.split(" › ")[-1], heading=title, kind="heading"))
        for para in range(1, rng.randint(3, 7)):
            blocks.append(Block(_paragraph(rng, rng.choice([1, 3, 12])), heading=title, para=para))
    return blocks


@pytest.fixture(scope="module")
def real_blocks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Block]]:
    root = tmp_path_factory.mktemp("chunk-docs")
    rng = random.Random(3)
    pdf = docgen.write_pdf(root / "long.pdf", [[_paragraph(rng, 3), _paragraph(rng, 25), _paragraph(rng, 2)]
                                               for _ in range(3)])
    docx = docgen.write_docx(root / "contract.docx", docgen.HARBOUR_SECTIONS)
    md = root / "notes.md"
    md.write_text("# Notes\n\n" + _paragraph(rng, 20) + "\n\n## Detail\n\n- one item\n- two items\n\n"
                  + _paragraph(rng, 2) + "\n", encoding="utf-8")
    return {p.name: extract(p).blocks for p in (pdf, docx, md)}


PARAMS = [ChunkParams(32, 4), ChunkParams(64, 8), ChunkParams(200, 32)]


def _all_inputs(real_blocks: dict[str, list[Block]]) -> dict[str, list[Block]]:
    return {"synthetic": _synthetic_blocks(), "docx-like": _docx_like_blocks(), **real_blocks}


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"max{p.max_tokens}")
def test_chunk_text_is_the_exact_source_slice(real_blocks, embedder, params: ChunkParams) -> None:  # noqa: ANN001
    for name, blocks in _all_inputs(real_blocks).items():
        doc = document_text(blocks)
        chunks = chunk_blocks(blocks, embedder.token_spans, params, doc_key="k")
        assert chunks, name
        assert [c.ordinal for c in chunks] == list(range(len(chunks)))
        covered = bytearray(len(doc))
        for c in chunks:
            assert 0 <= c.char_start < c.char_end <= len(doc), (name, c)
            assert doc[c.char_start : c.char_end] == c.text, (name, c.ordinal)
            assert c.text == c.text.strip(), (name, c.ordinal)
            covered[c.char_start : c.char_end] = b"\x01" * (c.char_end - c.char_start)
            if c.page is not None:
                assert c.page == c.page_end, "a chunk never crosses a page"
        # nothing is lost: every visible character is in some chunk
        lost = [i for i, ch in enumerate(doc) if not ch.isspace() and not covered[i]]
        assert not lost, (name, doc[lost[0] : lost[0] + 40])
        # chunks start in document order
        starts = [c.char_start for c in chunks]
        assert starts == sorted(starts), name


@pytest.mark.parametrize("params", [
    # min_tokens=24 is most of a 32-token chunk: tail folding must still respect max_tokens
    pytest.param(ChunkParams(32, 4), id="max32"),
    pytest.param(ChunkParams(32, 4, min_tokens=0), id="max32-nofold"),
    pytest.param(ChunkParams(64, 8), id="max64"),
    pytest.param(ChunkParams(200, 32), id="max200"),
])
def test_no_chunk_exceeds_max_tokens(real_blocks, embedder, params: ChunkParams) -> None:  # noqa: ANN001
    for name, blocks in _all_inputs(real_blocks).items():
        for c in chunk_blocks(blocks, embedder.token_spans, params, doc_key="k"):
            n = len(embedder.token_spans(c.text))
            assert n <= params.max_tokens, (name, c.ordinal, n, c.text[:80])


def test_tail_folding_respects_max_tokens(embedder) -> None:  # noqa: ANN001
    blocks = [Block(" ".join(["marker"] * 60), page=1, para=1), Block(" ".join(["buoy"] * 10), page=1, para=2)]
    params = ChunkParams(max_tokens=64, overlap=8)
    assert params.min_tokens == 24
    chunks = chunk_blocks(blocks, embedder.token_spans, params, doc_key="k")
    assert " ".join(c.text for c in chunks).count("buoy") == 10  # nothing lost either way
    for c in chunks:
        assert len(embedder.token_spans(c.text)) <= params.max_tokens


def test_long_paragraph_windows_overlap_and_cut_at_sentences(embedder) -> None:  # noqa: ANN001
    rng = random.Random(5)
    sentences = [_sentence(rng, 12) for _ in range(40)]
    blocks = [Block(" ".join(sentences), page=1, para=1)]
    params = ChunkParams(max_tokens=64, overlap=8)
    chunks = chunk_blocks(blocks, embedder.token_spans, params, doc_key="k")
    assert len(chunks) > 5
    for a, b in zip(chunks, chunks[1:]):
        assert b.char_start < a.char_end, "consecutive windows of one paragraph overlap"
        assert b.char_start > a.char_start
    # all but the last window end at a sentence end
    assert all(c.text.endswith(".") for c in chunks[:-1])


def test_offsets_match_block_offsets(embedder) -> None:  # noqa: ANN001
    blocks = _docx_like_blocks()
    offsets = block_offsets(blocks)
    doc = document_text(blocks)
    for block, off in zip(blocks, offsets):
        assert doc[off : off + len(block.text)] == block.text


# ---- ids ---------------------------------------------------------------------------------------
def test_ids_are_deterministic_and_content_derived(real_blocks, embedder) -> None:  # noqa: ANN001
    blocks = _synthetic_blocks()
    params = ChunkParams(64, 8)
    first = chunk_blocks(blocks, embedder.token_spans, params, doc_key="sha-a")
    again = chunk_blocks(list(blocks), embedder.token_spans, params, doc_key="sha-a")
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first), "ids are unique within a document"
    other_doc = chunk_blocks(blocks, embedder.token_spans, params, doc_key="sha-b")
    assert not ({c.id for c in first} & {c.id for c in other_doc}), "another document, other ids"
    other_params = chunk_blocks(blocks, embedder.token_spans, ChunkParams(200, 32), doc_key="sha-a")
    assert not ({c.id for c in first} & {c.id for c in other_params})


_IDS_SCRIPT = """
import json, sys
sys.path.insert(0, {tests!r})
from test_chunking import _synthetic_blocks
from docent.core.ingest.chunking import ChunkParams, chunk_blocks
from docent.core.models.embedder import default_embedder
emb = default_embedder()
print(json.dumps([c.id for c in chunk_blocks(_synthetic_blocks(), emb.token_spans, ChunkParams(64, 8), doc_key="sha-a")]))
"""


def test_ids_are_the_same_in_another_process(embedder, models_dir: Path) -> None:  # noqa: ANN001
    expected = [c.id for c in chunk_blocks(_synthetic_blocks(), embedder.token_spans, ChunkParams(64, 8), doc_key="sha-a")]
    tests = str(Path(__file__).resolve().parent)
    env = dict(os.environ, PYTHONHASHSEED="12345", DOCENT_MODELS_DIR=str(models_dir),
               PYTHONPATH=str(Path(tests) / "netguard"))
    out = subprocess.run([sys.executable, "-c", _IDS_SCRIPT.format(tests=tests)], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == expected

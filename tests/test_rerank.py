"""The reranker: a real ONNX cross-encoder file (a tiny one written here, byte by byte, since no
cross-encoder ships on PyPI) run through onnxruntime with a real tokenizer.json, its errors, and
the search hook that re-orders the fused candidates."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Sequence

import numpy as np
import pytest

import docgen
from docent.core.models.rerank import OnnxCrossEncoder, load_reranker
from docent.core.retrieval.search import Searcher, SearchParams
from docent.errors import ModelError
from helpers import run_index


# ---- a minimal ONNX writer (protobuf wire format; field numbers from onnx.proto) -----------------
def _varint(n: int) -> bytes:
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(num: int, value: bytes | str | int) -> bytes:
    if isinstance(value, int):
        return _varint(num << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint(num << 3 | 2) + _varint(len(data)) + data


def _tensor_type(elem: int, dims: Sequence[str | int]) -> bytes:
    shape = b"".join(_field(1, _field(2, d) if isinstance(d, str) else _field(1, d)) for d in dims)
    return _field(1, _field(1, elem) + _field(2, shape))  # TypeProto.tensor_type{elem_type, shape}


def _value_info(name: str, elem: int, dims: Sequence[str | int]) -> bytes:
    return _field(1, name) + _field(2, _tensor_type(elem, dims))


def _node(op: str, inputs: Sequence[str], outputs: Sequence[str], **ints: int | list[int]) -> bytes:
    body = b"".join(_field(1, i) for i in inputs) + b"".join(_field(2, o) for o in outputs) + _field(4, op)
    for name, value in ints.items():
        if isinstance(value, list):  # AttributeProto{name, ints (8), type INTS (7)}
            attr = _field(1, name) + b"".join(_field(8, v) for v in value) + _field(20, 7)
        else:  # {name, i (3), type INT (2)}
            attr = _field(1, name) + _field(3, value) + _field(20, 2)
        body += _field(5, attr)
    return body


FLOAT, INT64 = 1, 7


def write_overlap_cross_encoder(path: Path, input_names: Sequence[str] = ("input_ids", "attention_mask", "token_type_ids")) -> Path:
    """An ONNX "cross-encoder" whose logit is the number of (passage token, question token) pairs
    with the same id: lexical overlap, computed by onnxruntime like any BERT pair classifier's
    output, with the same inputs and a (batch, 1) output."""
    ids, mask, types = input_names
    nodes = [
        _node("Unsqueeze", [ids], ["a"], axes=[2]),
        _node("Unsqueeze", [ids], ["b"], axes=[1]),
        _node("Equal", ["a", "b"], ["eq"]),
        _node("Cast", ["eq"], ["eqf"], to=FLOAT),
        _node("Cast", [types], ["tf"], to=FLOAT),
        _node("Cast", [mask], ["mf"], to=FLOAT),
        _node("Mul", ["tf", "mf"], ["passage"]),
        _node("Sub", ["mf", "passage"], ["question"]),
        _node("Unsqueeze", ["passage"], ["p3"], axes=[2]),
        _node("Unsqueeze", ["question"], ["q3"], axes=[1]),
        _node("Mul", ["eqf", "p3"], ["w1"]),
        _node("Mul", ["w1", "q3"], ["w2"]),
        _node("ReduceSum", ["w2"], ["s"], axes=[1, 2], keepdims=0),
        _node("Unsqueeze", ["s"], ["logits"], axes=[1]),
    ]
    graph = b"".join(_field(1, n) for n in nodes) + _field(2, "overlap")
    graph += b"".join(_field(11, _value_info(n, INT64, ["batch", "seq"])) for n in input_names)
    graph += _field(12, _value_info("logits", FLOAT, ["batch", 1]))
    model = _field(1, 6) + _field(2, "docent-tests") + _field(7, graph) + _field(8, _field(1, "") + _field(2, 11))
    path.write_bytes(model)
    return path


def write_pair_tokenizer(path: Path, texts: Sequence[str]) -> Path:
    """A word-level BERT-style pair tokenizer.json over the words of `texts`."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3}
    splitter = pre_tokenizers.Whitespace()
    for text in texts:
        for word, _ in splitter.pre_tokenize_str(text.lower()):
            vocab.setdefault(word, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = splitter
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tok.save(str(path))
    return path


PASSAGES = [
    "The lighthouse keeper logged every storm in a leather journal.",
    "Copper wire carries the signal from the harbour to the tower.",
    "Storm surge flooded the harbour twice in the winter of 1953.",
    "A bakery on a hill sells rye bread on Tuesdays.",
]
QUESTION = "Which winter did the storm surge flood the harbour?"


@pytest.fixture
def reranker_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "reranker"
    folder.mkdir()
    write_overlap_cross_encoder(folder / "overlap.onnx")
    write_pair_tokenizer(folder / "tokenizer.json", [*PASSAGES, QUESTION, *docgen.ATLAS_PAGES, "probe"])
    return folder


def test_cross_encoder_scores_question_passage_pairs(reranker_dir: Path) -> None:
    ce = OnnxCrossEncoder(reranker_dir / "overlap.onnx", reranker_dir / "tokenizer.json", batch_size=3)
    scores = ce.score(QUESTION, PASSAGES)  # two batches
    assert scores.shape == (4,) and scores.dtype == np.float32
    assert int(np.argmax(scores)) == 2  # storm, surge, harbour, winter
    assert scores[3] < scores[0] and scores[3] < scores[2]
    # the same pairs one at a time score the same (padding does not leak into the logit)
    single = [float(ce.score(QUESTION, [p])[0]) for p in PASSAGES]
    assert np.allclose(single, scores)
    assert ce.id.startswith("onnx:overlap@")


def test_long_passages_are_truncated_not_rejected(reranker_dir: Path) -> None:
    ce = OnnxCrossEncoder(reranker_dir / "overlap.onnx", reranker_dir / "tokenizer.json", max_tokens=16)
    scores = ce.score(QUESTION, [" ".join(PASSAGES * 20)])
    assert scores.shape == (1,)


def test_load_reranker_specs(reranker_dir: Path, tmp_path: Path) -> None:
    assert load_reranker(None) is None and load_reranker("") is None and load_reranker("off") is None
    assert isinstance(load_reranker(str(reranker_dir)), OnnxCrossEncoder)
    assert isinstance(load_reranker(str(reranker_dir / "overlap.onnx")), OnnxCrossEncoder)
    with pytest.raises(ModelError, match="reranker not found"):
        load_reranker(str(tmp_path / "nowhere.onnx"))


def test_bad_files_say_what_is_wrong(reranker_dir: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "model.onnx").write_bytes(b"this is not an onnx model")
    (junk / "tokenizer.json").write_bytes((reranker_dir / "tokenizer.json").read_bytes())
    with pytest.raises(ModelError, match="cannot load the reranker model.onnx"):
        load_reranker(str(junk))
    (junk / "model.onnx").write_bytes((reranker_dir / "overlap.onnx").read_bytes())
    (junk / "tokenizer.json").write_text("{not json")
    with pytest.raises(ModelError, match="tokenizer"):
        load_reranker(str(junk))
    other = write_overlap_cross_encoder(tmp_path / "other.onnx", ("x", "y", "z"))
    with pytest.raises(ModelError, match="not a cross-encoder"):
        OnnxCrossEncoder(other, reranker_dir / "tokenizer.json")


# ---- the search hook -----------------------------------------------------------------------------
class Scripted:
    """A reranker that prefers passages containing a word, to check the re-ordering itself."""

    id = "scripted"

    def __init__(self, word: str) -> None:
        self.word = word
        self.calls: list[int] = []

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        self.calls.append(len(passages))
        return np.array([5.0 if self.word in p else -5.0 for p in passages], dtype=np.float32)


class Broken:
    id = "broken"

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        raise ModelError("the reranker failed: simulated")


@pytest.fixture
def atlas(library, tmp_path: Path):  # noqa: ANN001, ANN201
    docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    run_index(library, [tmp_path / "docs"])
    return library


def _pages(hits: Sequence[object]) -> list[object]:
    return [h.page for h in hits]  # type: ignore[attr-defined]


def test_search_reranks_the_fused_candidates(atlas, reranker_dir: Path) -> None:  # noqa: ANN001
    lib = atlas
    question = docgen.ATLAS_PAGES[3].split(".")[0]
    plain = Searcher(lib.catalog, lib.store, lib.embedder).search(question, 3, None, SearchParams(merge_adjacent=False))
    target = next(w for w in docgen.ATLAS_PAGES[0].split() if w.isalpha() and len(w) > 6 and w not in question)
    scripted = Scripted(target)
    searcher = Searcher(lib.catalog, lib.store, lib.embedder, reranker=scripted)
    hits = searcher.search(question, 3, None, SearchParams(rerank=10, merge_adjacent=False))
    assert scripted.calls and scripted.calls[0] <= 10
    assert target in hits[0].text and hits[0].score > 1.0  # reranked scores sit above fused ones
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    # rerank=0 leaves the reranker unused and the fused order as it was
    assert _pages(searcher.search(question, 3, None, SearchParams(merge_adjacent=False))) == _pages(plain)
    # the real ONNX cross-encoder puts the passage sharing the question's words first
    onnx = Searcher(lib.catalog, lib.store, lib.embedder, reranker=load_reranker(str(reranker_dir)))
    assert onnx.search(question, 1, None, SearchParams(rerank=10))[0].page == 4


def test_without_a_working_reranker_the_fused_order_stands(atlas) -> None:  # noqa: ANN001
    lib = atlas
    question = docgen.ATLAS_PAGES[1].split(".")[0]
    plain = Searcher(lib.catalog, lib.store, lib.embedder).search(question, 3)
    none = Searcher(lib.catalog, lib.store, lib.embedder).search(question, 3, None, SearchParams(rerank=10))
    broken = Searcher(lib.catalog, lib.store, lib.embedder, reranker=Broken()).search(question, 3, None, SearchParams(rerank=10))
    assert _pages(none) == _pages(plain) == _pages(broken)
    assert [h.score for h in broken] == [h.score for h in plain]


def test_the_library_uses_the_reranker_named_in_its_settings(atlas, reranker_dir: Path) -> None:  # noqa: ANN001
    from dataclasses import replace

    lib = atlas
    question = docgen.ATLAS_PAGES[3].split(".")[0]
    assert lib.reranker() is None and lib.search_params().rerank == 0  # none set: the fused order
    lib.set_settings(replace(lib.settings, reranker=str(reranker_dir), rerank_candidates=10))
    assert lib.reranker() is not None and lib.search_params().rerank == 10
    assert lib.search(question, 1)[0].page == 4
    lib.set_settings(replace(lib.settings, reranker=""))
    assert lib.reranker() is None

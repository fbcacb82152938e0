"""core.models.embedder: the packaged MiniLM ONNX embedder (the real model, loaded once for the
session by conftest's `embedder`), the query cache, and load_embedder's choices and refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from docent.core.models import packaged
from docent.core.models.embedder import OnnxEmbedder, QueryCache, load_embedder, load_tokenizer
from docent.errors import ModelError


def test_the_packaged_embedder(embedder: OnnxEmbedder) -> None:
    assert embedder.id == packaged.EMBEDDER_ID and embedder.dim == 384 and embedder.max_tokens == 256
    vecs = embedder.embed(["The ferry leaves at nine.", "Annual leave is 27 days.", ""])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_meaning_not_words_brings_texts_close(embedder: OnnxEmbedder) -> None:
    q, near, far = embedder.embed(["How many days of holiday do employees get?",
                                   "Every employee receives 27 days of paid annual leave.",
                                   "The harbour master inspects every bollard each spring."])
    assert float(q @ near) > float(q @ far) + 0.2


def test_batching_by_length_keeps_the_order_and_the_values(embedder: OnnxEmbedder) -> None:
    texts = [("word " * n).strip() for n in (40, 1, 17, 3, 90, 2, 60, 8, 25, 5, 11)]  # more than one batch of 8
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-4)
    assert not np.allclose(together[0], together[1], atol=1e-2)


def test_a_text_longer_than_the_model_reads_is_cut_not_refused(embedder: OnnxEmbedder) -> None:
    long_text = "The quay is closed for repairs. " * 200  # ~1400 tokens > max_tokens
    vec = embedder.embed([long_text])[0]
    assert np.linalg.norm(vec) == pytest.approx(1.0, abs=1e-5)
    spans = embedder.token_spans(long_text)
    assert len(spans) > embedder.max_tokens  # spans count every token: the chunker cuts before embedding


def test_token_spans_are_character_offsets_of_the_tokens(embedder: OnnxEmbedder) -> None:
    text = "Zürich harbour, 3.5 km/h."
    spans = embedder.token_spans(text)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert [a for a, _ in spans] == sorted(a for a, _ in spans)
    assert text[spans[1][0]:spans[1][1]] == "harbour"


def test_queries_are_cached_read_only(embedder: OnnxEmbedder) -> None:
    embedder.query_cache.clear()
    first = embedder.embed_query("annual leave")
    assert embedder.embed_query("annual leave") is first
    assert np.allclose(first, embedder.embed(["annual leave"])[0], atol=1e-6)
    with pytest.raises(ValueError):
        first[0] = 1.0  # read-only: a caller cannot change what another one will get


def test_the_query_cache_keeps_the_last_few() -> None:
    calls: list[str] = []

    def make(text: str) -> np.ndarray:
        calls.append(text)
        return np.array([float(len(calls))])

    cache = QueryCache(size=2)
    cache.get("a", make), cache.get("b", make), cache.get("a", make)
    assert calls == ["a", "b"]
    cache.get("c", make)  # "a" was the oldest in: it goes
    cache.get("a", make)
    assert calls == ["a", "b", "c", "a"]
    cache.clear()
    cache.get("c", make)
    assert calls[-1] == "c"


def test_load_embedder_default_and_an_onnx_folder(tmp_path: Path, embedder: OnnxEmbedder) -> None:
    assert isinstance(load_embedder(None), OnnxEmbedder) and load_embedder("default").id == packaged.EMBEDDER_ID
    onnx, tokenizer = packaged.embedder_files()
    folder = tmp_path / "my-model"
    folder.mkdir()
    shutil.copy(onnx, folder / "model.onnx")
    shutil.copy(tokenizer, folder / "tokenizer.json")
    own = load_embedder(str(folder))
    assert own.id == f"onnx:model@{packaged.EMBEDDER_ONNX.sha256[:8]}"
    assert load_embedder(str(folder / "model.onnx")).id == own.id
    text = ["Mooring fees are due monthly."]
    assert np.allclose(own.embed(text), embedder.embed(text), atol=1e-5)


def test_load_embedder_refuses_what_it_cannot_use(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="embedder not found"):
        load_embedder(str(tmp_path / "absent"))
    (tmp_path / "lonely.onnx").write_bytes(b"x")  # no tokenizer.json beside it
    with pytest.raises(ModelError, match="tokenizer.json beside it"):
        load_embedder(str(tmp_path / "lonely.onnx"))
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(ModelError, match="cannot read the embedder's tokenizer"):
        load_tokenizer(tmp_path / "tokenizer.json", "embedder")
    _, tokenizer = packaged.embedder_files()
    shutil.copy(tokenizer, tmp_path / "tokenizer.json")
    (tmp_path / "broken.onnx").write_bytes(b"not an onnx model")
    with pytest.raises(ModelError, match="cannot load the embedding model broken.onnx"):
        load_embedder(str(tmp_path / "broken.onnx"))

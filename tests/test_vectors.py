"""core.storage.vectors: the embedded Chroma store in a tmp folder (the real chromadb). Vectors,
ids and a doc_id per vector; nearest first; filters by document; kept across reopening; never
mixed with another embedder's."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from docent.core.storage.vectors import VectorStore, remote_collection_name
from docent.errors import EmbedderMismatch

DIM = 8


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def vectors() -> np.ndarray:
    return _unit(np.random.default_rng(3).normal(size=(12, DIM)))


@pytest.fixture
def store(tmp_path: Path, vectors: np.ndarray) -> Iterator[VectorStore]:
    s = VectorStore(tmp_path / "chroma", "test-embedder", DIM)
    s.add([f"a{i}" for i in range(6)], vectors[:6], doc_id=1)
    s.add([f"b{i}" for i in range(6)], vectors[6:], doc_id=2)
    yield s
    s.close()


def test_nearest_first_with_cosine_similarity(store: VectorStore, vectors: np.ndarray) -> None:
    assert store.count() == 12
    found = store.query(vectors[7], 3)
    assert len(found) == 3
    assert found[0][0] == "b1" and found[0][1] == pytest.approx(1.0, abs=1e-4)
    sims = [s for _, s in found]
    assert sims == sorted(sims, reverse=True)
    expected = sorted(range(12), key=lambda i: -float(vectors[i] @ vectors[7]))[:3]
    assert [i for i, _ in found] == [("a" if j < 6 else "b") + str(j % 6) for j in expected]
    assert [s for _, s in found] == pytest.approx([float(vectors[j] @ vectors[7]) for j in expected], abs=1e-4)
    assert len(store.query(vectors[0], 100)) == 12  # never more than there are
    assert store.query(vectors[0], 0) == []


def test_filters_by_document(store: VectorStore, vectors: np.ndarray) -> None:
    assert {i for i, _ in store.query(vectors[7], 12, doc_ids=[1])} == {f"a{i}" for i in range(6)}
    assert {i for i, _ in store.query(vectors[0], 12, doc_ids=[1, 2])} == store.all_ids()
    assert store.query(vectors[0], 5, doc_ids=[]) == []
    assert store.query(vectors[0], 5, doc_ids=[99]) == []
    assert store.ids_for(2) == {f"b{i}" for i in range(6)}


def test_upsert_and_deletes(store: VectorStore, vectors: np.ndarray) -> None:
    store.add(["a0"], vectors[11:12], doc_id=1)  # the same id again replaces its vector
    assert store.count() == 12
    assert {i for i, _ in store.query(vectors[11], 2)} == {"a0", "b5"}
    store.delete_ids(["a0", "a1"])
    assert store.count() == 10 and "a0" not in store.all_ids()
    store.delete_document(2)
    assert store.all_ids() == {"a2", "a3", "a4", "a5"} and store.ids_for(2) == set()
    assert store.count() == 4


def test_kept_across_reopening_and_never_mixed_with_another_embedder(tmp_path: Path, store: VectorStore,
                                                                       vectors: np.ndarray) -> None:
    identity = store.identity
    assert identity
    store.close()
    again = VectorStore(tmp_path / "chroma", "test-embedder", DIM)
    try:
        assert again.count() == 12 and again.identity == identity
        assert again.query(vectors[3], 1)[0][0] == "a3"
    finally:
        again.close()
    with pytest.raises(EmbedderMismatch, match="'test-embedder', not 'other-embedder'.*--rebuild"):
        VectorStore(tmp_path / "chroma", "other-embedder", DIM)


def test_export_copy_and_drop(tmp_path: Path, store: VectorStore, vectors: np.ndarray) -> None:
    batches = list(store.export_batches(batch=5))
    assert [len(ids) for ids, _, _ in batches] == [5, 5, 2]
    exported = {i: (v, m) for ids, vecs, metas in batches for i, v, m in zip(ids, vecs, metas)}
    assert set(exported) == store.all_ids()
    assert np.allclose(exported["b2"][0], vectors[8], atol=1e-6) and exported["b2"][1] == {"doc_id": 2}

    other = VectorStore(tmp_path / "other", "test-embedder", DIM, collection="copy")
    try:
        other.add(["stale"], vectors[:1], doc_id=3)  # not in the source: the copy removes it
        assert other.copy_from(store) == 12
        assert other.all_ids() == store.all_ids() and other.count() == 12
        assert other.query(vectors[4], 1)[0][0] == "a4"
        assert other.copy_from(store) == 12 and other.count() == 12  # idempotent
        other.drop()
        assert other.collection not in {c if isinstance(c, str) else c.name for c in other._client.list_collections()}
    finally:
        other.close()


def test_an_empty_store_answers_nothing(tmp_path: Path, vectors: np.ndarray) -> None:
    s = VectorStore(tmp_path / "empty", "test-embedder", DIM)
    try:
        assert s.count() == 0 and s.all_ids() == set() and s.query(vectors[0], 5) == []
        assert list(s.export_batches()) == []
    finally:
        s.close()


def test_a_library_on_a_server_has_its_own_collection() -> None:
    assert remote_collection_name("1f2e") == "docent-1f2e"
    assert remote_collection_name("a") != remote_collection_name("b")


def test_similarities_of_given_passages_are_their_cosines(store: VectorStore, vectors: np.ndarray) -> None:
    """The similarity of passages the keyword search found (`similarities`): the cosine to the
    query, the same as `query` gives; an id the store does not hold is left out."""
    query = vectors[7] * 3.0  # not of unit length: a cosine all the same
    got = store.similarities(query, ["a2", "b5", "zz"])
    assert set(got) == {"a2", "b5"}
    assert got["a2"] == pytest.approx(float(vectors[2] @ vectors[7]), abs=1e-4)
    assert got["b5"] == pytest.approx(float(vectors[11] @ vectors[7]), abs=1e-4)
    assert dict(store.query(vectors[7], 12))["a2"] == pytest.approx(got["a2"], abs=1e-4)
    assert store.similarities(query, []) == {}

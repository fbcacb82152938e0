"""The unused bytes of Chroma's HNSW files are cleared (`vectors.scrub_unused`): hnswlib writes
link-list slots past each list's length as its memory held them, which can be document text (seen
in an encrypted library's data_level0.bin). Here those slots are filled with a needle, as stray
memory would fill them; after the scrub the needle is gone, and the index answers every query as
before and still takes new vectors."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

NEEDLE = b"Vexmoorian"


def _build(folder: Path) -> tuple[np.ndarray, list[list[str]]]:
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient
    from chromadb.config import Settings

    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((700, 64)).astype(np.float32)
    queries = rng.standard_normal((20, 64)).astype(np.float32)
    client = chromadb.PersistentClient(str(folder), settings=Settings(anonymized_telemetry=False))
    col = client.create_collection("chunks", metadata={"hnsw:space": "cosine", "hnsw:batch_size": 10,
                                                       "hnsw:sync_threshold": 50})
    for i in range(0, 700, 50):
        col.add(ids=[str(j) for j in range(i, i + 50)], embeddings=vectors[i:i + 50].tolist())
    found = col.query(query_embeddings=queries.tolist(), n_results=10)["ids"]
    del col, client
    SharedSystemClient.clear_system_cache()
    return queries, found


def _poison(segment: Path) -> int:
    """Write the needle into every level-0 link list's free slots; → how many were written."""
    raw = (segment / "header.bin").read_bytes()
    count, size, offset_data = struct.unpack_from("<Q", raw, 20)[0], struct.unpack_from("<Q", raw, 28)[0], \
        struct.unpack_from("<Q", raw, 44)[0]
    data = bytearray((segment / "data_level0.bin").read_bytes())
    written = 0
    for i in range(count):
        base = i * size
        length = data[base] | (data[base + 1] << 8)
        free = base + 4 + 4 * length
        if base + offset_data - free >= len(NEEDLE):
            data[free:free + len(NEEDLE)] = NEEDLE
            written += 1
    (segment / "data_level0.bin").write_bytes(bytes(data))
    return written


def test_the_unused_slots_are_cleared_and_the_index_is_unchanged(tmp_path: Path) -> None:
    import chromadb
    from chromadb.config import Settings

    from docent.core.storage.vectors import scrub_unused

    queries, before = _build(tmp_path)
    (segment,) = [h.parent for h in tmp_path.glob("*/header.bin")]
    assert _poison(segment) > 100
    assert NEEDLE in (segment / "data_level0.bin").read_bytes()
    assert scrub_unused(tmp_path) == 1
    assert not any(NEEDLE in p.read_bytes() for p in segment.glob("*.bin"))
    client = chromadb.PersistentClient(str(tmp_path), settings=Settings(anonymized_telemetry=False))
    col = client.get_collection("chunks")
    assert col.query(query_embeddings=queries.tolist(), n_results=10)["ids"] == before
    col.add(ids=["new"], embeddings=[queries[0].tolist()])
    assert col.query(query_embeddings=[queries[0].tolist()], n_results=1)["ids"] == [["new"]]

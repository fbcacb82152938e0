"""The vector store: an embedded Chroma PersistentClient, or (office scale-out) a shared Chroma
server reached with HttpClient, one collection per library. The only module that imports chromadb.

Chroma holds ids, vectors and a `doc_id` per vector; texts live in the catalog. Telemetry is off.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from docent.errors import EmbedderMismatch, StoreError

log = logging.getLogger(__name__)

COLLECTION = "chunks"
_BATCH = 1000


def _quiet_chroma() -> None:
    # Belt and braces: no telemetry, whatever the user's environment says.
    os.environ["ANONYMIZED_TELEMETRY"] = "False"
    os.environ.setdefault("CHROMA_TELEMETRY_IMPL", "none")
    for name in ("chromadb.telemetry", "chromadb.telemetry.product.posthog"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def remote_collection_name(library_id: str) -> str:
    """The collection of one library on a shared server: two libraries never share vectors."""
    return f"docent-{library_id}"


def _http_client(server: str) -> Any:
    from urllib.parse import urlsplit

    import chromadb
    from chromadb.config import Settings

    url = urlsplit(server)
    return chromadb.HttpClient(host=url.hostname or "", port=int(url.port or 8000), ssl=url.scheme == "https",
                               settings=Settings(anonymized_telemetry=False))


def discard_remote(server: str, collection: str) -> None:
    """Delete one library's collection on a shared Chroma server, if it is there."""
    _quiet_chroma()
    try:
        client = _http_client(server)
        if collection in {c if isinstance(c, str) else c.name for c in client.list_collections()}:
            client.delete_collection(collection)
    except Exception as exc:
        raise StoreError(f"cannot remove this library's vectors from the shared Chroma server at {server}: {exc}. "
                         "Is it running and reachable?") from exc


WAY_OUT = "Check that it is running, or clear the Chroma server setting (Settings › Office servers) to work on this computer."


def _reason(exc: BaseException) -> str:
    """Chroma's message without its own question ("Are you sure it is running?")."""
    text = str(exc).replace("Are you sure it is running?", "").strip().rstrip(".").strip()
    return text or type(exc).__name__


class _ServerCollection:
    """A collection on a shared server: any failure of a call becomes a StoreError that names the
    server and the way out (a server that stops between two questions is not an 'unexpected error')."""

    def __init__(self, collection: Any, server: str) -> None:
        self._collection = collection
        self._server = server

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._collection, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            except StoreError:
                raise
            except Exception as exc:
                raise StoreError(f"the shared Chroma server at {self._server} did not answer ({_reason(exc)}). "
                                 f"{WAY_OUT}") from exc

        return call


class VectorStore:
    def __init__(self, directory: Path, embedder_id: str, dim: int, server: str = "",
                 collection: str = COLLECTION, way_out: bool = True) -> None:
        """`server`: "" → embedded in `directory`; else the URL of a `chroma run` server, where this
        library's vectors live in `collection`. `way_out`: a failure to reach the server says how to
        work locally instead (not when the caller has its own advice)."""
        _quiet_chroma()
        try:
            import chromadb
            from chromadb.config import Settings
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise StoreError(f"chromadb is not installed ({exc})") from exc
        self.directory = directory
        self.server = server
        self.collection = collection
        where = f"the shared Chroma server at {server}" if server else f"the vector store in {directory}"
        try:
            if server:
                self._client = _http_client(server)
            else:
                self._client = chromadb.PersistentClient(
                    path=str(directory),
                    settings=Settings(anonymized_telemetry=False, allow_reset=True, is_persistent=True),
                )
            existing = {c if isinstance(c, str) else c.name for c in self._client.list_collections()}
            if collection in existing:
                self._col = self._client.get_collection(collection, embedding_function=None)
                meta = self._col.metadata or {}
                found = meta.get("embedder")
                if found and found != embedder_id:
                    raise EmbedderMismatch(
                        f"this library was built with the embedder '{found}', not '{embedder_id}'. "
                        "Rebuild it (docent index --rebuild) to switch embedders."
                    )
            else:
                self._col = self._client.create_collection(
                    collection,
                    metadata={"hnsw:space": "cosine", "embedder": embedder_id, "dim": dim},
                    embedding_function=None,
                )
        except EmbedderMismatch:
            raise
        except Exception as exc:
            if server:
                raise StoreError(f"cannot reach the shared Chroma server at {server} ({_reason(exc)})."
                                 + (f" {WAY_OUT}" if way_out else "")) from exc
            raise StoreError(f"cannot open {where}: {exc}") from exc
        if server:
            self._col = _ServerCollection(self._col, server)
        self._count: int | None = None

    @property
    def identity(self) -> str:
        """Chroma's own id of the collection: two stores with the same identity are one collection,
        whatever URLs reached it (http://127.0.0.1:8000 and http://localhost:8000/)."""
        return str(getattr(self._col, "id", "") or "")

    def count(self) -> int:
        # Asked before every query; only this process writes the store (the data-dir lock).
        if self._count is None:
            self._count = int(self._col.count())
        return self._count

    def add(self, ids: Sequence[str], vectors: np.ndarray, doc_id: int) -> None:
        self._count = None
        for start in range(0, len(ids), _BATCH):
            self._col.upsert(
                ids=list(ids[start : start + _BATCH]),
                embeddings=vectors[start : start + _BATCH].astype(np.float32),
                metadatas=[{"doc_id": int(doc_id)}] * len(ids[start : start + _BATCH]),
            )

    def delete_document(self, doc_id: int) -> None:
        self._count = None
        self._col.delete(where={"doc_id": int(doc_id)})

    def delete_ids(self, ids: Sequence[str]) -> None:
        self._count = None
        for start in range(0, len(ids), _BATCH):
            self._col.delete(ids=list(ids[start : start + _BATCH]))

    def ids_for(self, doc_id: int) -> set[str]:
        got = self._col.get(where={"doc_id": int(doc_id)}, include=[])
        return set(got["ids"])

    def all_ids(self) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            got = self._col.get(include=[], limit=5000, offset=offset)
            ids = got["ids"]
            out.update(ids)
            if len(ids) < 5000:
                return out
            offset += len(ids)

    def query(self, vector: np.ndarray, n: int, doc_ids: Sequence[int] | None = None) -> list[tuple[str, float]]:
        """→ [(chunk_id, cosine similarity)], best first."""
        total = self.count()
        if total == 0 or n <= 0:
            return []
        where: dict[str, Any] | None = None
        if doc_ids is not None:
            if not doc_ids:
                return []
            where = {"doc_id": {"$in": [int(d) for d in doc_ids]}} if len(doc_ids) > 1 else {"doc_id": int(doc_ids[0])}
        res = self._col.query(
            query_embeddings=[vector.astype(np.float32)],
            n_results=min(n, total),
            where=where,
            include=["distances"],
        )
        ids = res["ids"][0]
        dists = res["distances"][0] if res.get("distances") else [1.0] * len(ids)
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists)]

    def similarities(self, vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """→ {chunk_id: cosine similarity to `vector`} for those of `ids` the store holds: the
        similarity of a passage that the keyword search found and the vector search did not."""
        if not ids:
            return {}
        got = self._col.get(ids=list(ids), include=["embeddings"])
        found = list(got["ids"])
        if not found:
            return {}
        stored = np.asarray(got["embeddings"], dtype=np.float32)
        q = vector.astype(np.float32).ravel()
        norms = np.linalg.norm(stored, axis=1) * (float(np.linalg.norm(q)) or 1.0)
        cos = (stored @ q) / np.where(norms > 0, norms, 1.0)
        return {cid: float(c) for cid, c in zip(found, cos)}

    def export_batches(self, batch: int = _BATCH) -> Iterator[tuple[list[str], np.ndarray, list[Any]]]:
        """Every (ids, vectors, metadatas), a batch at a time."""
        offset = 0
        while True:
            got = self._col.get(include=["embeddings", "metadatas"], limit=batch, offset=offset)
            ids = list(got["ids"])
            if ids:
                yield ids, np.asarray(got["embeddings"], dtype=np.float32), list(got["metadatas"] or [])
            if len(ids) < batch:
                return
            offset += len(ids)

    def copy_from(self, source: VectorStore) -> int:
        """Make this store hold exactly `source`'s vectors (a library moving between this computer
        and a shared server). Idempotent, so a copy interrupted at any point is simply done again."""
        self._count = None
        copied = 0
        for ids, vectors, metadatas in source.export_batches():
            self._col.upsert(ids=ids, embeddings=vectors, metadatas=metadatas)
            copied += len(ids)
        stale = self.all_ids() - source.all_ids()
        if stale:
            self.delete_ids(sorted(stale))
        self._count = None
        return copied

    def detach(self) -> None:
        """Forget the client without stopping Chroma's shared systems (which another open store of
        this process may be using); close() is for the last store."""
        self._col = None
        self._client = None

    def drop(self) -> None:
        self._count = None
        self._client.delete_collection(self.collection)

    def close(self) -> None:
        """Release the folder. Chroma caches one client per path for the whole process; without
        clearing it, a store deleted and re-created in the same folder would be written through a
        stale client ("attempt to write a readonly database")."""
        try:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        except Exception:  # pragma: no cover - older/newer chromadb layouts
            log.debug("could not clear Chroma's client cache", exc_info=True)
        self._col = None
        self._client = None


def scrub_unused(folder: Path) -> int:
    """Zero the bytes of Chroma's HNSW files (under `folder`) that hold no vector and no link: the
    element slots past the index's count and each link list's slots past its length. hnswlib
    allocates them without clearing and writes them out as they are, so they can carry whatever
    the process's memory held before, document text among it (seen in an encrypted library's
    data_level0.bin, tests/test_rekey.py). hnswlib never reads them. For encrypted libraries,
    with the store closed. → the number of index folders scrubbed."""
    import struct

    done = 0
    for header in Path(folder).glob("*/header.bin"):
        seg = header.parent
        raw = header.read_bytes()
        data_file, links_file = seg / "data_level0.bin", seg / "link_lists.bin"
        if len(raw) < 100 or not data_file.is_file():
            continue
        _offset0, max_elements, count, size, _label, offset_data = struct.unpack_from("<6Q", raw, 4)
        max_m, max_m0 = struct.unpack_from("<2Q", raw, 60)
        data = np.fromfile(data_file, dtype=np.uint8)
        if size <= 0 or offset_data != 4 + 4 * max_m0 or data.size % size:
            log.warning("not scrubbing %s: an HNSW layout this version does not know", seg)
            continue
        rows = data.reshape(-1, size)
        count = min(int(count), rows.shape[0])
        rows[count:] = 0
        lengths = rows[:count, 0].astype(np.int64) | (rows[:count, 1].astype(np.int64) << 8)
        slots = np.arange(4 * max_m0)[None, :]
        links = rows[:count, 4:offset_data]
        links[slots >= 4 * np.minimum(lengths, max_m0)[:, None]] = 0
        data.tofile(data_file)
        sizes_file = seg / "length.bin"  # each element's link-list size: past the count, unused too
        if sizes_file.is_file():
            sizes = np.fromfile(sizes_file, dtype=np.uint8)
            sizes[4 * count:] = 0
            sizes.tofile(sizes_file)
        if links_file.is_file() and links_file.stat().st_size:
            _scrub_links(links_file, count, 4 + 4 * int(max_m))
        done += 1
    return done


def _scrub_links(path: Path, count: int, block: int) -> None:
    """link_lists.bin: per element a 4-byte size and that many bytes of upper-level link lists,
    each `block` bytes: its length (2 bytes, then 2 of flags) and its slots."""
    import struct

    buf = bytearray(path.read_bytes())
    pos = 0
    for _ in range(count):
        if pos + 4 > len(buf):
            break
        (n,) = struct.unpack_from("<I", buf, pos)
        pos += 4
        end = pos + n
        if end > len(buf) or n % block:
            return  # not the layout expected: leave the rest as it is
        for start in range(pos, end, block):
            length = min(buf[start] | (buf[start + 1] << 8), (block - 4) // 4)
            buf[start + 4 + 4 * length:start + block] = bytes(block - 4 - 4 * length)
        pos = end
    path.write_bytes(bytes(buf))

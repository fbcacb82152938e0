"""Where a library's vectors live: in its own folder on this computer, or in its own collection on a
shared `chroma run` server. When the Chroma server setting changes, the vectors move to the new
place the next time they are opened, so nothing is embedded again."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from docent.core.library.factory import open_vector_store
from docent.core.library.jsonfile import read_json, write_json
from docent.core.storage.catalog import Catalog
from docent.core.storage.vectors import VectorStore
from docent.errors import DocentError, StoreError

log = logging.getLogger(__name__)

VECTORS_DIR = "vectors"
VECTORS_AT = "vectors_at"  # catalog meta: where the vectors are ("" this computer, else a Chroma server URL)


class VectorPlacement:
    """The vectors of the library in `folder` (whose catalog records where they are).

    `open(server, ...)` opens them where the settings say, after moving them there when the
    catalog says they are elsewhere; `clear(...)` drops them wherever they are."""

    def __init__(self, folder: Path, catalog: Catalog) -> None:
        self.folder = folder
        self.catalog = catalog
        self.moved = 0  # vectors copied by the last move (the Chroma server setting changed)

    def open(self, server: str, embedder_id: str, dim: int) -> VectorStore:
        """The store at `server` ("" = this computer), holding every vector of the library: moved
        there first if they were elsewhere. A store whose move failed is not returned half-filled
        (closed; the next open tries the move again)."""
        self._discard_local_vectors(server)
        store = self._open_vectors(server, embedder_id, dim)
        try:
            self._move_vectors_here(store, server, embedder_id, dim)
        except BaseException:
            store.close()
            raise
        return store

    def clear(self, store: VectorStore | None, server: str) -> None:
        """Drop every vector: the open `store`, or else the library's collection on `server`, and the
        local folder; the vectors are then recorded as being at `server` (empty)."""
        if store is not None:
            store.drop()
            store.close()
        elif server and (library_id := self.catalog.get_meta("library_id")):
            from docent.core.storage.vectors import discard_remote, remote_collection_name

            discard_remote(server, remote_collection_name(library_id))
        shutil.rmtree(self.folder / VECTORS_DIR, ignore_errors=True)
        self.catalog.set_meta(VECTORS_AT, server)

    def _discard_local_vectors(self, server: str) -> None:
        """The folder of vectors a move to a server emptied (dropped, but kept open by Chroma until
        the process ended): removed once the vectors are recorded on that server."""
        local = self.folder / VECTORS_DIR
        if server and local.is_dir() and self.catalog.get_meta(VECTORS_AT) == server:
            shutil.rmtree(local, ignore_errors=True)
            log.info("removed the emptied local vectors folder (the vectors are on %s)", server)

    def _open_vectors(self, server: str, embedder_id: str, dim: int, note: bool = True,
                      way_out: bool = True) -> VectorStore:
        """The vectors on this computer (server "") or in this library's own collection on a shared
        `chroma run` server, named by the library's id."""
        if not server:
            return open_vector_store(self.folder / VECTORS_DIR, embedder_id, dim)
        from docent.core.storage.vectors import remote_collection_name

        library_id = self.catalog.get_meta("library_id")
        if library_id is None:
            import uuid

            library_id = uuid.uuid4().hex
            self.catalog.set_meta("library_id", library_id)
        store = open_vector_store(self.folder / VECTORS_DIR, embedder_id, dim, server=server,
                                  collection=remote_collection_name(library_id), way_out=way_out)
        if note:
            self._note_remote(server, remote_collection_name(library_id))
        return store

    def _note_remote(self, server: str, collection: str) -> None:
        """Where this library's vectors are on a server, in a plain file: removing the library must
        find them even when the catalog (which holds the id) is encrypted."""
        from docent.core.storage.registry import REMOTE_VECTORS_FILE

        target = self.folder / REMOTE_VECTORS_FILE
        record = {"server": server, "collection": collection}
        if read_json(target) != record:
            write_json(target, record)

    def _move_vectors_here(self, store: VectorStore, server: str, embedder_id: str, dim: int) -> None:
        """After the Chroma server setting changed, copy the library's vectors from where they were
        (this computer or the previous server) to where the settings now say, so nothing is
        re-embedded. The new place is recorded only once the copy is complete: a copy interrupted
        at any point is done again at the next open."""
        from docent.settings import normalize_server_url

        was = self.catalog.get_meta(VECTORS_AT)
        if was is not None and normalize_server_url(was) == server:  # settings hold the normalised URL
            if was != server:
                self.catalog.set_meta(VECTORS_AT, server)
            return
        if was is None or not self.catalog.documents():  # a new (or empty) library: nothing to move
            self.catalog.set_meta(VECTORS_AT, server)
            return
        here = f"the Chroma server at {server}" if server else "this computer"
        there = f"the Chroma server at {was}" if was else "this computer"
        try:
            old = self._open_vectors(was, embedder_id, dim, note=False, way_out=False)
        except DocentError as exc:
            raise StoreError(
                f"this library's vectors are on {there}, which cannot be opened to move them to {here} ({exc}). "
                f"Make it reachable, set the Chroma server back to {was or 'empty (this computer)'}, or rebuild "
                "the vectors where they are now (docent index --rebuild PATH...)."
            ) from exc
        same = bool(was) and bool(server) and old.identity != "" and old.identity == store.identity
        try:
            if same:  # the same server under another address: nothing to copy, and nothing to delete
                log.info("%s and %s are the same collection: no move", there, here)
            else:
                log.info("moving this library's vectors from %s to %s", there, here)
                self.moved = store.copy_from(old)
            self.catalog.set_meta(VECTORS_AT, server)
            if not was and not same:  # moved off this computer: the local copy is not kept
                try:
                    old.drop()
                except Exception:  # the folder itself goes at the next open (_discard_local_vectors)
                    log.warning("could not delete the local copy of the vectors", exc_info=True)
        finally:
            old.detach()
        if same:
            return
        log.info("moved %d vectors from %s to %s", self.moved, there, here)
        if not server:
            from docent.core.storage.registry import REMOTE_VECTORS_FILE

            (self.folder / REMOTE_VECTORS_FILE).unlink(missing_ok=True)
        if was:  # the old collection held only this library's vectors: not left behind on that server
            from docent.core.storage.vectors import discard_remote, remote_collection_name

            try:
                discard_remote(was, remote_collection_name(self.catalog.get_meta("library_id") or ""))
            except StoreError:
                log.warning("could not delete this library's old vectors on %s", there, exc_info=True)


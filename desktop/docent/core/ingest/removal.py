"""Forgetting documents and repairing what a killed run left half-done: work on the catalog and the
vector store only. No embedder and no extractor are involved, so removing a document or opening a
library never loads a model."""

from __future__ import annotations

from docent.core.storage.catalog import Catalog
from docent.core.storage.vectors import VectorStore
from docent.core.types import DocumentRecord

INTERRUPTED = "indexing was interrupted (the app was stopped or closed); it is read again at the next indexing run"


class Remover:
    def __init__(self, catalog: Catalog, store: VectorStore) -> None:
        self.catalog = catalog
        self.store = store

    def remove_document(self, doc: DocumentRecord) -> None:
        """Vectors first, then the catalog row: a kill in between leaves a row whose vectors are
        gone, which `recover` finds (status 'removing') and finishes. A message's attachments go
        with it (the message is marked first, so `recover` finishes them too)."""
        self.catalog.mark(doc.id, "removing")
        for child in self.catalog.attachments(doc.id):
            self.catalog.mark(child.id, "removing")
            self.store.delete_document(child.id)
            self.catalog.delete_document(child.id)
        self.store.delete_document(doc.id)
        self.catalog.delete_document(doc.id)

    def recover(self) -> int:
        """Finish or undo work a killed run left behind. Returns how many documents were repaired."""
        repaired = 0
        for doc in self.catalog.in_status("removing"):
            self.remove_document(doc)
            repaired += 1
        for doc in self.catalog.in_status("indexing", "queued"):
            if doc.parent is not None:
                # an attachment's message is unchanged on disk: it must be read again to read this one
                self.catalog.forget_vectors(doc.parent)
            self.store.delete_document(doc.id)
            # Its half-written passages go, but the document stays listed, saying why it is not
            # searchable; its size is recorded as unknown, so the next sync reads it again.
            self.catalog.record_outcome(doc.path, -1, 0.0, doc.sha256, "failed", INTERRUPTED)
            repaired += 1
        # Vectors without a catalogued chunk (a kill between the two stores' writes).
        if self.store.count() != self.catalog.chunk_count():
            orphans = self.store.all_ids() - self.catalog.chunk_ids()
            if orphans:
                self.store.delete_ids(sorted(orphans))
                repaired += 1
            if self.store.count() != self.catalog.chunk_count():
                # Chunks whose vectors are missing: those documents are embedded again by the next
                # sync. They are not forgotten: a store emptied or replaced (a server reset, the
                # wrong collection) must not empty the library too.
                have = self.store.all_ids()
                for doc in self.catalog.in_status("indexed"):
                    if doc.embedder_id and not self.catalog.chunk_ids(doc.id) <= have:
                        self.store.delete_document(doc.id)
                        self.catalog.forget_vectors(doc.id)
                        repaired += 1
        return repaired

"""Ingest: files in, chunks out. Format readers (`extract/`, run in a sandboxed worker process),
the chunker, the indexer that syncs files into the catalog and the vectors, the list of followed
folders and their re-sync. May import `core.types`, `core.cancel`, `core.text`, `storage` and
`models` (the embedder, and ONNX Runtime's offline session for OCR); never `retrieval`, `answer`,
`library` or `selftest`."""

"""Retrieval: hybrid search over a library, the keyword side (FTS5 BM25) and the vector side
(Chroma) run side by side and fused, optionally re-ranked. May import `core.types`, `core.text`,
`storage` and `models`; never `ingest`, `answer`, `library` or `selftest`."""

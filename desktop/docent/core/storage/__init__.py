"""Storage: everything a library keeps on disk. The catalog (SQLite: documents, chunks, the FTS5
keyword index), the vectors (the only code that talks to Chroma, local or on a server), the
process lock, encryption at rest and passphrase changes, saved chats, the audit trail and the
registry of named libraries. May import only `core.types`, `core.cancel`, `core.text` and the
top-level `errors`/`paths`/`settings`; nothing else in core."""

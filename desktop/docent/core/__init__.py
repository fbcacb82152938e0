"""The headless engine: never imports Qt, `ui`, `cli` or `app`.

Rooms, from the ground up (each imports only rooms below it; tests/test_architecture.py keeps it
so): `types`, `cancel` and `text` (shared by all) → `storage` → `models` → `ingest` → `retrieval`
→ `answer` → `library` → `selftest`. See docs/ARCHITECTURE.md."""

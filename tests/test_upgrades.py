"""Upgrades and downgrades keep what the user has: an older catalog is migrated in place, one written
by a newer Docent is refused untouched, and settings keep every valid value and every key this
version does not know."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import docgen
from docent.core.storage import catalog_schema as catalog_module
from docent.core.library import Library
from docent.errors import StoreError
from docent.settings import Settings, load, save
from helpers import run_index


def _indexed_library(tmp_path: Path, embedder) -> Path:  # noqa: ANN001
    docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        _, done = run_index(lib, [tmp_path / "docs"])
        assert done.indexed == 1
    return tmp_path / "lib"


def _meta(lib_dir: Path, key: str) -> str | None:
    with sqlite3.connect(lib_dir / "catalog.sqlite3") as db:
        row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else None


def _set_version(lib_dir: Path, version: int) -> None:
    with sqlite3.connect(lib_dir / "catalog.sqlite3") as db:
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))


def test_an_older_catalog_is_migrated_in_place(tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    lib_dir = _indexed_library(tmp_path, embedder)
    assert _meta(lib_dir, "schema_version") == str(catalog_module.SCHEMA_VERSION)
    # the next version adds a column: its migration runs once, at the first open
    monkeypatch.setattr(catalog_module, "SCHEMA_VERSION", catalog_module.SCHEMA_VERSION + 1)
    monkeypatch.setattr(catalog_module, "MIGRATIONS", {
        catalog_module.SCHEMA_VERSION - 1: "ALTER TABLE documents ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0;"})
    with Library(lib_dir, embedder=embedder) as lib:
        assert [d.status for d in lib.catalog.documents()] == ["indexed"]
        assert lib.search("who built the lighthouse on Karvik Island", top_k=1)[0].page == 3
    assert _meta(lib_dir, "schema_version") == str(catalog_module.SCHEMA_VERSION)
    with sqlite3.connect(lib_dir / "catalog.sqlite3") as db:
        assert "reviewed" in [row[1] for row in db.execute("PRAGMA table_info(documents)")]
    with Library(lib_dir, embedder=embedder):  # opened again: nothing more to run
        pass


def test_a_version_1_catalog_gets_the_attachments_parent(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    lib_dir = _indexed_library(tmp_path, embedder)
    with sqlite3.connect(lib_dir / "catalog.sqlite3") as db:  # as Docent wrote it before attachments were documents
        db.execute("DROP INDEX documents_parent")
        db.execute("ALTER TABLE documents DROP COLUMN parent")
    _set_version(lib_dir, 1)
    with Library(lib_dir, embedder=embedder) as lib:
        assert [(d.status, d.parent) for d in lib.catalog.documents()] == [("indexed", None)]
    assert _meta(lib_dir, "schema_version") == "2"
    with sqlite3.connect(lib_dir / "catalog.sqlite3") as db:
        assert "parent" in [row[1] for row in db.execute("PRAGMA table_info(documents)")]


def test_a_failed_migration_leaves_the_catalog_as_it_was(tmp_path: Path, embedder,  # noqa: ANN001
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    lib_dir = _indexed_library(tmp_path, embedder)
    old = catalog_module.SCHEMA_VERSION
    monkeypatch.setattr(catalog_module, "SCHEMA_VERSION", old + 1)
    monkeypatch.setattr(catalog_module, "MIGRATIONS", {
        old: "ALTER TABLE documents ADD COLUMN reviewed INTEGER; INSERT INTO no_such_table VALUES(1);"})
    with pytest.raises(Exception, match="no_such_table"):
        Library(lib_dir, embedder=embedder)
    monkeypatch.undo()
    assert _meta(lib_dir, "schema_version") == str(old)
    with sqlite3.connect(lib_dir / "catalog.sqlite3") as db:  # the half-run migration was rolled back
        assert "reviewed" not in [row[1] for row in db.execute("PRAGMA table_info(documents)")]
    with Library(lib_dir, embedder=embedder) as lib:  # and the library opens as before (lock released)
        assert len(lib.catalog.documents()) == 1


def test_a_library_from_a_newer_docent_is_refused_untouched(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    lib_dir = _indexed_library(tmp_path, embedder)
    _set_version(lib_dir, 99)
    with pytest.raises(StoreError, match=r"written by a newer version of Docent \(its catalog is version 99"):
        Library(lib_dir, embedder=embedder)
    assert _meta(lib_dir, "schema_version") == "99"
    env = {k: v for k, v in os.environ.items() if k != "DOCENT_DATA_DIR"}
    proc = subprocess.run([sys.executable, "-m", "docent", "--data-dir", str(lib_dir), "status", "--json"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "newer version of Docent" in proc.stderr and "Traceback" not in proc.stderr
    _set_version(lib_dir, catalog_module.SCHEMA_VERSION)
    with Library(lib_dir, embedder=embedder) as lib:  # the lock was released; nothing was changed
        assert [d.status for d in lib.catalog.documents()] == ["indexed"]


def test_settings_keep_valid_values_and_keys_this_version_does_not_know(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({
        "schema_version": 1, "n_gpu_layers": -1, "llm_server": "http://10.0.0.5:8080",
        "n_ctx": 100,                 # out of range: back to its default, alone
        "temperature": "hot",         # the wrong type: the same
        "future_option": {"a": 1},    # written by a newer Docent
    }))
    settings = load(path)
    assert settings.n_gpu_layers == -1 and settings.llm_server == "http://10.0.0.5:8080"
    assert settings.n_ctx == Settings().n_ctx and settings.temperature == Settings().temperature
    save(path, Settings(**{**settings.__dict__, "sources": 3}))
    saved = json.loads(path.read_text())
    assert saved["future_option"] == {"a": 1} and saved["sources"] == 3 and saved["n_gpu_layers"] == -1
    assert saved["n_ctx"] == Settings().n_ctx

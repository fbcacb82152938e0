"""The headless modules the window added to the core (chats, followed folders, model discovery,
named libraries). No Qt here."""

from __future__ import annotations

import json
from pathlib import Path

from docent.core.cancel import CancelToken
from docent.core.storage.chats import Chat, ChatStore, Passage, Turn, to_markdown
from docent.core.models.discovery import discover, forget_imported, load_imported, remember_imported
from docent.core.ingest.folders import FolderList
from docent.core.storage.registry import Registry
from docent.core.types import Citation


def test_chats_round_trip_list_delete_and_export(tmp_path: Path) -> None:
    store = ChatStore(tmp_path / "chats")
    assert store.list() == []
    chat = store.new()
    cite = Citation(1, "/docs/Handbook.pdf", 3, "p. 3", "The alarm code is changed every 30 days.", 10, 52)
    chat.turns.append(Turn("How often is the code changed?", "Every 30 days [1].", answered=True,
                           citations=[Passage.from_citation(cite)], sources=[Passage.from_citation(cite)],
                           timings={"generation_s": 1.5}))
    store.save(chat)
    (tmp_path / "chats" / "garbage.json").write_text("{not json", encoding="utf-8")
    summaries = store.list()
    assert [s.id for s in summaries] == [chat.id] and summaries[0].title == "How often is the code changed?"
    loaded = store.load(chat.id)
    assert loaded.turns[0].citations[0].to_citation() == cite
    assert loaded.turns[0].timings == {"generation_s": 1.5}
    md = to_markdown(loaded)
    assert "## How often is the code changed?" in md and "Every 30 days [1]." in md
    assert "1. **Handbook.pdf**, p. 3 — `/docs/Handbook.pdf`" in md
    assert "> The alarm code is changed every 30 days." in md
    store.delete(chat.id)
    assert store.list() == []
    assert Chat.from_json({"id": chat.id}).display_title == "New chat"


def test_folder_list_adds_merges_excludes_and_expands(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    (root / "a" / "deep").mkdir(parents=True)
    (root / "b").mkdir()
    for p in ("one.pdf", "a/two.md", "a/deep/three.txt", "b/four.docx", "b/image.png", "a/.hidden.md"):
        (root / p).write_text("x", encoding="utf-8")
    folders = FolderList.load(tmp_path / "lib")
    assert folders.add(root / "a") == []
    assert folders.add(root) == [str(root / "a")]  # the parent replaces the nested root
    assert folders.add(root / "b") == [] and folders.roots == [str(root)]
    assert folders.sync_roots() == [root]
    assert folders.remove(root / "a" / "deep") is True  # inside a root: excluded
    assert folders.is_excluded(str(root / "a" / "deep" / "three.txt"))
    assert sorted(map(str, folders.sync_roots())) == sorted([str(root / "a" / "two.md"), str(root / "b"), str(root / "one.pdf")])
    folders.save()
    again = FolderList.load(tmp_path / "lib")
    assert again.roots == [str(root)] and again.excluded == [str(root / "a" / "deep")]
    assert again.add(root / "a" / "deep") == [] and again.excluded == []  # adding it back un-excludes
    assert again.remove(tmp_path / "elsewhere") is False
    assert again.remove(root) is True and again.roots == []


def _gguf(path: Path, size: int = 1_100_000) -> Path:
    import struct

    def s(text: str) -> bytes:
        return struct.pack("<Q", len(text)) + text.encode()

    kv = s("general.architecture") + struct.pack("<I", 8) + s("llama")
    path.parent.mkdir(parents=True, exist_ok=True)
    header = b"GGUF" + struct.pack("<I", 3) + struct.pack("<QQ", 0, 1) + kv
    path.write_bytes(header + b"\0" * (size - len(header)))
    return path


def test_discovery_reads_headers_and_skips_what_is_not_a_model(tmp_path: Path) -> None:
    lm = _gguf(tmp_path / "lm" / "org" / "model-Q5_K_M.gguf")
    _gguf(tmp_path / "lm" / "small.gguf", size=4096)  # too small to be a model
    _gguf(tmp_path / "lm" / "split-00002-of-00003.gguf")  # not the first part
    (tmp_path / "lm" / "zz").mkdir()
    (tmp_path / "lm" / "zz" / "dup.gguf").symlink_to(lm)  # the same file twice (found second)
    blob = _gguf(tmp_path / "ollama" / "sha256-0123")
    (tmp_path / "ollama" / "sha256-text").write_bytes(b"not a model" * 200_000)
    found = list(discover([("LM Studio", tmp_path / "lm"), ("Ollama", tmp_path / "ollama"),
                           ("GPT4All", tmp_path / "missing")]))
    assert [(Path(f.path).name, f.source) for f in found] == [("model-Q5_K_M.gguf", "LM Studio"), (blob.name, "Ollama")]
    assert found[0].quantization == "Q5_K_M" and found[0].architecture == "llama" and not found[0].error
    cancel = CancelToken()
    cancel.cancel()
    assert list(discover([("LM Studio", tmp_path / "lm")], cancel)) == []

    models = tmp_path / "models"
    assert load_imported(models) == []
    remember_imported(models, lm)
    remember_imported(models, blob)
    assert load_imported(models) == [str(blob), str(lm)]
    assert forget_imported(models, blob) == [str(lm)]


def test_registry_names_libraries_and_remembers_the_current_one(tmp_path: Path) -> None:
    default = tmp_path / "data" / "library"
    reg = Registry(tmp_path / "data" / "libraries.json", default)
    assert [e.path for e in reg.entries] == [str(default)] and reg.current == str(default)
    work = reg.add("Work & Contracts")
    assert Path(work.path).parent == tmp_path / "data" / "libraries" and work.name == "Work & Contracts"
    reg.current = work.path
    reg.save()
    again = Registry(tmp_path / "data" / "libraries.json", default)
    assert again.current == work.path and again.name_of(work.path) == "Work & Contracts"
    again.forget(work.path)
    assert again.current == str(default)
    again.forget(str(default))  # the default library always stays
    assert [e.path for e in again.entries] == [str(default)]
    raw = json.loads((tmp_path / "data" / "libraries.json").read_text())
    assert raw["current"] == work.path

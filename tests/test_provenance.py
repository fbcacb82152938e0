"""Answer provenance ("Why this answer?"): the model file, its sha256 (checked here against the file
itself with hashlib) and quantization, the embedder, the retrieval settings, the passages given to
the model with their scores and ranks, and the timings — in `ask --json`, kept with the chat and in
its Markdown export. The model's sha256 is computed once per file and then cached."""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path
from typing import Any

import pytest

import docgen
from docent.core.models import packaged as models
from docent.core.storage.chats import Chat, ChatStore, Passage, Turn, to_markdown
from docent.core.library.facade import MODEL_HASHES_FILE, Library
from docent.core.types import AnswerDone
from docent.settings import Settings
from docent.settings import save as save_settings
from test_cli import _json, _run

PROVENANCE_KEYS = {"model_path", "model_sha256", "quantization", "embedder", "retrieval", "passages", "timings"}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_gguf(path: Path, file_type: int = 15, size: int = 1_100_000) -> Path:
    """A header-only GGUF (never loaded: only declined questions are asked with it)."""

    def s(text: str) -> bytes:
        return struct.pack("<Q", len(text.encode())) + text.encode()

    kv = [s("general.architecture") + struct.pack("<I", 8) + s("llama"),
          s("general.name") + struct.pack("<I", 8) + s("Tiny Test Model"),
          s("general.file_type") + struct.pack("<I", 4) + struct.pack("<I", file_type)]
    header = b"GGUF" + struct.pack("<I", 3) + struct.pack("<QQ", 0, len(kv)) + b"".join(kv)
    path.write_bytes(header + b"\0" * (size - len(header)))
    return path


@pytest.mark.slow
def test_cli_ask_json_gives_the_provenance(tmp_path: Path) -> None:
    data = tmp_path / "data"
    netlog = tmp_path / "netlog.txt"
    pdf = docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    save_settings(data / "settings.json", Settings(n_threads=1, max_answer_tokens=64, sources=3, profile="office"))
    _run(["index", str(tmp_path / "docs"), "--json"], netlog, data)
    question = "Who built the lighthouse on Karvik Island?"
    out = _json(_run(["ask", question, "--ctx", "2048", "--json"], netlog, data))

    # the existing contract is unchanged; provenance is added
    assert {"answer", "answered", "citations", "sources", "model", "timings", "provenance"} <= set(out)
    assert out["answered"] is True
    prov = out["provenance"]
    assert PROVENANCE_KEYS <= set(prov)

    model = Path(prov["model_path"])
    assert model.is_file() and model.name == out["model"] == models.GEMMA3_NAME  # the packaged default
    assert prov["model_sha256"] == sha256_of(model)  # the file's own hash, computed here independently
    assert prov["quantization"] == "Q4_K_M" and prov["quantization"].lower() in model.name
    assert prov["model_used"] is True
    assert prov["embedder"] == models.EMBEDDER_ID

    r = prov["retrieval"]
    assert (r["mode"], r["fusion"], r["sources"], r["context"]) == ("hybrid", "adaptive", 3, "sentences")
    assert r["relevant"] is True and r["best_similarity"] >= r["min_similarity"] and r["scope"] == []
    assert prov["generation"]["n_ctx"] == 2048 and prov["generation"]["temperature"] == 0.0

    # the passages given to the model are the answer's sources, with their scores and ranks
    passages = prov["passages"]
    assert [(p["path"], p["page"], p["location"], p["score"]) for p in passages] == \
        [(s["path"], s["page"], s["location"], s["score"]) for s in out["sources"]]
    assert [p["n"] for p in passages] == list(range(1, len(passages) + 1))
    hits = _json(_run(["search", question, "--top-k", "3", "--json"], netlog, data))["hits"]
    order = [(h["path"], h["page"], h["location"]) for h in hits]
    for p in passages:  # rank = place in the search results for the question
        assert isinstance(p["rank"], int) and order[p["rank"] - 1] == (p["path"], p["page"], p["location"])
    assert {p["n"] for p in passages if p["cited"]} == {c["n"] for c in out["citations"]}
    assert any((p["path"], p["page"]) == (str(pdf), 3) and p["cited"] for p in passages)

    t = prov["timings"]
    assert {"retrieval_s", "model_load_s", "generation_s", "first_token_s", "total_s"} <= set(t)
    assert t["retrieval_s"] == out["timings"]["retrieval_s"] and t["total_s"] >= t["generation_s"] > 0

    # the hash is cached in the library folder (keyed by path, size and mtime)
    cache = json.loads((data / MODEL_HASHES_FILE).read_text())
    st = model.stat()
    assert cache[f"{model}|{st.st_size}|{st.st_mtime_ns}"] == prov["model_sha256"]

    # office profile: the audit log names the cited page and the model, never the passage's text
    records = [json.loads(line) for line in (data / "audit" / "log.jsonl").read_text().splitlines()]
    assert len(records) == 1 and records[0]["model_sha256"] == prov["model_sha256"]
    assert {(c["path"], c["page"]) for c in records[0]["cited"]} == {(c["path"], c["page"]) for c in out["citations"]}
    assert "Karvik" not in (data / "audit" / "log.jsonl").read_text()
    assert json.loads(_run(["audit", "verify", "--json"], netlog, data).stdout)["ok"] is True
    assert not netlog.exists() or netlog.read_text() == "", netlog.read_text()


def _declined(lib: Library) -> AnswerDone:
    done = list(lib.ask("What is the boiling point of mercury on Jupiter?"))[-1]
    assert isinstance(done, AnswerDone) and done.answered is False and done.provenance is not None
    return done


def test_model_sha256_is_computed_once_per_file(tmp_path: Path, embedder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers import run_index

    model = write_gguf(tmp_path / "my-model.Q4_K_M.gguf").resolve()
    calls: list[Path] = []
    real = models.sha256_file
    monkeypatch.setattr(models, "sha256_file", lambda p: calls.append(Path(p)) or real(p))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ferry.txt").write_text("The Vellmar ferry is painted bright orange.\n", encoding="utf-8")
    settings = Settings(chat_model=str(model))
    with Library(tmp_path / "lib", settings, embedder=embedder) as lib:
        run_index(lib, [docs])
        prov = _declined(lib).provenance
        assert prov is not None
        # declined before the model was asked: the provenance still says which model would have answered
        assert (prov.model_path, prov.model_used, prov.quantization) == (str(model), False, "Q4_K_M")
        assert prov.model_sha256 == sha256_of(model) and calls == [model]
        assert prov.passages and prov.passages[0]["rank"] == 1 and prov.passages[0]["path"] == str(docs / "ferry.txt")
        _declined(lib)
        assert calls == [model]  # remembered
    with Library(tmp_path / "lib", settings, embedder=embedder) as lib:
        assert _declined(lib).provenance.model_sha256 == sha256_of(model)  # type: ignore[union-attr]
        assert calls == [model]  # read back from the library folder, not hashed again
        with model.open("ab") as fh:  # the file changes: hashed again
            fh.write(b"\0" * 1024)
        prov = _declined(lib).provenance
        assert prov is not None and prov.model_sha256 == sha256_of(model) and calls == [model, model]


def test_provenance_is_kept_with_the_chat_and_exported(tmp_path: Path) -> None:
    prov = {
        "model_path": "/models/gemma-3-270m-q4_k_m.gguf", "model_sha256": "a5" * 32, "quantization": "Q4_K_M",
        "model_used": True, "embedder": "minilm@1",
        "retrieval": {"mode": "hybrid", "fusion": "convex", "sources": 5, "best_similarity": 0.7, "coverage": 1.0,
                      "relevant": True},
        "generation": {"n_ctx": 2048},
        "passages": [{"n": 1, "rank": 2, "path": "/docs/atlas.pdf", "page": 3, "location": "p. 3", "score": 0.91,
                      "cited": True}],
        "timings": {"retrieval_s": 0.02, "generation_s": 1.5, "total_s": 2.0, "prompt_tokens": 300.0},
    }
    turn = Turn(question="Who built it?", answer="Solberg [1].", answered=True, provenance=prov,
                citations=[Passage(1, "/docs/atlas.pdf", 3, "p. 3", "Built by Solberg.")])
    store = ChatStore(tmp_path / "chats")
    chat = Chat(id="20250101-120000-abcdef", turns=[turn])
    store.save(chat)
    again = store.load(chat.id)
    assert again.turns[0].provenance == prov
    md = to_markdown(again)
    assert "**Why this answer?**" in md
    assert "`gemma-3-270m-q4_k_m.gguf`, Q4_K_M" in md and "a5" * 32 in md and "`minilm@1`" in md
    assert "[1] `atlas.pdf`, p. 3: rank 2, score 0.91, cited" in md
    assert "retrieval 0.02 s" in md and "total 2.00 s" in md
    assert "Why this answer?" not in to_markdown(again, provenance=False)
    # older chats (no provenance) still load and export as before
    old = Turn.from_json({"question": "q", "answer": "a"})
    assert old.provenance == {} and "Why this answer" not in to_markdown(Chat(id=chat.id, turns=[old]))


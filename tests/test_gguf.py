"""core.models.gguf: a GGUF file's header and metadata, read without loading the model; every file
that is not a sound GGUF is refused with a plain reason (ModelError), never a crash."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from docent.core.models.gguf import GGUF_MAGIC, read_gguf
from docent.core.models.packaged import SMOLLM2, chat_model_path
from docent.errors import ModelError

_U32, _STR, _ARRAY, _U64 = 4, 8, 9, 10


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def _value(value: Any) -> tuple[int, bytes]:
    if isinstance(value, str):
        return _STR, _string(value)
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return _ARRAY, struct.pack("<IQ", _STR, len(value)) + b"".join(_string(v) for v in value)
        return _ARRAY, struct.pack("<IQ", _U32, len(value)) + b"".join(struct.pack("<I", v) for v in value)
    return _U32, struct.pack("<I", value)


def write_gguf(path: Path, metadata: dict[str, Any], tensors: int = 1, tensor_bytes: int = 64,
               version: int = 3) -> Path:
    """A small, well-formed GGUF: the metadata, `tensors` 1-D f32 tensors, then their data."""
    out = bytearray(GGUF_MAGIC + struct.pack("<IQQ", version, tensors, len(metadata)))
    for key, value in metadata.items():
        vtype, data = _value(value)
        out += _string(key) + struct.pack("<I", vtype) + data
    for i in range(tensors):  # name, n_dims, dims, type (f32), offset
        out += _string(f"t{i}") + struct.pack("<IQIQ", 1, tensor_bytes // 4, 0, i * tensor_bytes)
    out += b"\0" * (-len(out) % 32) + b"\1" * (tensors * tensor_bytes)
    path.write_bytes(bytes(out))
    return path


LLAMA_META: dict[str, Any] = {
    "general.architecture": "llama", "general.name": "Tiny Test", "general.file_type": 15,
    "llama.context_length": 2048, "tokenizer.chat_template": "{{ messages }}",
    "tokenizer.ggml.tokens": ["<s>", "</s>", "a", "b"], "tokenizer.ggml.scores": [1, 2, 3, 4],
}


def test_the_packaged_chat_model_header() -> None:
    info = read_gguf(chat_model_path("smollm2-135m-instruct"))
    assert info.size == SMOLLM2.size and info.version == 3 and info.tensor_count > 0
    assert info.architecture == "llama"
    assert info.quantization == "Q4_1"
    assert info.context_length == 8192
    assert info.chat_template is not None and "<|im_start|>" in info.chat_template
    assert not info.is_embedding_model
    assert isinstance(info.metadata["tokenizer.ggml.tokens"], int)  # arrays are counted, not kept
    assert info.metadata["tokenizer.ggml.tokens"] > 10_000


def test_metadata_of_a_written_file(tmp_path: Path) -> None:
    info = read_gguf(write_gguf(tmp_path / "tiny.gguf", LLAMA_META, tensors=2))
    assert (info.architecture, info.name, info.quantization, info.context_length) == ("llama", "Tiny Test", "Q4_K_M", 2048)
    assert info.tensor_count == 2 and info.version == 3 and info.size == (tmp_path / "tiny.gguf").stat().st_size
    assert info.chat_template == "{{ messages }}"
    assert info.metadata["tokenizer.ggml.tokens"] == 4 and info.metadata["tokenizer.ggml.scores"] == 4
    kept = read_gguf(tmp_path / "tiny.gguf", keep_arrays=True)
    assert kept.metadata["tokenizer.ggml.tokens"] == ["<s>", "</s>", "a", "b"]
    assert kept.metadata["tokenizer.ggml.scores"] == [1, 2, 3, 4]


def test_fallbacks_name_quantization_template_and_embedding_models(tmp_path: Path) -> None:
    bare = read_gguf(write_gguf(tmp_path / "model-Q5_K_S.gguf", {"tokenizer.chat_template": "  "}))
    assert bare.architecture == "unknown" and bare.name == "model-Q5_K_S"
    assert bare.quantization == "Q5_K_S"  # from the file name when general.file_type is absent
    assert bare.chat_template is None and bare.context_length is None
    unknown = read_gguf(write_gguf(tmp_path / "model.gguf", {"general.file_type": 9999}))
    assert unknown.quantization == "unknown"
    assert read_gguf(write_gguf(tmp_path / "bert.gguf", {"general.architecture": "bert"})).is_embedding_model
    pooled = {"general.architecture": "qwen3", "qwen3.pooling_type": 1}
    assert read_gguf(write_gguf(tmp_path / "pooled.gguf", pooled)).is_embedding_model


@pytest.mark.parametrize("damage, reason", [
    (lambda b: b"GGML" + b[4:], "not a GGUF model file"),
    (lambda b: b[:4] + struct.pack("<I", 7) + b[8:], "unsupported GGUF version 7"),
    (lambda b: b[:40], "truncated"),
    (lambda b: b[:-64], "truncated: .* bytes, but its tensors need more"),  # the last tensor's data is gone
    (lambda b: b[:24] + struct.pack("<Q", 1 << 40) + b[32:], "impossible string length"),
    (lambda b: b[:8] + struct.pack("<QQ", 1, 10**6) + b[24:], "corrupt"),
    (lambda b: b"", "not a GGUF model file"),
])
def test_a_damaged_file_is_refused_with_a_reason(tmp_path: Path, damage: Any, reason: str) -> None:
    good = write_gguf(tmp_path / "good.gguf", LLAMA_META, tensors=2, tensor_bytes=64).read_bytes()
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(damage(good))
    with pytest.raises(ModelError, match=reason):
        read_gguf(bad)


def test_an_unknown_value_type_and_a_missing_file(tmp_path: Path) -> None:
    data = bytearray(GGUF_MAGIC + struct.pack("<IQQ", 3, 0, 1) + _string("general.x") + struct.pack("<I", 99))
    (tmp_path / "odd.gguf").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="unknown value type 99"):
        read_gguf(tmp_path / "odd.gguf")
    with pytest.raises(ModelError, match="model file not found"):
        read_gguf(tmp_path / "absent.gguf")
    with pytest.raises(ModelError, match="model file not found"):
        read_gguf(tmp_path)  # a folder is not a model file

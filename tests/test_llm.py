"""core.models.llm: the chat model through llama.cpp, on the packaged tiny models. The tokenizer
and the chat template need no weights (vocab_only, fast); generation runs the real SmolLM2 (slow)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from docent.core.cancel import CancelToken
from docent.core.models.llm import ChatModel, LLMSettings
from docent.core.models.packaged import chat_model_path
from docent.errors import ModelError
from test_gguf import write_gguf

SMOLLM2 = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def vocab() -> Iterator[ChatModel]:
    model = ChatModel(chat_model_path(SMOLLM2), LLMSettings(n_ctx=100_000), vocab_only=True)
    yield model
    model.close()


@pytest.fixture(scope="module")
def model() -> Iterator[ChatModel]:
    m = ChatModel(chat_model_path(SMOLLM2), LLMSettings(n_ctx=1024, max_tokens=32))
    yield m
    m.close()


def _prompt(m: ChatModel, question: str) -> tuple[list[int], list[str]]:
    text, stop = m.render_chat("You answer in one short sentence.", question)
    return m.tokenize(text), stop


# ---- no weights: facts, tokens, the template -----------------------------------------------------------
def test_facts_and_a_context_capped_at_what_the_model_was_trained_for(vocab: ChatModel) -> None:
    assert vocab.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert vocab.info.context_length == 8192 and vocab.n_ctx == 8192  # asked for 100k
    assert vocab.is_chat


def test_tokens_count_and_truncate(vocab: ChatModel) -> None:
    text = "The harbour master inspects every bollard each spring."
    assert vocab.count(text) == len(vocab.tokenize(text, add_bos=False)) > 5
    assert vocab.count("") == 0
    cut = vocab.truncate(text, 4)
    assert text.startswith(cut) and 0 < len(cut) < len(text) and vocab.count(cut) <= 4
    assert vocab.truncate(text, 1000) == text
    # special tokens in a rendered prompt are single tokens, not their spelling
    assert len(vocab.tokenize("<|im_start|>", add_bos=False)) == 1


def test_the_chat_template_of_the_gguf_renders_the_prompt(vocab: ChatModel) -> None:
    prompt, stop = vocab.render_chat("SYSTEM TEXT", "USER TEXT")
    assert prompt.index("SYSTEM TEXT") < prompt.index("USER TEXT")
    assert prompt.startswith("<|im_start|>system") and prompt.rstrip().endswith("<|im_start|>assistant")
    assert stop == ["<|im_end|>"]
    # the system prompt comes first and never changes: two questions share the same prefix
    other, _ = vocab.render_chat("SYSTEM TEXT", "ANOTHER QUESTION")
    assert other.startswith(prompt[: prompt.index("USER TEXT")])


def test_a_base_model_is_not_treated_as_a_chat_model() -> None:
    base = ChatModel(chat_model_path("gemma3-270m"), vocab_only=True)
    try:
        assert base.info.chat_template is None and not base.is_chat
    finally:
        base.close()


def test_files_that_are_not_chat_models_are_refused_before_llama_cpp(tmp_path: Path) -> None:
    bert = write_gguf(tmp_path / "bge.gguf", {"general.architecture": "bert", "general.name": "bge"})
    with pytest.raises(ModelError, match="bge.gguf is an embedding model, not a chat model"):
        ChatModel(bert)
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"\0" * 1024)
    with pytest.raises(ModelError, match="not a GGUF model file"):
        ChatModel(junk)
    # a sound header whose tensors llama.cpp cannot use: its error, as a ModelError naming the file
    odd = write_gguf(tmp_path / "odd.gguf", {"general.architecture": "llama"})
    with pytest.raises(ModelError, match="llama.cpp could not load odd.gguf"):
        ChatModel(odd)


# ---- generation: the real model --------------------------------------------------------------------
@pytest.mark.slow
def test_generation_is_deterministic_and_bounded(model: ChatModel) -> None:
    tokens, stop = _prompt(model, "What colour is the sky on a clear day?")
    first = list(model.stream(tokens, 16, stop))
    text = "".join(first)
    assert text.strip() and all(first)
    assert model.count(text) <= 17  # max_tokens, give or take a token split across pieces
    assert "<|im_end|>" not in text
    assert "".join(model.stream(tokens, 16, stop)) == text  # temperature 0 and a fixed seed


@pytest.mark.slow
def test_generation_stops_when_cancelled(model: ChatModel) -> None:
    tokens, stop = _prompt(model, "Write a long story about a lighthouse keeper.")
    before = CancelToken()
    before.cancel()
    assert list(model.stream(tokens, 32, stop, cancel=before)) == []
    during = CancelToken()
    pieces = []
    for piece in model.stream(tokens, 32, stop, cancel=during):
        pieces.append(piece)
        during.cancel()
    assert len(pieces) == 1
    assert not model.lock.locked()  # the model is free for the next question


@pytest.mark.slow
def test_a_prompt_that_would_overflow_the_context_is_refused(model: ChatModel) -> None:
    tokens, stop = _prompt(model, "Hello")
    with pytest.raises(ModelError, match="would overflow n_ctx 1024"):
        list(model.stream(tokens, model.n_ctx, stop))

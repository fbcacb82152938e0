"""The prompts: numbered, fenced sources that the model reads as data, and one renderer for every
call (plain answers and the map and reduce calls of whole-document tasks): a chat model gets its
chat template, a base model a plain completion, each with its stop strings. `build_prompt` fits a
plain answer's sources into the context, counting with the model's tokenizer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from docent.core.models.llm import ChatModel
from docent.core.types import Hit

# Where a chat model's answer must stop: it began to write a source of its own.
CHAT_STOPS = ["</source>", "<source"]
# The "<" of what would close the source fence, or of a common chat-template control token (the
# prompt is tokenized with special tokens on, so "<|im_end|>" in a document would end the turn).
_INJECTED = re.compile(
    r"<(?=\s*/?\s*source\b|\|[^<>|\s]{1,40}\|>|/?s>|(?:bos|eos|pad|unk|mask|start_of_turn|end_of_turn)>)",
    re.IGNORECASE,
)


def load_prompt(name: str, fallback: str) -> str:
    """A prompt from the packaged resources (resources/prompts/<name>), else `fallback`."""
    from docent import paths

    try:
        return (paths.resources_dir() / "prompts" / name).read_text(encoding="utf-8")
    except OSError:
        return fallback


def render(model: ChatModel, system: str, user: str, base: str, base_stops: list[str]) -> tuple[str, list[str]]:
    """→ (prompt text, stop strings): `system` and `user` through a chat model's template, or the
    plain completion `base` for a base model, which stops at `base_stops`."""
    if model.is_chat:
        text, stops = model.render_chat(system, user)
        return text, stops + CHAT_STOPS
    return base, base_stops


def source_block(n: int, hit: Hit, text: str, fenced: bool = True, header: bool = True) -> str:
    """A numbered source for the prompt. Chat models get it fenced in tags (anything inside is
    data, not instructions); base models do better with plain "[n] (file, location) text", or
    "[n] text" without the `header` (small base models copy a file header out as their notes)."""
    if not fenced:
        if not header:
            return f"[{n}] {' '.join(text.split())}"
        name, where = _INJECTED.sub("&lt;", Path(hit.path).name), _INJECTED.sub("&lt;", hit.location)
        return f"[{n}] ({name}, {where}) {' '.join(_INJECTED.sub('&lt;', text).split())}"
    # a document, file name or heading that writes the fence's tags or quotes must not end it early
    name, where = _attr(Path(hit.path).name), _attr(hit.location)
    return f'<source id="{n}" file="{name}" location="{where}">\n{_INJECTED.sub("&lt;", text)}\n</source>'


def _attr(value: str) -> str:
    return " ".join(value.split()).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def as_data(model: ChatModel, text: str) -> str:
    """Document text the model's tokenizer reads as plain text only: the patterns above are
    neutralised, and where this model still finds a control token in it, every bracket is."""
    text = _INJECTED.sub("&lt;", text)
    if len(model.tokenize(text, add_bos=False)) != model.count(text):
        for char, entity in (("<", "&lt;"), (">", "&gt;"), ("[", "&#91;"), ("]", "&#93;"), ("|", "&#124;")):
            text = text.replace(char, entity)
    return text


def build_prompt(model: ChatModel, question: str, hits: Sequence[Hit], max_answer_tokens: int) -> tuple[list[int], list[str], list[Hit]]:
    """Fit as many sources as the context allows, best first, counting with the model's tokenizer.
    → (prompt tokens, stop strings, the hits actually included, numbered from 1)."""
    question = question.strip()
    chat = model.is_chat
    system = load_prompt("answer_system.txt", "Answer only from the numbered sources and cite them like [1].")
    user_tpl = load_prompt("answer_user.txt", "Sources:\n{sources}\n\nQuestion: {question}\n")
    base_tpl = load_prompt("answer_base.txt", "{sources}\n\nQuestion: {question}\nAnswer:")

    def prompt_with(blocks: list[str]) -> tuple[str, list[str]]:
        joined = "\n\n".join(blocks)
        # measured on Gemma 3 270M: plain passages and a bare "Answer:" gave 5 of 7 right answers on
        # the sample questions, XML-fenced passages 4 of 7 with empty answers when one source is given
        return render(model, system, user_tpl.format(sources=joined, question=question).strip(),
                      base_tpl.format(sources=joined, question=question).rstrip(), ["\nQuestion", "\n["])

    margin = 8
    budget = model.n_ctx - max_answer_tokens - margin
    prompt, stop = prompt_with([])
    used = len(model.tokenize(prompt))
    if used > budget:  # an absurdly long question: keep its start
        question = model.truncate(question, max(16, budget // 2))
        prompt, stop = prompt_with([])
        used = len(model.tokenize(prompt))
    blocks: list[str] = []
    included: list[Hit] = []
    for hit in hits:
        n = len(included) + 1
        text = as_data(model, hit.text)
        block = source_block(n, hit, text, chat)
        cost = model.count(block) + 4
        if used + cost > budget:
            room = budget - used - model.count(source_block(n, hit, "", chat)) - 8
            if room < 48:
                break
            block = source_block(n, hit, model.truncate(text, room), chat)
            cost = model.count(block) + 4
        blocks.append(block)
        included.append(hit)
        used += cost
    prompt, stop = prompt_with(blocks)
    tokens = model.tokenize(prompt)
    while len(tokens) > budget and blocks:  # token counts of parts can differ slightly from the whole
        blocks.pop()
        included.pop()
        prompt, stop = prompt_with(blocks)
        tokens = model.tokenize(prompt)
    return tokens, stop, included

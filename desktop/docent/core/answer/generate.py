"""The one streaming loop: every model call of an answer (a plain answer, a whole-document task's
map and reduce calls) streams its pieces through `generate`, which notes the timings."""

from __future__ import annotations

import time
from typing import Iterator

from docent.core.cancel import CancelToken
from docent.core.models.llm import ChatModel


def generate(model: ChatModel, prompt: list[int], max_tokens: int, stop: list[str], cancel: CancelToken,
             timings: dict[str, float] | None = None, first_line: bool = False) -> Iterator[str]:
    """The pieces of text the model writes for `prompt`, as they come. With `first_line`, only
    its first line (a base model has no end-of-turn token: after its answer it goes on with more
    questions and answers). Once the call ends, `timings` gets first_token_s, generation_s and
    answer_tokens."""
    pieces: list[str] = []
    t0 = time.monotonic()
    first: float | None = None
    for piece in model.stream(prompt, max_tokens, stop, cancel):
        if first is None:
            first = time.monotonic()
        if first_line and "\n" in ("".join(pieces) + piece).lstrip():
            head = ("".join(pieces) + piece).lstrip()
            line = head[: head.index("\n")]
            done_len = len("".join(pieces).lstrip())
            if len(line) > done_len:
                tail = line[done_len:]
                pieces.append(tail)
                yield tail
            break
        pieces.append(piece)
        yield piece
    end = time.monotonic()
    if timings is not None:
        timings["first_token_s"] = (first or end) - t0
        timings["generation_s"] = end - t0
        timings["answer_tokens"] = float(model.count("".join(pieces))) if pieces else 0.0

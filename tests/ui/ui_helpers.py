"""Helpers for the window's tests: generated documents (never downloaded), a slowed-down embedder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

from docgen import write_pdf

from docent.core.cancel import NEVER, CancelToken
from docent.core.types import AnswerDone, Citation, Hit, Sources, Token
from docent.settings import Settings

# Small answers and context keep the real model fast (seconds, not minutes, on 2 cores); the
# smallest bundled model (the window does not depend on which one answers).
TEST_SETTINGS = Settings(max_answer_tokens=48, n_ctx=2048, chat_model="smollm2-135m-instruct")


class SlowEmbedder:
    """The real embedder, slowed down per call so that indexing lasts long enough to interleave
    with (or be cancelled by) what a test does. Sleeping releases the GIL, like real work in C."""

    def __init__(self, inner: Any, delay: float) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        self.delay = delay

    def embed(self, texts: Any) -> Any:
        time.sleep(self.delay)
        return self.inner.embed(texts)

    def embed_query(self, text: str) -> Any:
        return self.inner.embed_query(text)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.inner.token_spans(text)


HANDBOOK = [
    ["Orion Logistics — Site Handbook", "This handbook describes how the Orion Logistics warehouses operate. "
     "It is updated by the operations team every spring."],
    ["2. Deliveries", "Trucks arrive between 06:00 and 14:00 on weekdays. Drivers report to the gatehouse and "
     "show their delivery note before unloading."],
    ["3. Security", "The alarm code of the Lisbon warehouse is changed every 30 days by the site manager. "
     "Visitors sign in at reception and wear a yellow badge at all times."],
]
PARKING = (
    "# Facilities\n\n## Parking\n\nStaff parking permits are issued by the facilities team and cost "
    "15 euros per month. Bicycles are parked in the covered shelter next to gate B.\n"
)


def make_docs(folder: Path) -> Path:
    """A 3-page PDF (the alarm code is on page 3) and a Markdown file."""
    folder.mkdir(parents=True, exist_ok=True)
    write_pdf(folder / "Orion_Handbook.pdf", HANDBOOK)
    (folder / "facilities.md").write_text(PARKING, encoding="utf-8")
    return folder


def make_many(folder: Path, n: int) -> Path:
    """`n` small text files about unrelated everyday topics."""
    folder.mkdir(parents=True, exist_ok=True)
    topics = ["gardening", "baking bread", "repairing bicycles", "painting walls", "keeping bees"]
    for i in range(n):
        topic = topics[i % len(topics)]
        (folder / f"note_{i:03d}.txt").write_text(
            f"Note {i} about {topic}.\n\nThis note explains step {i} of {topic} in plain words. "
            f"Tools for {topic} are kept in shed number {i}.\n",
            encoding="utf-8",
        )
    return folder


# ---- a scripted stand-in for Library -----------------------------------------------------------------
class _Catalog:
    def get_meta(self, key: str) -> None:
        return None

    def notes(self, doc_id: int) -> str:
        return ""

    def all_notes(self) -> dict[int, str]:
        return {}


class ScriptedLibrary:
    """Stands in for Library where timing matters (deterministic, no model). `ask` streams one short
    token every 4 ms until cancelled (or `tokens` of them), then answers citing a fixed passage."""

    PASSAGE = Citation(1, "/nowhere/Guide.pdf", 2, "p. 2", "Scripted passage about the question.", 0, 36)

    def __init__(self, data_dir: Path, tokens: int = 3000) -> None:
        from docent.settings import load

        self.dir = data_dir
        self.settings = load(data_dir / "settings.json")
        self.catalog = _Catalog()
        self.tokens = tokens
        self.yielded = 0
        self.questions: list[str] = []

    def documents(self) -> list[Any]:
        return []

    def recorded_embedder(self) -> str:
        return self.catalog.get_meta("embedder_id") or ""

    def ask(self, question: str, scope: Any = (), cancel: CancelToken = NEVER, mode: str = "auto") -> Iterator[Any]:
        self.questions.append(question)
        hit = Hit("c1", 1, self.PASSAGE.path, 2, "p. 2", self.PASSAGE.text, 1.0)
        yield Sources([hit])
        pieces: list[str] = []
        while not cancel.cancelled and len(pieces) < self.tokens:
            time.sleep(0.004)
            pieces.append("w ")
            self.yielded += 1
            yield Token("w ")
        answer = "".join(pieces).strip() + " [1]."
        yield AnswerDone(answer, True, [self.PASSAGE], cancelled=cancel.cancelled)

    def close(self) -> None:
        pass

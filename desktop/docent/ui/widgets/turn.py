"""One question and its answer: the answer streaming in with clickable [n] citations, the cited
passages under it (file, page or section, the quoted text), Copy, Regenerate and "Why this answer?"
(its provenance: widgets/provenance.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from docent.core.answer.gate import NOT_FOUND
from docent.core.storage.chats import Passage, Turn, extractive_note
from docent.ui.theme import answer_html
from docent.ui.widgets.numbering import display_numbers, renumber_text, renumbered

QUOTE_CHARS = 280


def _quote(text: str, limit: int = QUOTE_CHARS, focus: str = "") -> str:
    """The passage as the card quotes it: from its start, or from `focus` (the sentence or table row
    that bears the answer out) when that lies past the card's length, so the card shows what was
    cited, not the page's heading."""
    text = " ".join(text.split())
    focus = " ".join(focus.split())
    at = text.find(focus) if focus else -1
    if at > 0 and at + len(focus) > limit:
        text = "…" + text[at:]
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return f"“{text}”"


def passage_title(p: Passage) -> str:
    return f"[{p.n}]  {breakable(Path(p.path).name)} — {p.location}"


def breakable(name: str, longest: int = 24) -> str:
    """A file name that can wrap: in a run of more than `longest` characters without a space
    ("cohort_study_of_respiratory_infections.pdf"), a zero-width space after each _ - . so the line
    may break there (a label wraps only between words)."""
    return " ".join(re.sub(r"([_\-.])", "\\1\u200b", w) if len(w) > longest else w for w in name.split(" "))


class SourceCard(QFrame):
    """One cited passage: file, page or section, and the quoted text. Click to open it.

    Signals:
        activated(object): the Passage
    """

    activated = Signal(object)

    def __init__(self, passage: Passage, parent: QWidget | None = None, focus: str = "") -> None:
        super().__init__(parent)
        self.passage = passage
        self.setObjectName("sourceCard")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"{passage.path}\nClick to open at {passage.location}")
        v = QVBoxLayout(self)
        v.setContentsMargins(10, 6, 10, 6)
        v.setSpacing(2)
        self.title = QLabel(passage_title(passage))
        self.title.setObjectName("sourceTitle")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setWordWrap(True)  # a long file name wraps (anywhere, if it must) inside the chat's width
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.title.setMinimumWidth(60)
        self.quote = QLabel(_quote(passage.text, focus=focus))
        self.quote.setObjectName("sourceQuote")
        self.quote.setWordWrap(True)
        self.quote.setTextFormat(Qt.TextFormat.PlainText)
        v.addWidget(self.title)
        v.addWidget(self.quote)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.activated.emit(self.passage)
        super().mouseReleaseEvent(event)


class TurnWidget(QWidget):
    """A question and its answer.

    Signals:
        passageActivated(object, str): a citation or source card was clicked (the Passage, and its
            sentence that supports the answer, or "")
        regenerateRequested(): ask this question again
    """

    passageActivated = Signal(object, str)
    regenerateRequested = Signal()

    def __init__(self, turn: Turn, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.turn = turn
        self._sources: list[Passage] = []
        self._shown: list[Passage] = []  # the passages with the numbers shown (numbering.py)
        self._streamed = ""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 4, 0, 10)
        outer.setSpacing(6)

        qrow = QHBoxLayout()
        qrow.addStretch(1)
        self.question = QLabel(turn.question)
        self.question.setObjectName("questionBubble")
        self.question.setWordWrap(True)
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.question.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.question.setMaximumWidth(560)
        natural = self.question.fontMetrics().horizontalAdvance(turn.question) + 30
        self.question.setMinimumWidth(min(natural, 220))  # wider questions wrap in a narrow chat
        qrow.addWidget(self.question)
        outer.addLayout(qrow)

        self.card = QFrame()
        self.card.setObjectName("answerCard")
        card = QVBoxLayout(self.card)
        card.setContentsMargins(14, 10, 14, 10)
        card.setSpacing(6)
        self.status = QLabel("")
        self.status.setObjectName("turnStatus")
        self.status.setWordWrap(True)  # a long note (why declined, where a figure came from) wraps
        card.addWidget(self.status)
        self.answer = QLabel("")
        self.answer.setObjectName("answerText")
        self.answer.setWordWrap(True)
        self.answer.setTextFormat(Qt.TextFormat.RichText)
        self.answer.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        self.answer.setOpenExternalLinks(False)
        self.answer.linkActivated.connect(self._on_link)
        self.answer.hide()
        card.addWidget(self.answer)
        self.unsupported = QLabel("")  # answer sentences the cited passages do not bear out
        self.unsupported.setObjectName("hint")
        self.unsupported.setTextFormat(Qt.TextFormat.PlainText)
        self.unsupported.setWordWrap(True)
        self.unsupported.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.unsupported.hide()
        card.addWidget(self.unsupported)
        self.error = QLabel("")
        self.error.setObjectName("turnError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        card.addWidget(self.error)

        self.sources_label = QLabel("Sources")
        self.sources_label.setObjectName("sectionLabel")
        self.sources_label.hide()
        card.addWidget(self.sources_label)
        self.sources_box = QVBoxLayout()
        self.sources_box.setSpacing(4)
        card.addLayout(self.sources_box)

        actions = QHBoxLayout()
        actions.setSpacing(2)
        self.copy = QToolButton()
        self.copy.setObjectName("link")
        self.copy.setText("Copy")
        self.copy.setToolTip("Copy the answer and its sources")
        self.copy.clicked.connect(self.copy_answer)
        self.regenerate = QToolButton()
        self.regenerate.setObjectName("link")
        self.regenerate.setText("Regenerate")
        self.regenerate.setToolTip("Ask this question again")
        self.regenerate.clicked.connect(self.regenerateRequested)
        self.why = QToolButton()
        self.why.setObjectName("link")
        self.why.setText("Why this answer?")
        self.why.setToolTip("The model, settings and passages this answer was made from")
        self.why.clicked.connect(self.show_provenance)
        self.why.hide()
        self.provenance_dialog: QWidget | None = None
        self.meta = QLabel("")
        self.meta.setObjectName("hint")
        actions.addWidget(self.copy)
        actions.addWidget(self.regenerate)
        actions.addWidget(self.why)
        actions.addStretch(1)
        actions.addWidget(self.meta)
        self.actions = QWidget()
        self.actions.setLayout(actions)
        actions.setContentsMargins(0, 0, 0, 0)
        self.actions.hide()
        card.addWidget(self.actions)
        outer.addWidget(self.card)

        if turn.finished:
            self.finish(turn)
        else:
            self.set_status("Searching your documents…")

    # ---- streaming ----------------------------------------------------------------------------
    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def set_sources(self, passages: Sequence[Passage]) -> None:
        self._sources = list(passages)
        if passages:
            self.set_status("Writing the answer…")

    def append(self, text: str) -> None:
        self._streamed += text
        mapping = display_numbers(self._streamed, self._sources)
        self._shown = renumbered(self._sources, mapping)
        self.answer.setText(answer_html(renumber_text(self._streamed.lstrip(), mapping), set(mapping.values())))
        self.answer.show()

    def shown_answer(self) -> str:
        """The answer as shown: its citations numbered 1..n like the source cards under it."""
        mapping = self._mapping(self.turn)
        return renumber_text(self.turn.answer, mapping) if mapping else self.turn.answer

    @staticmethod
    def _mapping(turn: Turn) -> dict[int, int]:
        if turn.citations:
            return display_numbers(turn.answer, turn.citations)
        return {p.n: p.n for p in turn.sources}  # nothing cited: the nearest passages keep their numbers

    def finish(self, turn: Turn) -> None:
        self.turn = turn
        self._sources = list(turn.sources)
        mapping = self._mapping(turn)
        self._shown = renumbered(turn.citations or turn.sources, mapping)
        declined = not turn.answered and not turn.cancelled and not turn.error
        if turn.answer and not declined:  # a declined answer is said once, by the status line
            self.answer.setText(answer_html(renumber_text(turn.answer, mapping), set(mapping.values())))
            self.answer.show()
        else:
            self.answer.hide()
        withheld = [u for u in turn.unsupported if u not in turn.answer]  # left out of the answer
        flagged = [u for u in turn.unsupported if u in turn.answer]
        if withheld or (flagged and turn.answered):
            text = ""
            if withheld:  # plain text: shown as written (Apple's)
                text = ("⚠ Withheld — the documents do not state this, so it is not given as the answer: "
                        + "; ".join(f"“{u}”" for u in withheld) + ". The closest passages are below.")
            if flagged and turn.answered:
                n = len(flagged)
                text += ("\n" if text else "") + (
                    f"⚠ {n} sentence{'s' if n > 1 else ''} not found in the "
                    f"{'cited ' if turn.citations else ''}passages — check "
                    f"{'them' if n > 1 else 'it'} against the sources: " + "; ".join(f"“{u}”" for u in flagged))
            self.unsupported.setText(text)
            self.unsupported.show()
        else:
            self.unsupported.hide()
        if turn.error:
            self.error.setText(turn.error)
            self.error.show()
        status = ""
        if turn.cancelled:
            status = "Stopped." if turn.answer else "Stopped before an answer was written."
        elif not turn.error and not turn.answered and turn.answer:
            status = "Not found in your documents" + (" — the nearest passages are below." if turn.sources else ".")
            why = turn.answer[len(NOT_FOUND):].strip() if turn.answer.startswith(NOT_FOUND) else ""
            if why:  # the gate's reason: "No document mentions “Pfizer”."
                status = f"Not found in your documents. {why}" + (" The nearest passages are below." if turn.sources else "")
        elif turn.answered and turn.extractive and not turn.error:
            status = extractive_note(turn.extractive_kind, turn.set_aside)
        elif turn.answered and not turn.citations and not turn.error and turn.sources:
            status = "This answer cites no source — check it against the nearest passages below."
        self.set_status(status)
        self._fill_sources(turn)
        self.actions.setVisible(not turn.error or bool(turn.answer))
        self.copy.setVisible(bool(turn.answer))
        self.why.setVisible(bool(turn.provenance))
        bits = []
        if turn.extractive_kind in ("table", "computed") and turn.answered:
            bits.append("no model needed")  # the figures came from the rows, not from the model
        elif turn.model:
            bits.append(turn.model)
        total = sum(v for k, v in turn.timings.items() if k.endswith("_s") and k != "first_token_s")
        if total:
            bits.append(f"{total:.1f} s")
        self.meta.setText(" · ".join(bits))

    def _fill_sources(self, turn: Turn) -> None:
        while self.sources_box.count():
            item = self.sources_box.takeAt(0)
            w = item.widget()
            if w is not None:
                w.deleteLater()
        passages = self._shown if turn.citations else self._shown[:3]  # uncited or declined: the nearest passages
        self.sources_label.setText("Sources" if turn.citations else "Nearest passages")
        self.sources_label.setVisible(bool(passages))
        for p in passages:
            card = SourceCard(p, focus=self.support_for(p) if turn.citations else "")
            card.activated.connect(self._open)
            self.sources_box.addWidget(card)

    def source_cards(self) -> list[SourceCard]:
        out = []
        for i in range(self.sources_box.count()):
            w = self.sources_box.itemAt(i).widget()
            if isinstance(w, SourceCard):
                out.append(w)
        return out

    def passage(self, n: int) -> Passage | None:
        """The passage shown as [n] (the window's numbering)."""
        for p in self._shown:
            if p.n == n:
                return p
        return None

    def _on_link(self, href: str) -> None:
        if href.startswith("cite:"):
            p = self.passage(int(href[5:]))
            if p is not None:
                self._open(p)

    def _open(self, p: Passage) -> None:
        self.passageActivated.emit(p, self.support_for(p))

    def support_for(self, p: Passage) -> str:
        """The sentence of passage `p` (numbered as shown) that bears out the answer's sentences citing it."""
        from docent.core.text import CITE, sentences
        from docent.ui.widgets.passage_span import supporting_sentence

        if self.turn.citations or not self._streamed:
            answer = self.shown_answer()
        else:  # still streaming: numbered as shown so far
            answer = renumber_text(self._streamed, display_numbers(self._streamed, self._sources))
        # what the answer says before each [n] (since the sentence's start or the previous marker):
        # "Total current assets (2021): 29,505 [1]; Total current liabilities (2021): 29,441 [2]"
        # rests on passage 2 for the liabilities only; markers side by side ("[1][2]") share the words,
        # and a marker standing alone after a sentence's end ("… movement. [1]", a quote) cites that sentence
        claims = []
        said = ""
        for s, e in sentences(answer):
            start = s
            for m in CITE.finditer(answer, s, e):
                piece = answer[start:m.start()]
                said = piece if piece.strip(" ,;.") else said
                if str(p.n) in [x.strip() for x in m.group(1).replace(";", ",").split(",")]:
                    claims.append(said)
                start = m.end()
            if answer[start:e].strip(" ,;."):  # words after the last marker: what a lone marker next cites
                said = answer[start:e]
        return supporting_sentence(p.text, " ".join(claims)) if claims else ""

    def activate_citation(self, n: int) -> None:
        """What clicking [n] in the answer does (also used by tests and keyboard users)."""
        self._on_link(f"cite:{n}")

    def copy_answer(self) -> None:
        QGuiApplication.clipboard().setText(answer_as_text(self.turn, self.shown_answer(), self._shown))

    def show_provenance(self) -> QWidget | None:
        """Open "Why this answer?" for this turn (also used by tests and keyboard users)."""
        from docent.ui.widgets.provenance import ProvenanceDialog

        if not self.turn.provenance:
            return None
        dialog = ProvenanceDialog(self.turn.provenance, self.turn.question, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.provenance_dialog = dialog
        return dialog


def answer_as_text(turn: Turn, answer: str | None = None, shown: Sequence[Passage] | None = None) -> str:
    """The answer and its sources as plain text (`answer` and `shown`: as the window numbers them)."""
    lines = [(turn.answer if answer is None else answer).strip()]
    if turn.citations:
        lines += ["", "Sources:"]
        lines += [f"[{p.n}] {p.path}, {p.location}" for p in (turn.citations if shown is None else shown)]
    return "\n".join(lines)

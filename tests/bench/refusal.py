"""Refusal precision: does Docent decline questions its documents cannot answer, and answer the
ones they can?

Half of the SQuAD articles are indexed; questions about those are answerable, questions about the
other half are not (their answers are in no indexed document, yet they are the same kind of
question, on the same kind of text). For each, the answerability gate (retrieval only: similarity
and coverage of the question's words, `qa.is_relevant`) decides; with `--ask N`, N of each kind also
go through `Library.ask`, where the model may decline too.

    .venv/bin/python tests/bench/refusal.py [--set squad|aragog|financebench] [--docs 24] [--per-kind 300]
        [--ask 20] [--model NAME] [--data-dir DIR] [--no-names] [--no-passages] [--details FILE]

ARAGOG and FinanceBench index every other document: a question about a paper or filing left out is
unanswerable (for FinanceBench often the same company's other year, or a company like it).

Prints JSON: share of unanswerable questions declined (want high) and of answerable ones declined
(want low), for the gate and, with --ask, for whole answers (also "declined or withheld": an answer
with a sentence or number withheld as unsupported by the passages).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import quiet_logs, spaced, squad_questions  # noqa: E402


def split_set(name: str, docs: int, per_kind: int) -> tuple[list[Path], list[dict[str, Any]], list[dict[str, Any]]]:
    """(documents indexed, answerable questions, unanswerable ones): SQuAD indexes `docs` of its
    articles; ARAGOG and FinanceBench every other document (FinanceBench: filings of other
    companies, or the same company's other years: "near-topic")."""
    from tests.bench.common import SQUAD, aragog_set, financebench_set

    if name == "squad":
        all_docs = sorted((SQUAD / "docs_pdf").glob("*.pdf"))
        indexed = spaced(all_docs, docs)
        questions = squad_questions()
    else:
        qa = aragog_set() if name == "aragog" else financebench_set()
        all_docs = sorted(qa.docs)
        indexed = all_docs[::2]
        questions = qa.questions
    stems = {d.stem for d in indexed}
    answerable = spaced([q for q in questions if q["doc"] in stems], per_kind)
    unanswerable = spaced([q for q in questions if q["doc"] not in stems], per_kind)
    return indexed, answerable, unanswerable


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=["squad", "aragog", "financebench"], default="squad")
    ap.add_argument("--docs", type=int, default=24, help="SQuAD articles indexed (the other ones give unanswerable questions)")
    ap.add_argument("--per-kind", type=int, default=300)
    ap.add_argument("--ask", type=int, default=0, help="also ask N questions of each kind through the model")
    ap.add_argument("--model", help="the chat model for --ask (a Docent model name or a .gguf path; default: the library's)")
    ap.add_argument("--data-dir")
    ap.add_argument("--no-names", action="store_true", help="the gate without its names rule (to compare)")
    ap.add_argument("--details", help="with --ask: write each question's answer (JSON lines) to FILE")
    ap.add_argument("--no-passages", action="store_true",
                    help="the gate without its rule on names and years the passages found do not hold")
    args = ap.parse_args()
    quiet_logs()
    from dataclasses import replace

    from docent.core.library import Library
    from docent.core.answer.gate import absent_names, is_relevant, unmatched
    from docent.core.types import AnswerDone

    indexed, answerable, unanswerable = split_set(args.set, args.docs, args.per_kind)
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="docent-refusal-"))
    out: dict[str, Any] = {"set": args.set, "indexed_documents": len(indexed), "names_rule": not args.no_names,
                           "passages_rule": not args.no_passages}
    with Library(data_dir) as lib:
        list(lib.index(indexed))
        if args.model:
            lib.set_settings(replace(lib.settings, chat_model=args.model))
        params = replace(lib._services.ask_params(), names_gate=not args.no_names,
                         passages_gate=not args.no_passages)  # what lib.ask uses
        searcher = lib.searcher()

        def gate_declines(qs: list[dict[str, Any]]) -> float:
            declined = 0
            for q in qs:
                hits = searcher.search(q["question"], params.sources, None, params.search)
                named = params.names_gate and bool(absent_names(q["question"], lib.catalog))
                missing = params.passages_gate and bool(unmatched(q["question"], hits, lib.catalog))
                declined += int(named or missing or not is_relevant(q["question"], hits, params))
            return round(declined / max(1, len(qs)), 3)

        out["gate"] = {"questions_per_kind": len(answerable),
                       "unanswerable_declined": gate_declines(unanswerable),
                       "answerable_declined": gate_declines(answerable)}
        if args.ask:
            details = open(args.details, "w", encoding="utf-8") if args.details else None

            def ask_declines(qs: list[dict[str, Any]], kind: str) -> tuple[float, float]:
                """(share declined, share declined or with a sentence withheld as unsupported)."""
                declined = held = 0
                for q in qs:
                    done = [ev for ev in lib.ask(q["question"], params=params) if isinstance(ev, AnswerDone)][-1]
                    declined += int(not done.answered)
                    held += int(not done.answered or bool(getattr(done, "withheld", [])))
                    if details:
                        details.write(json.dumps({
                            "kind": kind, "question": q["question"], "doc": q["doc"], "gold": q.get("answer"),
                            "answered": done.answered, "answer": done.answer, "extractive_kind": done.extractive_kind,
                            "withheld": [{"sentence": w.sentence, "missing": w.missing} for w in done.withheld],
                            "cited": sorted({Path(c.path).stem for c in done.citations}),
                        }) + "\n")
                n = max(1, len(qs))
                return round(declined / n, 3), round(held / n, 3)

            un, an = (ask_declines(spaced(unanswerable, args.ask), "unanswerable"),
                      ask_declines(spaced(answerable, args.ask), "answerable"))
            out["ask"] = {"model": lib.chat_model().name, "questions_per_kind": args.ask,
                          "unanswerable_declined": un[0], "unanswerable_declined_or_withheld": un[1],
                          "answerable_declined": an[0], "answerable_declined_or_withheld": an[1]}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

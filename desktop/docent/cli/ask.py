"""`docent ask` and `docent search`: the question commands, an answer with citations or the best
matching passages from the indexed documents (docent.cli parses the arguments and dispatches)."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from docent.cli.common import emit, open_library


def cmd_ask(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from docent.core.cancel import CancelToken
    from docent.core.text import without_citations
    from docent.core.types import (
        AnswerDone,
        Sources,
        Token,
        WholeDocCoverage,
        WholeDocProgress,
    )

    cancel = CancelToken()
    with open_library(args) as lib:
        changes: dict[str, Any] = {}
        if args.model:
            changes["chat_model"] = args.model
        if args.sources:
            changes["sources"] = args.sources
        if args.gpu_layers is not None:
            changes["n_gpu_layers"] = args.gpu_layers
        if args.ctx:
            changes["n_ctx"] = args.ctx
        if changes:
            lib.set_settings(replace(lib.settings, **changes))
        if not args.json and not lib.documents():
            sys.stderr.write("docent: the library is empty: add documents first with `docent index FOLDER`\n")
            return 2
        done: AnswerDone | None = None
        sources: list[Any] = []
        streamed = ""
        coverage: WholeDocCoverage | None = None
        try:
            for ev in lib.ask(args.question, scope=args.scope, cancel=cancel,
                              mode="whole" if getattr(args, "whole", False) else "auto"):
                if isinstance(ev, WholeDocProgress):
                    if not args.json and sys.stderr.isatty():  # cleared before the answer is written
                        parts = ev.total - 1
                        sys.stderr.write(f"\rReading part {ev.done + 1} of {parts}…" if ev.done < parts
                                         else "\r" + " " * 40 + "\r")
                        sys.stderr.flush()
                    continue
                if isinstance(ev, WholeDocCoverage):
                    coverage = ev
                    continue
                if isinstance(ev, Sources):
                    sources = ev.hits
                elif isinstance(ev, Token):
                    text = ev.text if streamed.strip() else ev.text.lstrip()  # no leading space before the answer
                    streamed += ev.text
                    if not args.json and text:
                        sys.stdout.write(text)
                        sys.stdout.flush()
                elif isinstance(ev, AnswerDone):
                    done = ev
        except KeyboardInterrupt:
            cancel.cancel()
            sys.stdout.write("\n[stopped]\n")
            return 130
        assert done is not None
        provenance = done.provenance
        if args.json:
            emit({
                "answer": done.answer,
                "answered": done.answered,
                "citations": [c.to_json() for c in done.citations],
                "sources": [h.to_json() for h in sources],
                # the model that wrote the answer; None when none did (declined, or read or computed from tables)
                "model": lib.chat_model().name if streamed and done.extractive_kind not in ("table", "computed")
                else None,
                "timings": {k: round(v, 4) for k, v in done.timings.items()},
                "provenance": provenance.to_json() if provenance is not None else None,
                # each sentence checked against the passages it cites; supported: false = check it
                "claims": [c.to_json() for c in done.claims],
                # "answer" (top passages) or the whole-document task, with what it read
                "mode": coverage.mode if coverage is not None else "answer",
                "coverage": coverage.to_json() if coverage is not None else None,
                # sentences the model wrote that no passage supports: left out of "answer", each with
                # the numbers no passage states and the closest passage
                "withheld": [w.to_json() for w in done.withheld],
                # true when "answer" is the passages' own words, not the model's: their best sentence
                # (the model wrote nothing it could stand on, or an answer that sentence does not
                # state: "set_aside") or a table row's figure
                "extractive": done.extractive,
                # "sentence", "table" ("Total assets (2021): $59,268 million [1].") or "computed" (a
                # metric computed from table rows); "" when not extractive
                "extractive_kind": done.extractive_kind,
                # the model's answer when "answer" is instead the passages' sentence that bears the
                # question out and states none of its sentences (extractive "sentence"); "" otherwise
                "set_aside": done.set_aside,
                # for "computed": the metric, its formula, the result and each figure used with its source
                "computation": done.computation.to_json() if done.computation is not None else None,
            })
            return 0
        if not streamed:
            sys.stdout.write(done.answer)
        elif done.withheld:
            sys.stdout.write(f"\n\nChecked against the sources, the answer is: {done.answer}")
        elif done.set_aside:
            sys.stdout.write(f"\n\nThe documents say instead: {done.answer}")
        elif done.answer.startswith(streamed.strip()) and len(done.answer) > len(streamed.strip()):
            sys.stdout.write(done.answer[len(streamed.strip()):])  # a citation added after the stream
        elif without_citations(done.answer) == without_citations(streamed):
            # only citation markers were added after streaming: show them
            added = [m for m in re.findall(r"\[\d+\]", done.answer) if m not in streamed]
            if added:
                sys.stdout.write(" " + " ".join(dict.fromkeys(added)))
        elif done.answer != streamed.strip():
            # citations were checked against the sources and corrected after streaming
            sys.stdout.write(f"\n\nWith checked citations: {done.answer}")
        sys.stdout.write("\n")
        if done.citations:
            print("\nSources:")
            for c in done.citations:
                print(f"  [{c.n}] {c.path}, {c.location}")
        if done.extractive and done.extractive_kind == "table":
            print("\n(Read from a table: the figure of the cited row, in the column of the year asked.)")
        elif done.extractive and done.extractive_kind == "computed":
            print("\n(Computed from tables: the formula shown, applied to the cited rows' figures; no model was used.)")
        elif done.extractive and done.set_aside:
            print(f"\n(The model answered “{without_citations(done.set_aside).rstrip(' .')}”, which the passage "
                  "sentence that matches the question does not say, so that sentence is given instead.)")
        elif done.extractive:
            print("\n(The model's answer " + ("was not in the passages" if done.withheld else "was empty or a refusal")
                  + ": this is the passages' sentence that best matches the question.)")
        if done.withheld:
            print("\nWithheld — the documents do not state this:")
            for w in done.withheld:
                missing = f" (no passage states {', '.join(w.missing)})" if w.missing else ""
                print(f"  - {w.sentence}{missing}")
                if w.closest is not None:
                    snippet = " ".join(w.closest.text.split())
                    print(f"    closest passage: {w.closest.path}, {w.closest.location}: "
                          f"“{snippet[:160]}{'…' if len(snippet) > 160 else ''}”")
        if done.answered and not done.citations and not done.cancelled:
            print("\nThis answer cites no source: check it against the passages below.")
        if (not done.answered or not done.citations) and sources:
            print("\nNearest passages:")
            for h in sources[:3]:
                snippet = " ".join(h.text.split())
                print(f"  - {h.path}, {h.location}: “{snippet[:100]}{'…' if len(snippet) > 100 else ''}”")
        if coverage is not None:
            print(f"\n({coverage.mode}: read {coverage.chunks_read} of {coverage.chunks_total} passages "
                  f"of {len(coverage.documents)} document(s))")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from docent.core.retrieval.search import SearchParams

    if args.batch is not None:
        return _search_batch(args)
    if not args.query:
        sys.stderr.write("docent: search needs a query in quotes, or --batch FILE with one JSON question a line\n")
        return 2
    with open_library(args) as lib:
        hits = lib.search(args.query, args.top_k, args.scope, SearchParams(mode=args.mode))
    if args.json:
        emit({"hits": [h.to_json() for h in hits]})
        return 0
    if not hits:
        print("No matching passages.")
    for i, h in enumerate(hits, 1):
        text = " ".join(h.text.split())
        print(f"{i}. {h.path} — {h.location}  (score {h.score:.4f})\n   {text[:300]}{'…' if len(text) > 300 else ''}")
    return 0


def _batch_items(source: Any) -> Any:
    """(line number, question, scope or None, the input object) for each non-blank line of `source`;
    a line that is not a JSON object with a "question" string yields an error text instead."""
    import json

    for n, line in enumerate(source, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            yield n, None, None, f"line {n} is not JSON ({exc})"
            continue
        question = item.get("question") if isinstance(item, dict) else None
        if not isinstance(question, str):
            yield n, None, None, f'line {n} has no "question" string'
            continue
        scope = item.get("scope")
        if isinstance(scope, str):
            scope = [scope]
        if scope is not None and not (isinstance(scope, list) and all(isinstance(s, str) for s in scope)):
            yield n, None, None, f'line {n}: "scope" must be a path or a list of paths'
            continue
        yield n, question, scope, item


def _search_batch(args: argparse.Namespace) -> int:
    """`search --batch FILE` ("-": stdin): one JSON object a line in, {"question": ..., optional
    "scope": path or [paths], other fields echoed}, one JSON line a question out: the input's fields
    plus "hits" as in `search --json` (or "error" for a line that could not be read), the library
    and its models opened once. Exit 1 if any line failed, else 0."""
    from pathlib import Path

    from docent.core.retrieval.search import SearchParams

    params = SearchParams(mode=args.mode)
    try:
        source = sys.stdin if args.batch == "-" else open(Path(args.batch).expanduser(), encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"docent: cannot read the batch file {args.batch}: {exc.strerror or exc}\n")
        return 2
    failed = 0
    with source, open_library(args) as lib:
        for n, question, scope, item in _batch_items(source):
            if question is None:
                failed += 1
                emit({"line": n, "error": item})
                continue
            hits = lib.search(question, args.top_k, scope if scope is not None else args.scope, params)
            out = dict(item)
            out["hits"] = [h.to_json() for h in hits]
            if args.json:
                emit(out)
            else:
                print(f"{n}. {question}")
                for i, h in enumerate(hits, 1):
                    print(f"   {i}. {h.path} — {h.location}  (score {h.score:.4f})")
    return 1 if failed else 0

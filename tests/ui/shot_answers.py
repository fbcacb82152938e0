"""Screenshots of how answers stand on their sources, with the real default models:

- a withheld answer: the model wrote a sentence or number no passage states, and the window
  shows the rest of the answer with what was left out and why (the first of a few near-topic
  questions that gets one);
- a question naming what the library never mentions, declined before the model;
- a summary of a whole paper ("Summarize <file>"), with its time;
- a quoted answer: the README's sample question on the sample handbook, where the model's own
  sentence is withheld and the handbook's sentence is the answer, marked as quoted (when the model
  gets it right itself, the shot shows that instead, and says so);
- with --set-aside-only, a quote in place of the model's answer: SQuAD questions on two of its
  articles (../shared/eval/squad) until one gets an answer that the passages' best sentence
  does not state, which then stands as the answer with the model's words named beside it;
- with --table-only, a figure read from a table: a one-figure question about a real 10-K filing
  (../shared/eval/financebench), answered by the balance sheet's row, marked as read from a table;
  then a metric computed from the same filing's rows (the working capital ratio), marked as computed.

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python tests/ui/shot_answers.py [OUT_DIR]
        [--paper FILE.pdf (asked about)] [--summary FILE.pdf (summarised; default PAL.pdf, 34 pages)]
        [--quoted-only | --table-only | --set-aside-only]

Not collected by pytest. Throw-away data, model and log folders; papers from ../shared/eval/aragog.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAPERS = ROOT.parent / "shared" / "eval" / "aragog" / "papers_for_questions"
FILINGS = ROOT.parent / "shared" / "eval" / "financebench" / "pdfs"
TABLE_FILING, TABLE_QUESTION = "COSTCO_2021_10K.pdf", (
    "Using only the information within the balance sheet, how much total assets did Costco have at the end of "
    "FY2021? Answer in USD millions.")
METRIC_QUESTION = "What was Costco's working capital ratio in FY2021?"
ARTICLES = ROOT.parent / "shared" / "eval" / "squad" / "docs_pdf"
SET_ASIDE = [("United_Methodist_Church.pdf", "Historically, which movement has the Methodist Church supported?"),
             ("Victoria_and_Albert_Museum.pdf", "Approximately how many works of art are included in the Far Eastern collections?"),
             ("Force.pdf", "What theory best explains gravity?")]
# near-topic questions a paper library holds only in part: a small model tends to add a figure
NEAR = [
    "How many parameters does the largest DistilBERT model have, and how long did it train?",
    "What accuracy does DistilBERT reach on SQuAD, and on how many GPUs was it trained?",
    "What batch size and learning rate were used to train DistilBERT?",
    "How much faster than BERT is DistilBERT on a smartphone?",
    "What does DistilBERT cost to train in dollars?",
]


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_screenshots import pump, throwaway, wait_for

    paper, summary = "distilbert.pdf", "PAL.pdf"  # PAL: 34 pages
    quoted_only = "--quoted-only" in argv
    table_only = "--table-only" in argv
    set_aside_only = "--set-aside-only" in argv
    for flag in ("--paper", "--summary"):
        if flag in argv:
            i = argv.index(flag)
            if flag == "--paper":
                paper = argv[i + 1]
            else:
                summary = argv[i + 1]
            argv = argv[:i] + argv[i + 2:]
    out, tmp = throwaway(argv, "docent-answer-shots-")
    docs = tmp / "Papers"
    docs.mkdir()
    if table_only:
        shutil.copy(FILINGS / TABLE_FILING, docs / TABLE_FILING)
    elif set_aside_only:
        for name, _ in SET_ASIDE:
            shutil.copy(ARTICLES / name, docs / name)
    else:
        for name in {paper, summary, "bert.pdf", "roberta.pdf"}:
            shutil.copy(PAPERS / name, docs / name)
        shutil.copy(ROOT / "resources" / "samples" / "Employee_Handbook.pdf", docs / "Employee_Handbook.pdf")

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Docent")
    from docent import paths
    from docent.app import create_window
    from docent.ui.theme import Theme, app_icon

    app.setWindowIcon(app_icon(paths.resources_dir()))
    Theme(app, paths.resources_dir(), None)
    window = create_window(log_file=tmp / "logs" / "docent.log", model_locations=lambda: [])
    window.resize(1400, 900)
    window.show()
    wait_for(app, window.library.opened)
    window.add_paths([str(docs)])
    pump(app, 1000)
    if window.library.indexing:
        wait_for(app, window.library.indexFinished, 900)
    pump(app, 500)

    def ask(question: str) -> tuple[object, float]:
        t = time.monotonic()
        window.chat_pane.input.setPlainText(question)
        window.chat_pane._submit()
        wait_for(app, window.chats.turnFinished, 1800)
        pump(app, 600)
        return window.chat_pane.turns[-1], time.monotonic() - t

    if set_aside_only:
        for _, question in SET_ASIDE:
            turn, took = ask(question)
            record = window.chats.chat.turns[-1]
            print(f"{took:6.1f} s  set_aside={record.set_aside!r}  {question}\n        → {record.answer!r}")
            if record.set_aside:
                window.grab().save(str(out / "16-quote-in-place.png"))
                break
            window.chats.new_chat()
            pump(app, 300)
        else:
            print("no answer gave way to a quote")
        window.close()
        print(f"screenshots in {out}")
        return 0
    if table_only:
        turn, took = ask(TABLE_QUESTION)
        record = window.chats.chat.turns[-1]
        print(f"{took:6.1f} s  extractive={record.extractive_kind or record.extractive}\n        → {record.answer!r}")
        window.grab().save(str(out / "14-table-figure.png"))
        window.chats.new_chat()
        pump(app, 300)
        turn, took = ask(METRIC_QUESTION)
        record = window.chats.chat.turns[-1]
        print(f"{took:6.1f} s  extractive={record.extractive_kind or record.extractive}\n        → {record.answer!r}")
        window.grab().save(str(out / "15-computed-metric.png"))
        window.close()
        print(f"screenshots in {out}")
        return 0
    turn, took = ask("How many days of paid annual leave do employees get?")
    record = window.chats.chat.turns[-1]
    print(f"{took:6.1f} s  extractive={record.extractive}  withheld={record.unsupported}\n        → {record.answer!r}")
    window.grab().save(str(out / ("13-quoted-answer.png" if record.extractive else "13-sample-answer.png")))
    if quoted_only:
        window.close()
        print(f"screenshots in {out}")
        return 0
    window.chats.new_chat()
    pump(app, 300)

    shot = None
    for question in NEAR:
        turn, took = ask(question)
        record = window.chats.chat.turns[-1]
        withheld = [u for u in record.unsupported if u not in record.answer]
        print(f"{took:6.1f} s  withheld={len(withheld)}  {question}\n        → {record.answer[:160]!r}")
        if withheld:
            shot = out / "10-withheld-unsupported.png"
            window.grab().save(str(shot))
            break
    if shot is None:
        print("no near-topic question got a withheld sentence (the answers all stood on their passages)")

    window.chats.new_chat()
    pump(app, 300)
    turn, took = ask("What was Pfizer's revenue in 2021?")
    print(f"{took:6.1f} s  named-but-absent → {window.chats.chat.turns[-1].answer!r}")
    window.grab().save(str(out / "11-not-mentioned.png"))

    window.chats.new_chat()
    pump(app, 300)
    turn, took = ask(f"Summarize {summary}")
    print(f"{took:6.1f} s  summary of {summary}:\n{window.chats.chat.turns[-1].answer}")
    window.grab().save(str(out / "12-paper-summary.png"))
    window.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

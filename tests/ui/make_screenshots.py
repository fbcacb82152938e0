"""Screenshots of the main screens, with the real models, into resources/screenshots/.

    xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python tests/ui/make_screenshots.py [--dark] [--model NAME] [OUT_DIR]

Not collected by pytest (no test_ prefix; everything runs under __main__). Uses throw-away data,
models and log folders, the sample documents, and a generated multi-page PDF.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wait_for(app, signal, timeout_s: float = 180.0, condition=None):  # noqa: ANN001, ANN201
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    got: list = []

    def fire(*args):  # noqa: ANN002, ANN202
        if condition is None or condition(*args):
            got.append(args)
            loop.quit()

    signal.connect(fire)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(fire)
    if not got:
        raise TimeoutError(f"no signal within {timeout_s} s")
    return got[0]


def pump(app, ms: int = 300) -> None:  # noqa: ANN001
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def throwaway(argv: list[str], prefix: str) -> tuple[Path, Path]:
    """→ (the screenshots' folder: the first argument that is no option, else resources/screenshots;
    a temporary folder that the data, model and log folders point into for this run)."""
    args = [a for a in argv if not a.startswith("--")]
    out = Path(args[0]) if args else ROOT / "resources" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["DOCENT_DATA_DIR"] = str(tmp / "data" / "library")
    os.environ.setdefault("DOCENT_MODELS_DIR", str(tmp / "models"))
    os.environ["DOCENT_LOG_DIR"] = str(tmp / "logs")
    return out, tmp


def main(argv: list[str]) -> int:
    dark = "--dark" in argv
    model = ""
    if "--model" in argv:  # e.g. --model smollm2-135m-instruct (default: the bundled default)
        i = argv.index("--model")
        model = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    out, tmp = throwaway(argv, "docent-shots-")
    home = tmp / "home"  # an empty home: model discovery finds only what we put there
    lm = home / ".cache" / "lm-studio" / "models" / "HuggingFaceTB" / "SmolLM2-135M-Instruct-Q4_1.gguf"
    lm.parent.mkdir(parents=True)
    from docent.core.models.packaged import SMOLLM2, packaged_path

    lm.symlink_to(packaged_path(SMOLLM2))  # "found" in LM Studio's folder

    sys.path.insert(0, str(ROOT / "tests"))
    from docgen import write_pdf

    docs = tmp / "Documents"
    manual = [
        ["Riverside Greenhouse — Operations Manual", "This manual is for the staff and volunteers of the "
         "Riverside community greenhouse. It is updated every March by the head gardener."],
        ["2. Climate", "The greenhouse is kept between 18 and 24 degrees Celsius. The roof vents open "
         "automatically above 26 degrees. In winter the heating runs from 18:00 to 08:00."],
        ["3. Watering", "Tomato plants are watered twice a day, at 07:00 and at 19:00. Seedlings are misted every "
         "two hours during opening times. Rainwater from the tanks is used first; tap water only when the tanks "
         "are below 20 percent."],
        ["4. Safety", "Pesticides are stored in the locked cabinet in the tool shed. Only the head gardener holds "
         "the key. Gloves and goggles must be worn when handling fertiliser."],
    ]
    write_pdf(docs / "Greenhouse_Manual.pdf", manual)
    samples = ROOT / "resources" / "samples"

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Docent")
    if dark:
        app.styleHints().setColorScheme(Qt.ColorScheme.Dark)
    from docent import paths
    from docent.core.models.discovery import default_locations
    from docent.ui.theme import Theme, app_icon

    app.setWindowIcon(app_icon(paths.resources_dir()))
    Theme(app, paths.resources_dir(), "dark" if dark else None)
    from docent.app import create_window

    if model:
        from docent.settings import Settings, save

        save(paths.data_dir() / "settings.json", Settings(chat_model=model))

    window = create_window(log_file=tmp / "logs" / "docent.log",
                           model_locations=lambda: default_locations(home))
    window.resize(1400, 860)
    window.show()
    suffix = "-dark" if dark else ""
    wait_for(app, window.library.opened)
    pump(app, 500)
    window.grab().save(str(out / f"01-empty-state{suffix}.png"))

    window.add_paths([str(samples), str(docs)])
    pump(app, 1500)
    window.grab().save(str(out / f"02-indexing{suffix}.png"))
    if window.library.indexing:  # on a fast machine it may be done already
        wait_for(app, window.library.indexFinished, 300)
    pump(app, 800)

    window.chat_pane.input.setPlainText("When are the tomato plants watered?")
    window.chat_pane._submit()
    wait_for(app, window.chats.turnFinished, 300)
    window.chat_pane.input.setPlainText("Who holds the key to the pesticide cabinet?")
    window.chat_pane._submit()
    wait_for(app, window.chats.turnFinished, 300)
    pump(app, 600)
    window.grab().save(str(out / f"03-answer-with-citations{suffix}.png"))

    turn = window.chat_pane.turns[0]
    cards = turn.source_cards()
    if cards:
        window.open_passage(cards[0].passage)
    pump(app, 1200)
    window.grab().save(str(out / f"04-source-viewer{suffix}.png"))

    last = window.chat_pane.turns[-1]
    if last.source_cards():
        window.open_passage(last.source_cards()[0].passage)
        pump(app, 800)
    window.library_pane.tree.expandAll()
    pump(app, 300)

    dialog = window.open_settings()
    pump(app, 800)
    dialog.grab().save(str(out / f"05-settings{suffix}.png"))
    dialog.reject()

    models = window.open_models()
    pump(app, 800)
    models._find()
    wait_for(app, window.files.discoveryFinished, 60)
    pump(app, 500)
    models.grab().save(str(out / f"06-model-manager{suffix}.png"))
    models.reject()

    # A Word document's passage, shown as text with the passage highlighted.
    from docent.core.storage.chats import Passage

    hits = window.library.lib.search("How often are the offices cleaned?", top_k=3)  # the lane is idle now
    docx = [h for h in hits if h.path.endswith(".docx")]
    if docx:
        window.open_passage(Passage.from_hit(1, docx[0]))
        wait_for(app, window.viewer.passageShown, 30)
        pump(app, 800)
        window.grab().save(str(out / f"07-text-viewer{suffix}.png"))

    # "Why this answer?" for the last answer, then the privacy self-test's report.
    why = window.chat_pane.turns[-1].show_provenance()
    if why is not None:
        pump(app, 800)
        why.grab().save(str(out / f"08-why-this-answer{suffix}.png"))
        why.close()
    selftest = window.open_privacy_selftest()
    wait_for(app, window.privacy.finished, 300)
    pump(app, 800)
    selftest.grab().save(str(out / f"09-privacy-self-test{suffix}.png"))
    selftest.close()

    window.close()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

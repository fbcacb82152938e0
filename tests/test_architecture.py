"""Layering rules, checked on the source (every import statement, including those inside functions)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "desktop" / "docent"


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, absolute (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            # `from docent import app` imports docent.app
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module", "__import__"
        ):
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def _sources() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20, "the package was not found"
    return {path.relative_to(PACKAGE).as_posix(): _imports(path) for path in files}


SOURCES = _sources()


def _importers(prefix: str) -> set[str]:
    return {
        rel for rel, mods in SOURCES.items()
        if any(m == prefix or m.startswith(prefix + ".") for m in mods)
    }


def test_the_scanner_sees_lazy_imports() -> None:
    # llm.py imports llama_cpp inside functions only: the scan must still see it
    assert "llama_cpp" in SOURCES["core/llm.py"]
    assert "chromadb" in SOURCES["core/store.py"]
    assert "PySide6.QtWidgets" in SOURCES["app.py"]


@pytest.mark.parametrize("qt", ["PySide6", "shiboken6", "PyQt5", "PyQt6"])
def test_core_never_imports_qt(qt: str) -> None:
    assert not {f for f in _importers(qt) if f.startswith("core/")}


def test_qt_only_in_the_window_layer() -> None:
    allowed = {"app.py"} | {f for f in SOURCES if f.startswith("ui/")}
    assert _importers("PySide6") | _importers("shiboken6") <= allowed


def test_chromadb_only_in_the_store() -> None:
    assert _importers("chromadb") == {"core/store.py"}


def test_llama_cpp_only_in_llm_and_embedder() -> None:
    assert _importers("llama_cpp") <= {"core/llm.py", "core/embedder.py"}
    assert "core/llm.py" in _importers("llama_cpp")


def test_nothing_imports_the_composition_root() -> None:
    # docent.app builds the window; only the entry point that launches it (cli.main with no
    # command, i.e. `docent` alone) may import it.
    assert _importers("docent.app") <= {"cli.py"}
    assert _importers("docent.ui") <= {"app.py"} | {f for f in SOURCES if f.startswith("ui/")}


def test_core_does_not_import_the_front_ends() -> None:
    for front in ("docent.cli", "docent.ui", "docent.app", "docent.__main__"):
        assert not {f for f in _importers(front) if f.startswith("core/")}, front


def test_headless_commands_do_not_load_qt(models_dir: Path) -> None:
    code = (
        "import sys, docent.cli, docent.core.library, docent.core.indexer, docent.core.qa, docent.core.search;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')))"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parent / "netguard"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


def test_core_passes_mypy_strict() -> None:
    # STYLE.md: mypy in strict mode on `core` (third-party modules without stubs: pyproject's [tool.mypy])
    pytest.importorskip("mypy")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "desktop/docent/core"],
        cwd=root, capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, f"mypy --strict desktop/docent/core failed:\n{out.stdout}\n{out.stderr}"

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
    assert "llama_cpp" in SOURCES["core/models/llm.py"]
    assert "chromadb" in SOURCES["core/storage/vectors.py"]
    assert "PySide6.QtWidgets" in SOURCES["app.py"]


@pytest.mark.parametrize("qt", ["PySide6", "shiboken6", "PyQt5", "PyQt6"])
def test_core_never_imports_qt(qt: str) -> None:
    assert not {f for f in _importers(qt) if f.startswith("core/")}


def test_qt_only_in_the_window_layer() -> None:
    allowed = {"app.py"} | {f for f in SOURCES if f.startswith("ui/")}
    assert _importers("PySide6") | _importers("shiboken6") <= allowed


def test_chromadb_only_in_the_store() -> None:
    assert _importers("chromadb") == {"core/storage/vectors.py"}


def test_llama_cpp_only_in_llm_and_embedder() -> None:
    assert _importers("llama_cpp") <= {"core/models/llm.py", "core/models/embedder.py"}
    assert "core/models/llm.py" in _importers("llama_cpp")


def test_nothing_imports_the_composition_root() -> None:
    # docent.app builds the window; only the entry point that launches it (cli.main with no
    # command, i.e. `docent` alone) may import it.
    assert _importers("docent.app") <= {"cli/__init__.py"}
    assert _importers("docent.ui") <= {"app.py"} | {f for f in SOURCES if f.startswith("ui/")}


def test_core_does_not_import_the_front_ends() -> None:
    for front in ("docent.cli", "docent.ui", "docent.app", "docent.__main__"):
        assert not {f for f in _importers(front) if f.startswith("core/")}, front


def test_headless_commands_do_not_load_qt(models_dir: Path) -> None:
    code = (
        "import sys, docent.cli, docent.core.library, docent.core.ingest.indexer, docent.core.answer.qa, docent.core.retrieval.search;"
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


# ---- rooms and cycles (docs/ARCHITECTURE.md) ------------------------------------------------------
# The package's floors, from the ground up. A module may import its own floor and those below it,
# never one above. Inside core, the rooms are floors of their own.
FLOORS = [
    ("foundation", ("__init__.py", "errors.py", "paths.py", "settings.py")),
    ("core base", ("core/__init__.py", "core/types.py", "core/cancel.py", "core/text.py")),
    ("core storage", ("core/storage/",)),
    ("core models", ("core/models/",)),
    ("core ingest", ("core/ingest/",)),
    ("core retrieval", ("core/retrieval/",)),
    ("core answer", ("core/answer/",)),
    ("core library", ("core/library/",)),
    ("core selftest", ("core/selftest/",)),
    ("ui", ("ui/",)),
    ("app", ("app.py",)),
    ("cli", ("cli/", "cli.py")),
    ("entry point", ("__main__.py",)),
]


def _floor(rel: str) -> int:
    for i, (_, prefixes) in enumerate(FLOORS):
        if any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in prefixes):
            return i
    raise AssertionError(f"{rel} is on no floor: add it to FLOORS (and to docs/ARCHITECTURE.md)")


def _module_files() -> dict[str, str]:
    """dotted module name → file (relative to the package)"""
    return {_module_name(PACKAGE / rel): rel for rel in SOURCES}


def _graph() -> dict[str, set[str]]:
    """module → the package's modules it imports (anywhere in the file: lazily, under TYPE_CHECKING)"""
    files = _module_files()
    return {
        mod: {m for m in SOURCES[rel] if m in files and m != mod}
        for mod, rel in files.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_anywhere() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles (every import counts, lazy and TYPE_CHECKING ones too):\n" + "\n".join(
        " ↔ ".join(c) for c in cycles)


def test_every_module_is_on_a_floor() -> None:
    for rel in SOURCES:
        _floor(rel)


def test_no_import_points_up() -> None:
    files = _module_files()
    upward = []
    for mod, targets in _graph().items():
        here = _floor(files[mod])
        for target in targets:
            there = _floor(files[target])
            if there > here:
                upward.append(f"{files[mod]} ({FLOORS[here][0]}) imports {files[target]} ({FLOORS[there][0]})")
    assert not upward, "imports that point up a floor:\n" + "\n".join(sorted(upward))


def test_every_room_says_what_lives_there() -> None:
    for room in sorted((PACKAGE / "core").iterdir()):
        if room.is_dir() and (room / "__init__.py").exists():
            doc = ast.get_docstring(ast.parse((room / "__init__.py").read_text(encoding="utf-8")))
            assert doc and "import" in doc, f"core/{room.name}/__init__.py: say what lives there and what it may import"

"""The installed app: packaging/docent.spec freezes Docent with PyInstaller, packaging/smoke.py runs
the result with no Python on PATH, packaging/build.py wraps it in a .deb. Also what every
platform's recipe relies on: the manifest's lists, and where a frozen Docent finds its files."""

from __future__ import annotations

import ast
import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
sys.path.insert(0, str(PACKAGING))
import manifest

pytestmark = pytest.mark.freeze  # the fast suite leaves it out: -m "not freeze"


def _qt_modules_imported() -> set[str]:
    found = set()
    for path in (ROOT / "desktop" / "docent").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            found.update(n.split(".")[1] for n in names if n.startswith("PySide6."))
    return found


def test_manifest_lists_every_qt_module_docent_imports() -> None:
    imported = _qt_modules_imported()
    assert imported, "the scan found no PySide6 import"
    assert imported <= set(manifest.QT_MODULES), f"add to packaging/manifest.py QT_MODULES: {imported - set(manifest.QT_MODULES)}"
    assert "QtSvg" in manifest.QT_MODULES  # the window icon is an SVG


def test_manifest_resources_exist_and_the_desktop_entry_matches() -> None:
    for name in manifest.RESOURCES:
        assert (ROOT / "resources" / name).is_dir(), name
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(PACKAGING / "linux" / f"{manifest.APP_ID}.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Exec"].split()[0] == f"/opt/{manifest.APP_ID}/{manifest.GUI_EXE}"
    assert (ROOT / "resources" / "icons" / f"{desktop['Icon']}.svg").is_file()
    assert desktop["Type"] == "Application" and desktop["Terminal"] == "false"


def test_windows_and_macos_recipes_go_through_the_same_build_and_names() -> None:
    """The recipes that cannot be built here freeze through build.py (so the same spec, manifest
    and smoke test) and name the executables the manifest names."""
    iss = (PACKAGING / "windows" / "docent.iss").read_text(encoding="utf-8")
    ps1 = (PACKAGING / "windows" / "build.ps1").read_text(encoding="utf-8")
    dmg = (PACKAGING / "macos" / "build_dmg.sh").read_text(encoding="utf-8")
    assert "packaging\\build.py" in ps1 and "packaging/build.py" in dmg
    assert "docent.iss" in ps1
    assert f"{{app}}\\{manifest.GUI_EXE}.exe" in iss
    assert f"{{#BuildDir}}\\dist\\{manifest.APP_ID}\\*" in iss
    spec = (PACKAGING / "docent.spec").read_text(encoding="utf-8")
    assert "import manifest" in spec or "from manifest import" in spec


def test_a_library_missing_on_the_builder_is_named_by_debian_policy() -> None:
    import build

    assert build.soname_package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert build.soname_package("libxcb-keysyms.so.1") == "libxcb-keysyms1"
    assert build.soname_package("libgtk-3.so.0") == "libgtk-3-0"
    assert build.soname_package("libEGL.so.1") == "libegl1"


def test_a_frozen_app_reads_resources_and_models_from_its_own_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from docent import paths
    from docent.core.models import packaged as models

    source_gemma = models.gemma3_path()  # assembled into the test models folder
    bundle = tmp_path / "_internal"
    (bundle / "models").mkdir(parents=True)
    os.link(source_gemma, bundle / "models" / models.GEMMA3_NAME)  # same file system (the pytest folder)
    (source_gemma.parent / models.GEMMA3_NAME).rename(source_gemma.parent / "moved-away.gguf")
    try:
        monkeypatch.setattr(sys, "frozen", True, raising=False)
        monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
        assert paths.resources_dir() == bundle / "resources"
        assert paths.bundled_models_dir() == bundle / "models"
        # the bundled copy is used; nothing is assembled into the user's models folder
        assert models.gemma3_path() == bundle / "models" / models.GEMMA3_NAME
        assert not (source_gemma.parent / models.GEMMA3_NAME).exists()
    finally:
        (source_gemma.parent / "moved-away.gguf").rename(source_gemma.parent / models.GEMMA3_NAME)
    monkeypatch.undo()
    assert paths.frozen_root() is None
    assert paths.resources_dir() == ROOT / "resources"


def test_the_window_reports_ready_and_exits_cleanly(tmp_path: Path) -> None:
    """The hook the installers' smoke test uses, on the source tree: a real window (offscreen)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([sys.executable, "-m", "docent", "--data-dir", str(tmp_path / "lib"), "--exit-when-ready"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "docent: window ready" in proc.stdout
    assert "Destroyed while thread" not in proc.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux freeze and .deb")
def test_freeze_smoke_test_and_deb(tmp_path: Path) -> None:
    """Freeze (about 40 s), then the smoke test: index the samples, answer with a citation, OCR a
    scanned page, open the window offscreen, privacy self-test, survive a move, write nothing inside
    the bundle; all with no Python on PATH. Then the .deb, where dpkg-deb exists."""
    out = tmp_path / "build"
    deb = shutil.which("dpkg-deb") is not None
    try:
        proc = subprocess.run([sys.executable, str(PACKAGING / "build.py"), "--out", str(out), *(["--deb"] if deb else [])],
                              capture_output=True, text=True, timeout=1500)
        assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-5000:]
        log = proc.stdout
        for line in ("sample documents", "citing Employee_Handbook.pdf", "read by OCR", "window shown offscreen",
                     "0 network connections", "nothing written inside the bundle", "(an upgrade) still opens",
                     "smoke test passed"):
            assert line in log, f"{line!r} missing from:\n{log}"
        bundle = out / "dist" / manifest.APP_ID
        assert (bundle / "_internal" / "models" / "gemma-3-270m-q4_k_m.gguf").is_file()
        qt_libs = {p.name.split(".")[0] for p in (bundle / "_internal" / "PySide6" / "Qt" / "lib").iterdir()}
        assert not {"libQt6Quick", "libQt6WebEngineCore", "libQt6Qml"} & qt_libs, qt_libs
        # the venv's test and build tools stay out (pydantic's mypy plug-in once pulled in mypy)
        bundled = {p.name for p in (bundle / "_internal").iterdir()}
        assert not {"mypy", "pytest", "_pytest", "hypothesis", "PyInstaller", "reportlab"} & bundled
        if deb:
            debs = list(out.glob(f"{manifest.APP_ID}_*.deb"))
            assert len(debs) == 1, debs
            contents = subprocess.run(["dpkg-deb", "--contents", str(debs[0])], capture_output=True, text=True,
                                      check=True).stdout
            for member in (f"./opt/{manifest.APP_ID}/{manifest.CLI_EXE}", f"./opt/{manifest.APP_ID}/{manifest.GUI_EXE}",
                           f"./usr/bin/{manifest.CLI_EXE}", f"./usr/share/applications/{manifest.APP_ID}.desktop",
                           f"./usr/share/icons/hicolor/scalable/apps/{manifest.APP_ID}.svg"):
                assert member in contents, member
            depends = subprocess.run(["dpkg-deb", "-f", str(debs[0]), "Depends"], capture_output=True, text=True,
                                     check=True).stdout
            assert "libc6" in depends
            # the X11 platform plug-in's libraries, whether or not this (headless) builder has them
            assert {"libxcb-icccm4", "libxcb-keysyms1"} <= {d.strip() for d in depends.split(",")}, depends
    finally:
        shutil.rmtree(out, ignore_errors=True)

"""First start on a plain desktop: Docent names ALL the system libraries Qt's xcb plugin misses, with
the apt and dnf lines (Qt names only the first); the README's quick start lists them. "New library"
writes inside the data folder (DOCENT_DATA_DIR), and the next start with the same DOCENT_DATA_DIR
opens the library it names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from docent.ui import system_libs

LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f)
\tlibweird-thing.so.3 => not found
"""
README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_missing_library_is_named_with_the_line_that_installs_it() -> None:
    missing = system_libs.missing_in(LDD)
    assert missing == ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libweird-thing.so.3"]
    message = system_libs.install_message(missing)
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in message
    assert "sudo dnf install xcb-util-cursor xcb-util-keysyms xcb-util-wm" in message
    assert "libweird-thing.so.3" in message.splitlines()[-2]  # no package known: named, with what to do
    # the README's quick start lists the same packages
    quick = README.read_text(encoding="utf-8").split("## The desktop window")[0]
    for soname in ("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"):
        debian, fedora = system_libs.PACKAGES[soname]
        assert debian in quick and fedora in quick


def test_the_window_names_what_this_computer_misses(tmp_path: Path) -> None:
    """The real plugin, the real ldd: where this computer lacks some of the plugin's libraries,
    `docent` says which (all of them) and exits, instead of Qt's abort naming one."""
    missing = system_libs.missing_libraries()
    if system_libs.xcb_plugin() is None or not missing:
        pytest.skip("every library of the xcb plugin is installed here")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":77", DOCENT_DATA_DIR=str(tmp_path / "data"), DOCENT_LOG_DIR=str(tmp_path / "logs"))
    done = subprocess.run([sys.executable, "-m", "docent"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    for soname in missing:
        assert soname in done.stderr
    assert "sudo apt-get install" in done.stderr and "sudo dnf install" in done.stderr


def test_new_library_stays_inside_the_data_folder(make_window: Any, qtbot: Any, tmp_path: Path, embedder: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import close_window

    from docent.app import create_window
    from docent.core.library import Library
    from docent.ui.widgets.encryption import NewLibraryDialog

    data = Path(os.environ["DOCENT_DATA_DIR"])
    outside_before = sorted(p.name for p in data.parent.iterdir())

    def exec_(self: NewLibraryDialog) -> int:
        self.name.setText("Field notes")
        return 1

    monkeypatch.setattr(NewLibraryDialog, "exec", exec_)
    w = make_window(data)
    with qtbot.waitSignal(w.library.opened, timeout=30_000) as opened:
        w.new_library()
    new = Path(opened.args[0].data_dir)
    assert data in new.parents, new  # inside DOCENT_DATA_DIR
    assert (data / "libraries.json").is_file()
    w.close()
    assert (data / "window.ini").is_file()
    after = sorted(p.name for p in data.parent.iterdir() if p.name not in outside_before and p != data)
    assert after == [], f"written beside the data folder: {after}"

    # the next start with the same DOCENT_DATA_DIR opens that library (not the last one switched to)
    again = create_window(library_factory=lambda d: Library(d, embedder=embedder), log_file=tmp_path / "docent.log")
    again.library.auto_sync_on_open = False
    try:
        with qtbot.waitSignal(again.library.opened, timeout=30_000) as reopened:
            again.show()
        assert Path(reopened.args[0].data_dir) == data
        assert "Field notes" in [e.name for e in again.registry.entries]  # still listed, to switch to
    finally:
        close_window(again)

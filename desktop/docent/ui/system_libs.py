"""Before the window starts on an X11 desktop: the system libraries Qt's xcb platform plugin needs
and this computer lacks, all of them at once, with the line that installs them. Qt itself names
only the first one it misses (libxcb-cursor0), then aborts; a plain Debian desktop also lacks
libxcb-icccm4 and libxcb-keysyms1. Nothing here imports Qt: `ldd` reads the plugin's dependencies."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

# soname → (Debian/Ubuntu package, Fedora/RHEL package)
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
}
for _ext in ("shape", "randr", "xfixes", "sync", "shm", "render", "xinput", "xkb", "glx", "xinerama"):
    _so = f"libxcb-{_ext}.so.{1 if _ext in ('sync', 'xkb') else 0}"
    PACKAGES[_so] = (f"libxcb-{_ext}{1 if _ext in ('sync', 'xkb') else 0}", "libxcb")

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def xcb_plugin() -> Path | None:
    """PySide6's xcb platform plugin, or None (not installed, not Linux, a frozen build without it)."""
    spec = find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        plugin = Path(root) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.is_file():
            return plugin
    return None


def missing_in(ldd_output: str) -> list[str]:
    """The libraries `ldd` did not find, each once, in its order."""
    out: list[str] = []
    for name in _NOT_FOUND.findall(ldd_output):
        if name not in out:
            out.append(name)
    return out


def missing_libraries(plugin: Path | None = None) -> list[str]:
    """The system libraries the xcb plugin (and the Qt libraries it loads) cannot find; [] when all
    are there, or when this cannot be told (no plugin, no ldd)."""
    plugin = plugin or xcb_plugin()
    if plugin is None:
        return []
    lib = plugin.parents[2] / "lib"  # PySide6's own Qt libraries, as the plugin's RUNPATH finds them
    env = dict(os.environ, LD_LIBRARY_PATH=os.pathsep.join(p for p in (str(lib), os.environ.get("LD_LIBRARY_PATH", "")) if p))
    try:
        done = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=10, env=env)
    except (OSError, subprocess.SubprocessError):
        return []
    return missing_in(done.stdout)


def install_message(missing: list[str]) -> str:
    """What to tell the user: every missing library, and the apt and dnf lines that install them."""
    debian = [PACKAGES[m][0] for m in missing if m in PACKAGES]
    fedora = sorted({PACKAGES[m][1] for m in missing if m in PACKAGES})
    unknown = [m for m in missing if m not in PACKAGES]
    lines = [f"docent: the window cannot start: {len(missing)} system librar{'y is' if len(missing) == 1 else 'ies are'} "
             f"missing for Qt's X11 (xcb) platform plugin: {', '.join(missing)}."]
    if debian:
        lines += ["Install them with:",
                  f"  sudo apt-get install {' '.join(debian)}        (Debian, Ubuntu)",
                  f"  sudo dnf install {' '.join(fedora)}        (Fedora, RHEL)"]
    if unknown:
        lines.append(f"Also install the package that provides {', '.join(unknown)} (your distribution's package search finds it).")
    lines.append("Then start Docent again. The command line works without them: docent --help")
    return "\n".join(lines)


def xcb_would_be_used() -> bool:
    """Whether Qt will pick the xcb plugin: Linux (or a BSD), an X display, and no other platform
    asked for (a Wayland session uses the Wayland plugin first)."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return False
    wanted = os.environ.get("QT_QPA_PLATFORM", "")
    if wanted:
        return wanted.split(":")[0].split(";")[0] == "xcb"
    return bool(os.environ.get("DISPLAY")) and not os.environ.get("WAYLAND_DISPLAY")

"""Build an installable Docent on Linux: freeze it, smoke-test the result, package it as a .deb.

    python3 packaging/build.py                         # freeze into build/dist/docent, then smoke-test it
    .venv/bin/python packaging/build.py --deb          # ... and build build/docent_<version>_<arch>.deb
    .venv/bin/python packaging/build.py --no-freeze --deb   # package an existing freeze
    .venv/bin/python packaging/build.py --cold         # time the first starts with the page cache dropped (root)

Any Python 3.11+ can start it: it sets up the project's venv first when needed (the README's setup
command, packaging/bootstrap.py) and runs itself again from there, so nothing is installed into the
Python that started it. PyInstaller comes with the venv's test extra (or the `freeze` extra).
Windows and macOS build from the same spec: packaging/README.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import manifest

BUILD = ROOT / "build"


def say(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def freeze(build: Path) -> Path:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        say("installing PyInstaller (the 'freeze' extra)")
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[freeze]"])
    started = time.monotonic()
    subprocess.check_call([sys.executable, "-m", "PyInstaller", str(HERE / "docent.spec"), "--noconfirm",
                           "--log-level", "WARN", "--distpath", str(build / "dist"),
                           "--workpath", str(build / "pyinstaller")])
    bundle = build / "dist" / manifest.APP_ID
    say(f"froze {bundle} in {time.monotonic() - started:.0f} s")
    return bundle


def _deb_arch() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()


# Qt plug-ins that Qt loads only when it finds them usable: a library they need that is missing on
# the user's machine costs nothing (the GTK platform theme), so it is no reason to depend on GTK.
OPTIONAL_PLUGIN_DIRS = ("platformthemes",)


def soname_package(soname: str) -> str:
    """The Debian package that ships a shared library, by the naming rule of Debian policy 8.1:
    libxcb-icccm.so.4 -> libxcb-icccm4, libgtk-3.so.0 -> libgtk-3-0."""
    stem, _, version = soname.partition(".so.")
    major = version.split(".")[0]
    return f"{stem.lower()}{'-' if stem[-1:].isdigit() else ''}{major}"


def _system_packages(bundle: Path) -> list[str]:
    """The Debian packages providing the shared libraries the bundle takes from the system (what
    PyInstaller leaves out on purpose: libc, libGL, X11/Wayland client libraries...). A library
    that this build machine lacks (a headless builder has no libxcb-icccm, which the X11 platform
    plug-in needs) is named by Debian's naming rule, so the user's machine still gets it."""
    needed: set[str] = set()
    missing: set[str] = set()
    for path in bundle.rglob("*"):
        if not path.is_file() or path.is_symlink() or not (path.suffix == ".so" or ".so." in path.name
                                                           or os.access(path, os.X_OK)):
            continue
        with path.open("rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True).stdout
        optional = any(part in OPTIONAL_PLUGIN_DIRS for part in path.parts)
        for line in out.splitlines():
            if "=> not found" in line:
                if not optional:
                    missing.add(line.split("=>")[0].strip())
            elif "=>" in line:
                target = line.split("=>")[1].split("(")[0].strip()
                if target and not target.startswith(str(bundle)):
                    needed.add(os.path.realpath(target))
    packages: set[str] = set()
    for lib in sorted(needed):
        owner = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
        if owner.returncode != 0:  # usr-merge: the library is known under /lib, found under /usr/lib
            owner = subprocess.run(["dpkg", "-S", lib.removeprefix("/usr")], capture_output=True, text=True)
        if owner.returncode == 0:
            packages.add(owner.stdout.split(":")[0].strip())
    for soname in sorted(missing):
        if not (bundle / "_internal" / soname).exists():  # PyInstaller resolves bundled ones by rpath
            say(f"{soname} is not on this machine: depending on {soname_package(soname)} by its name")
            packages.add(soname_package(soname))
    return sorted(packages)


def build_deb(bundle: Path, build: Path) -> Path:
    version = metadata.version("docent")
    arch = _deb_arch()
    stage = build / "deb"
    shutil.rmtree(stage, ignore_errors=True)
    opt = stage / "opt" / manifest.APP_ID
    say(f"staging {bundle} as /opt/{manifest.APP_ID}")
    shutil.copytree(bundle, opt, symlinks=True)
    (stage / "usr" / "bin").mkdir(parents=True)
    (stage / "usr" / "bin" / manifest.CLI_EXE).symlink_to(f"/opt/{manifest.APP_ID}/{manifest.CLI_EXE}")
    apps = stage / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy2(HERE / "linux" / f"{manifest.APP_ID}.desktop", apps)
    icons = stage / "usr" / "share" / "icons" / "hicolor"
    (icons / "scalable" / "apps").mkdir(parents=True)
    shutil.copy2(ROOT / "resources" / "icons" / f"{manifest.APP_ID}.svg", icons / "scalable" / "apps")
    from icons import render_png  # a bitmap too, for menus that do not draw SVG

    render_png(ROOT / "resources" / "icons" / f"{manifest.APP_ID}.svg", 256,
               icons / "256x256" / "apps" / f"{manifest.APP_ID}.png")
    depends = _system_packages(bundle)
    installed_kb = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
    control = (HERE / "linux" / "control.in").read_text(encoding="utf-8").format(
        version=version, arch=arch, depends=", ".join(depends), installed_kb=installed_kb)
    (stage / "DEBIAN").mkdir()
    (stage / "DEBIAN" / "control").write_text(control, encoding="utf-8")
    out = build / f"{manifest.APP_ID}_{version}_{arch}.deb"
    started = time.monotonic()
    subprocess.check_call(["dpkg-deb", "--root-owner-group", "-Zzstd", "--build", str(stage), str(out)])
    say(f"{out.name}: {out.stat().st_size / 1e6:.0f} MB in {time.monotonic() - started:.0f} s; "
        f"installed {installed_kb / 1e3:.0f} MB; depends on {', '.join(depends) or 'nothing'}")
    return out


def _in_project_venv() -> bool:
    import bootstrap

    return Path(sys.prefix).resolve() == bootstrap.VENV.resolve()


def _rerun_in_venv(argv: list[str]) -> int:
    import bootstrap

    py = bootstrap.setup()  # idempotent: installs nothing when the venv is up to date
    say(f"running again with {py}")
    return subprocess.call([str(py), str(Path(__file__).resolve()), *argv])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not _in_project_venv():
        return _rerun_in_venv(argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=BUILD, help="build folder (default: build/)")
    ap.add_argument("--no-freeze", action="store_true", help="use the existing freeze in OUT/dist/docent")
    ap.add_argument("--no-smoke", action="store_true", help="skip the smoke test of the frozen app")
    ap.add_argument("--cold", action="store_true",
                    help="smoke test: drop the page cache before the first starts (root on Linux)")
    ap.add_argument("--deb", action="store_true", help="also build a .deb (Debian, Ubuntu)")
    args = ap.parse_args(argv)
    build = args.out.resolve()
    bundle = build / "dist" / manifest.APP_ID if args.no_freeze else freeze(build)
    if not any((bundle / (manifest.CLI_EXE + suffix)).is_file() for suffix in ("", ".exe")):
        say(f"no frozen app in {bundle}: run without --no-freeze")
        return 2
    if not args.no_smoke:
        rc = subprocess.call([sys.executable, str(HERE / "smoke.py"), str(bundle), *(["--cold"] if args.cold else [])])
        if rc != 0:
            say("the smoke test failed: not packaging")
            return rc
    if args.deb:
        build_deb(bundle, build)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

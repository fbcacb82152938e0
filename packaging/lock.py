#!/usr/bin/env python3
"""Refresh packaging/requirements.lock, the exact versions (with sha256 hashes) that
`packaging/bootstrap.py` installs. Standard library only; needs PyPI (it runs pip-tools'
pip-compile in a throwaway virtual environment, never in .venv).

    python3 packaging/lock.py                       keep the locked versions; resolve only what
                                                    pyproject.toml's dependencies changed
    python3 packaging/lock.py --upgrade             the newest versions pyproject.toml's bounds allow
    python3 packaging/lock.py --upgrade-package X   the newest X (repeatable), the rest kept
    python3 packaging/lock.py --from-venv .venv     the versions installed in that venv (the ones the
                                                    suite was run with)

The lock covers pyproject.toml's dependencies and its `test` extra (bootstrap.py installs both),
resolved for the platform it runs on (the lock's header names it; bootstrap.py uses the lock only
there). Not in it: Docent itself, and the packages bootstrap.py installs with --no-deps (NO_DEPS,
TEST_NO_DEPS), pinned exactly there. After a refresh: `python3 packaging/bootstrap.py test`, then
commit the lock with the change that needed it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bootstrap  # noqa: E402  (same folder: the lock's header is checked there)

ROOT = HERE.parent
LOCK = bootstrap.LOCK
# The tools that make the lock, pinned so the lock's format does not drift between refreshes.
TOOLS = ["pip==26.3", "pip-tools==7.6.2"]


def say(msg: str) -> None:
    print(f"[docent lock] {msg}", flush=True)


def run(cmd: list[str], **kw: object) -> None:
    say(" ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)  # type: ignore[call-overload]


def installed_versions(venv: Path) -> str:
    """`pip freeze` of a venv (setuptools included, Docent itself left out): the seed of the lock."""
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not py.exists():
        sys.exit(f"no virtual environment at {venv}")
    out = subprocess.run([str(py), "-m", "pip", "freeze", "--all", "--exclude-editable"], check=True,
                         capture_output=True, text=True).stdout
    return "".join(line + "\n" for line in out.splitlines() if line and not line.startswith(("-e ", "#")))


def compile_lock(work: Path, seed: str | None, upgrade: bool, packages: list[str]) -> str:
    tools = work / "tools"
    run([sys.executable, "-m", "venv", tools])
    tpy = tools / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    run([tpy, "-m", "pip", "install", "--quiet", *TOOLS])
    # pip-compile reads the project's metadata: a copy of pyproject.toml (and the README it names),
    # so nothing is built in the checkout.
    project = work / "project"
    (project / "desktop" / "docent").mkdir(parents=True)
    (project / "desktop" / "docent" / "__init__.py").write_text("")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    out = project / "requirements.lock"
    if seed is not None:
        out.write_text(seed)  # pip-compile keeps the versions already in its output file
    cmd = [tpy, "-m", "piptools", "compile", "--quiet", "--extra", "test", "--generate-hashes", "--allow-unsafe",
           "--strip-extras", "--no-emit-index-url", "--no-emit-find-links", "--no-emit-trusted-host",
           "--output-file", "requirements.lock"]
    if upgrade:
        cmd.append("--upgrade")
    for p in packages:
        cmd += ["--upgrade-package", p]
    env = dict(os.environ, CUSTOM_COMPILE_COMMAND="python3 packaging/lock.py")  # the header's "made by"
    run([*cmd, "pyproject.toml"], cwd=project, env=env)
    return out.read_text()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upgrade", action="store_true", help="the newest versions pyproject.toml allows")
    ap.add_argument("--upgrade-package", action="append", default=[], metavar="NAME",
                    help="the newest version of this package (repeatable)")
    ap.add_argument("--from-venv", type=Path, metavar="DIR", help="lock the versions installed in this venv")
    args = ap.parse_args(argv)
    if args.from_venv is not None and (args.upgrade or args.upgrade_package):
        ap.error("--from-venv locks what is installed; it does not go with --upgrade")
    if args.from_venv is not None:
        seed: str | None = installed_versions(args.from_venv)
    elif LOCK.exists() and not args.upgrade:
        seed = "".join(line + "\n" for line in LOCK.read_text().splitlines() if not line.startswith("# docent-lock"))
    else:
        seed = None
    with tempfile.TemporaryDirectory(prefix="docent-lock-") as tmp:
        try:
            body = compile_lock(Path(tmp), seed, args.upgrade, args.upgrade_package)
        except subprocess.CalledProcessError as exc:
            sys.exit(f"[docent lock] failed (exit status {exc.returncode}); {LOCK.name} was not changed")
    header = "".join(f"{bootstrap.LOCK_MARK}{key}: {value}\n" for key, value in bootstrap.lock_header().items())
    header += ("# The exact versions (and sha256 of every file) that packaging/bootstrap.py installs with\n"
               "# pip --require-hashes: pyproject.toml's dependencies and its test extra, resolved for the\n"
               "# platform above. Not here: Docent itself, and bootstrap.py's NO_DEPS and TEST_NO_DEPS packages\n"
               "# (installed with --no-deps, their own metadata asks for what Docent does not need; pinned\n"
               "# exactly there, without hashes). Refresh: python3 packaging/lock.py --help\n")
    LOCK.write_text(header + body)
    pins = sum(1 for line in body.splitlines() if line and not line.startswith((" ", "#")))
    say(f"wrote {LOCK.relative_to(ROOT)}: {pins} packages, for {bootstrap.lock_header()['platform']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

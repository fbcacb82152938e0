"""How many threads the models compute with: counted from PHYSICAL cores this process may use, not
`os.cpu_count()` (logical CPUs: twice the cores with hyper-threading, and every CPU of the machine
even when the process is confined to a few).

llama.cpp's decode threads meet at a barrier after every layer: one thread that loses its core to
another program (or to the indexer's embedder) stalls all the others. On the 2 cores this was
measured on, an answer written with n_threads = 2 fell from ~29 to ~2 tokens/s while indexing ran;
with one core left free for the rest it keeps most of its speed. So generation uses the physical
cores less one (at least 1, at most 8) and the embedder, which batches and does not spin, uses
the physical cores (at most 8)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

MAX_THREADS = 8  # beyond this a small model's decode gets no faster on a desktop CPU


def _usable_cpus() -> set[int] | None:
    getter = getattr(os, "sched_getaffinity", None)
    if getter is None:
        return None
    try:
        return set(getter(0))
    except OSError:
        return None


def _linux_cores(cpuinfo: str, usable: set[int] | None) -> int:
    """Distinct (physical id, core id) pairs among the usable processors of a /proc/cpuinfo text;
    0 when it names none."""
    cores: set[tuple[str, str]] = set()
    for block in cpuinfo.split("\n\n"):
        fields = dict(re.findall(r"^([a-z ]+?)\s*:\s*(.*)$", block, re.M))
        if "processor" not in fields or "core id" not in fields:
            continue
        if usable is not None and fields["processor"].isdigit() and int(fields["processor"]) not in usable:
            continue
        cores.add((fields.get("physical id", "0"), fields["core id"]))
    return len(cores)


def physical_cores() -> int:
    """The physical cores this process may run on (Linux: /proc/cpuinfo within the affinity mask;
    macOS: hw.physicalcpu; elsewhere, logical CPUs halved when there are more than 2); at least 1."""
    usable = _usable_cpus()
    logical = len(usable) if usable else (os.cpu_count() or 1)
    if sys.platform.startswith("linux"):
        try:
            n = _linux_cores(Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace"), usable)
        except OSError:
            n = 0
        if n:
            return max(1, min(n, logical))
    elif sys.platform == "darwin":
        try:
            out = subprocess.run(["sysctl", "-n", "hw.physicalcpu"], capture_output=True, text=True, timeout=2)
            return max(1, min(int(out.stdout.strip()), logical))
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    return max(1, logical // 2 if logical > 2 else logical)


def generation_threads(cores: int | None = None) -> int:
    """llama.cpp's threads for an answer: the physical cores less one, so that the window, the
    indexer or another program does not stall every decode step; 1 to `MAX_THREADS`."""
    n = physical_cores() if cores is None else cores
    return max(1, min(n - 1, MAX_THREADS))


def embedding_threads(cores: int | None = None) -> int:
    """ONNX Runtime's (and the llama.cpp embedder's) intra-op threads: the physical cores, 1 to `MAX_THREADS`."""
    n = physical_cores() if cores is None else cores
    return max(1, min(n, MAX_THREADS))

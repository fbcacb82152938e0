"""The privacy self-test (`docent doctor --privacy`, and Tools › Privacy self-test in the window).

It indexes the sample documents into a fresh, temporary library with the default packaged models,
asks a question about them and saves the chat, while every network call is intercepted, in this
process and in the child processes started meanwhile (the document reader), by the network guard
(docent.core.selftest.netguard, which also says what it cannot see). Every attempt, from any of these
processes, is appended to one log and counted: a private Docent attempts none. Then it lists every
file and folder Docent wrote (the whole temporary library, and what changed in the models and log
folders) with its permissions.

When the library is set to use office servers (a shared Chroma server, a shared model server),
the self-test uses them too: connections to exactly those hosts and ports are let through and
counted apart, and any other connection still fails the test. The temporary collection it makes
on the Chroma server is deleted at the end.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from docent import paths
from docent.core.cancel import NEVER, CancelToken

# Re-exported: the network guard lived here before it moved to docent.core.selftest.netguard.
from docent.core.selftest.netguard import (  # noqa: F401
    ENV_NETALLOW,
    ENV_NETLOG,
    INTERCEPTED,
    NetworkBlocked,
    SocketGuard,
    install,
    server_addresses,
)
from docent.errors import DocentError
from docent.settings import Settings

SAMPLE_QUESTION = "How many days of paid annual leave does a full-time employee receive?"
# Small and quick: the test is about what Docent touches, not about the answer's length.
SELFTEST_SETTINGS = Settings(max_answer_tokens=48, n_ctx=2048, profile="office")


# ---- files written ------------------------------------------------------------------------------
def _walk(root: Path, skip: frozenset[str] = frozenset()) -> dict[str, os.stat_result]:
    """Every entry under `root` (itself included) with its lstat, not descending into `skip`."""
    out: dict[str, os.stat_result] = {}
    if not root.exists():
        return out
    try:
        out[str(root)] = os.lstat(root)
    except OSError:
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) not in skip]
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            try:
                out[full] = os.lstat(full)
            except OSError:
                continue
    return out


def _entry(path: str, st: os.stat_result, where: str, change: str) -> dict[str, Any]:
    mode = stat.S_IMODE(st.st_mode)
    kind = "dir" if stat.S_ISDIR(st.st_mode) else "link" if stat.S_ISLNK(st.st_mode) else "file"
    return {
        "path": path, "where": where, "kind": kind, "mode": f"{mode:04o}", "size": st.st_size if kind == "file" else 0,
        "private": not mode & 0o077, "others_can_read": bool(mode & 0o004), "exposed": _exposed(Path(path), mode),
        "change": change,
    }


def _exposed(path: Path, mode: int) -> bool:
    """Readable by other users: its own mode lets them read it, and every folder above it lets
    them through (a 0644 file in a 0700 folder is not exposed)."""
    if not mode & 0o004:
        return False
    for folder in path.parents:
        try:
            if not os.stat(folder).st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def user_roots(own: Sequence[Path]) -> dict[str, Path]:
    """The per-user folders where libraries leave files behind (caches, settings, data: on Linux
    ~/.cache, ~/.config, ~/.local/share, ~/.local/state), watched during the self-test apart from Docent's own
    folders (`own`). Whatever appears there was written by Docent's libraries, or by another
    program running at the same time."""
    import platformdirs

    roots: dict[str, Path] = {}
    for where, base in (("user cache", platformdirs.user_cache_path()), ("user config", platformdirs.user_config_path()),
                        ("user data", platformdirs.user_data_path()), ("user state", platformdirs.user_state_path())):
        if base not in roots.values() and not any(base == o or o in base.parents for o in own):
            roots[where] = base
    return roots


def snapshot(roots: dict[str, Path], skip: Sequence[Path] = ()) -> dict[str, dict[str, os.stat_result]]:
    skipped = frozenset(str(p) for p in skip)
    return {where: _walk(root, skipped) for where, root in roots.items()}


def files_written(library: Path, before: dict[str, dict[str, os.stat_result]], roots: dict[str, Path],
                  skip: Sequence[Path] = ()) -> list[dict[str, Any]]:
    """Every entry of the (new) library folder, and the entries created or changed in the other
    folders since `before` was taken (not descending into `skip`: folders listed under their own
    name)."""
    out = [_entry(p, st, "library", "created") for p, st in sorted(_walk(library).items())]
    skipped = frozenset(str(p) for p in skip)
    for where, root in roots.items():
        old = before.get(where, {})
        for p, st in sorted(_walk(root, skipped).items()):
            prev = old.get(p)
            if prev is None:
                out.append(_entry(p, st, where, "created"))
            elif (prev.st_mtime_ns, prev.st_size, prev.st_mode) != (st.st_mtime_ns, st.st_size, st.st_mode) \
                    and not stat.S_ISDIR(st.st_mode):
                out.append(_entry(p, st, where, "modified"))
    return out


# ---- the self-test ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SelfTestStep:
    """Progress: `step` is "start", "index", "ask" or "files"; `fraction` from 0 to 1."""

    step: str
    message: str
    fraction: float


@dataclass(frozen=True)
class SelfTestReport:
    ok: bool
    connections_attempted: int
    connections: list[dict[str, Any]]
    files_written: list[dict[str, Any]]
    folders: dict[str, str]
    indexed: int = 0
    pages: int = 0
    chunks: int = 0
    question: str = ""
    answered: bool = False
    model_used: bool = False
    model_path: str | None = None
    model_sha256: str | None = None
    child_processes_guarded: bool = True
    seconds: float = 0.0
    error: str = ""
    cancelled: bool = False
    kept: str | None = None
    intercepted: list[str] = field(default_factory=lambda: list(INTERCEPTED))
    servers: list[str] = field(default_factory=list)  # "host:port" of the configured office servers
    server_connections: int = 0  # connections made to those (allowed), not counted as attempts

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        out = asdict(self)
        out["files_exposed"] = len(self.exposed)
        out["files_elsewhere"] = len(self.elsewhere)
        return out

    @property
    def elsewhere(self) -> list[dict[str, Any]]:
        """Entries written outside Docent's own folders (the library, models, logs)."""
        return [f for f in self.files_written if f.get("where", "").startswith("user ")]

    @property
    def exposed(self) -> list[dict[str, Any]]:
        """The entries other users of this computer could read."""
        return [f for f in self.files_written if f.get("exposed")]

    def summary(self) -> str:
        if self.cancelled:
            return "The privacy self-test was cancelled."
        n = self.connections_attempted
        if self.servers:
            lines = [f"{self.server_connections} connection(s) to the configured office servers "
                     f"({', '.join(self.servers)}) and {n} to anywhere else"
                     + (" — as it must be." if not n else ": Docent tried to reach the network!")]
        else:
            lines = [f"{n} network connection{'s' if n != 1 else ''} attempted" + (" — as it must be." if not n else
                     ": Docent tried to reach the network!")]
        if self.error:
            lines.append(f"The self-test could not finish: {self.error}")
        lines.append(f"{len(self.files_written)} files and folders written (indexed {self.indexed} documents, "
                     f"{self.pages} pages; the question was {'answered' if self.answered else 'not answered'}); "
                     f"{len(self.exposed) or 'none'} readable by other users of this computer.")
        if self.elsewhere:
            shown = ", ".join(f["path"] for f in self.elsewhere[:3]) + (" …" if len(self.elsewhere) > 3 else "")
            lines.append(f"{len(self.elsewhere)} written outside Docent's folders during the test, by Docent or "
                         f"another program running at the same time: {shown}")
        else:
            lines.append("Nothing written outside Docent's folders.")
        return "\n".join(lines)


SelfTestEvent = SelfTestStep | SelfTestReport


def run_selftest(
    samples: Path | None = None,
    settings: Settings | None = None,
    embedder: Any = None,
    question: str = SAMPLE_QUESTION,
    extra: Callable[[], None] | None = None,
    keep: bool = False,
    cancel: CancelToken = NEVER,
) -> Iterator[SelfTestEvent]:
    """Index `samples` (default: the bundled sample documents) into a temporary library, ask
    `question`, save the chat, all under the socket guard; then yield the SelfTestReport.
    `settings`: the library's settings (default SELFTEST_SETTINGS: the packaged default models; the
    audit log is on, so that its files are listed too). `extra` runs under the guard after the
    question (tests use it to attempt a connection on purpose). `keep`: leave the temporary folder."""
    from docent.core.storage.chats import ChatStore, Passage, Turn
    from docent.core.library.facade import SETTINGS_FILE, Library
    from docent.core.types import AnswerDone, FileStarted, Sources, SyncDone
    from docent.settings import save

    started = time.monotonic()
    samples = Path(samples) if samples is not None else paths.resources_dir() / "samples"
    base = Path(tempfile.mkdtemp(prefix="docent-privacy-"))
    library = base / "library"
    others = {"models": paths.models_dir(), "logs": paths.log_dir()}
    own = [*others.values(), paths.data_dir(), *paths.app_dirs()]
    others.update(user_roots(own))  # what Docent's libraries might leave elsewhere (an ONNX Runtime cache...)
    before = snapshot(others, skip=own)
    lib_settings = replace(settings or SELFTEST_SETTINGS, profile="office", audit_log=True)
    servers = server_addresses(lib_settings.chroma_server, lib_settings.llm_server)
    guard = SocketGuard(base / "guard", servers)
    info: dict[str, Any] = {}
    library_id: str | None = None
    error = ""
    yield SelfTestStep("start", "Intercepting every network call", 0.02)
    with guard:
        try:
            save(library / SETTINGS_FILE, lib_settings)
            with Library(library, lib_settings, embedder=embedder) as lib:
                yield SelfTestStep("index", "Loading the embedding model", 0.05)
                for ev in lib.index([samples], cancel):
                    if isinstance(ev, FileStarted):
                        yield SelfTestStep("index", f"Indexing {Path(ev.path).name}", 0.05 + 0.5 * (ev.index - 1) / max(1, ev.total))
                    elif isinstance(ev, SyncDone):
                        info.update(indexed=ev.indexed, pages=ev.pages, chunks=ev.chunks)
                if not cancel.cancelled:
                    yield SelfTestStep("ask", "Asking a question with the chat model", 0.6)
                    turn = Turn(question=question)
                    for answer_ev in lib.ask(question, cancel=cancel):
                        if isinstance(answer_ev, Sources):
                            turn.sources = [Passage.from_hit(i, h) for i, h in enumerate(answer_ev.hits, start=1)]
                        elif isinstance(answer_ev, AnswerDone):
                            turn.answer, turn.answered, turn.cancelled = (
                                answer_ev.answer, answer_ev.answered, answer_ev.cancelled)
                            turn.citations = [Passage.from_citation(c) for c in answer_ev.citations]
                            prov = answer_ev.provenance
                            if prov is not None:
                                turn.provenance = prov.to_json()
                                info.update(model_used=prov.model_used, model_path=prov.model_path,
                                            model_sha256=prov.model_sha256)
                            info["answered"] = answer_ev.answered
                    store = ChatStore(library / "chats")
                    chat = store.new()
                    chat.turns.append(turn)
                    store.save(chat)
                if extra is not None:
                    try:
                        extra()
                    except OSError:  # refused by the guard: the attempt is what counts
                        pass
                library_id = lib.catalog.get_meta("library_id")
            if lib_settings.chroma_server and library_id:  # leave nothing on the shared server
                from docent.core.storage.vectors import discard_remote, remote_collection_name

                discard_remote(lib_settings.chroma_server, remote_collection_name(library_id))
        except Exception as exc:  # reported, never raised: the report is the result
            error = str(exc) if isinstance(exc, DocentError) else f"{type(exc).__name__}: {exc}"
    yield SelfTestStep("files", "Listing the files Docent wrote", 0.95)
    written = files_written(library, before, others, skip=own)
    attempts = guard.attempts()
    server_connections = len(guard.allowed())
    if keep:
        kept: str | None = str(base)
    else:
        kept = None
        shutil.rmtree(base, ignore_errors=True)
    cancelled = cancel.cancelled
    yield SelfTestReport(
        ok=not attempts and not error and not cancelled,
        connections_attempted=len(attempts), connections=attempts, files_written=written,
        folders={"library": str(library), **{k: str(v) for k, v in others.items()}},
        question=question, child_processes_guarded=not sys.flags.ignore_environment,
        seconds=round(time.monotonic() - started, 2), error=error, cancelled=cancelled, kept=kept,
        servers=servers, server_connections=server_connections, **info,
    )

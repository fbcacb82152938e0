"""`docent settings`: show or change a library's settings from the command line, the same ones the
window's Tools → Settings edits (docent.cli parses the arguments and dispatches).

    docent settings                                   every setting, its value and its default
    docent settings set llm_server http://10.0.0.5:8080 chroma_server http://10.0.0.5:8000
    docent settings reset llm_server chroma_server    back to the defaults (everything local)
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, fields, replace
from typing import Any

from docent import paths
from docent.cli.common import emit
from docent.errors import DocentError

_FIXED = {"schema_version"}
_TRI_STATE = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False,
              "auto": None, "default": None}


def check_key(key: str) -> None:
    from docent.settings import Settings

    known = {f.name for f in fields(Settings)} - _FIXED
    if key not in known:
        raise DocentError(f"there is no setting '{key}'; the settings are: {', '.join(sorted(known))}")


def parse_value(key: str, text: str) -> Any:
    """A setting's value from its command-line text, typed like the setting's default."""
    from docent.settings import Settings

    check_key(key)
    default = getattr(Settings(), key)
    if key == "audit_log":
        if text.lower() not in _TRI_STATE:
            raise DocentError(f"{key} must be on, off or auto (as the profile says), not {text!r}")
        return _TRI_STATE[text.lower()]
    try:
        if isinstance(default, bool):
            if text.lower() not in _TRI_STATE or _TRI_STATE[text.lower()] is None:
                raise ValueError
            return _TRI_STATE[text.lower()]
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        kind = {bool: "on or off", int: "a whole number", float: "a number"}[type(default)]
        raise DocentError(f"{key} must be {kind}, not {text!r}") from None
    return text.strip()


def _hints(before: Any, after: Any) -> list[str]:
    hints = []
    if before.chroma_server != after.chroma_server:
        where = f"the Chroma server at {after.chroma_server}" if after.chroma_server else "this computer"
        hints.append(f"The library's vectors move to {where} the next time they are used (docent index, search "
                     "or ask, or the window); nothing is embedded again.")
    if before.embedder != after.embedder:
        hints.append("A different embedder needs new vectors: run docent index --rebuild PATH...")
    if (before.chunk_tokens, before.chunk_overlap) != (after.chunk_tokens, after.chunk_overlap):
        hints.append("The passage size applies to files indexed from now on; docent index --force PATH... "
                     "re-reads the others.")
    return hints


def cmd_settings(args: argparse.Namespace) -> int:
    from docent.core.library.facade import SETTINGS_FILE
    from docent.core.storage.lock import DirLock
    from docent.settings import Settings, load, save

    data_dir = paths.data_dir(args.data_dir)
    file = data_dir / SETTINGS_FILE
    settings = load(file)
    command = getattr(args, "settings_command", None)
    hints: list[str] = []
    if command in ("set", "reset"):
        if command == "set":
            if len(args.pairs) % 2:
                raise DocentError("settings set takes KEY VALUE pairs, e.g. docent settings set n_gpu_layers -1")
            changes = {k: parse_value(k, v) for k, v in zip(args.pairs[::2], args.pairs[1::2])}
        else:
            for key in args.keys:
                check_key(key)
            changes = {key: getattr(Settings(), key) for key in args.keys}
        updated = replace(settings, **changes)
        problems = updated.validate()
        if problems:
            raise DocentError("; ".join(problems))
        paths.ensure_private_dir(data_dir)
        lock = DirLock(data_dir / "docent.lock")  # not while a window or a command has this library open
        lock.acquire()
        try:
            save(file, updated)
        finally:
            lock.release()
        hints = _hints(settings, updated)
        settings = updated
    values = {k: v for k, v in asdict(settings).items() if k not in _FIXED}
    if args.json:
        emit({"file": str(file), "settings": values, "notes": hints})
        return 0
    defaults = asdict(Settings())
    print(f"Settings of the library in {data_dir}:")
    width = max(len(k) for k in values)
    for key, value in values.items():
        shown = {None: "auto", True: "on", False: "off"}.get(value, value) if not isinstance(value, (int, float)) \
            or isinstance(value, bool) else value
        shown = '""' if shown == "" else shown
        print(f"  {key:<{width}}  {shown}{'' if value == defaults[key] else '   (changed)'}")
    for hint in hints:
        print(hint)
    return 0

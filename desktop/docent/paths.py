"""Every directory Docent uses, each overridable by an environment variable.

Nothing is created at import time; callers ask for a path and create it when they write.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "docent"

ENV_DATA_DIR = "DOCENT_DATA_DIR"
ENV_MODELS_DIR = "DOCENT_MODELS_DIR"
ENV_LOG_DIR = "DOCENT_LOG_DIR"


def _platform_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def app_dirs() -> list[Path]:
    """Docent's own per-user folders (data, cache, config, state), wherever the platform puts them."""
    import platformdirs

    return [Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))]


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The library folder: catalog, full-text index, vectors, chats."""
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return _platform_data_dir() / "library"


def home_dir() -> Path:
    """Where the list of named libraries, the libraries made with "New library" and the window's
    geometry are kept: inside DOCENT_DATA_DIR when it is set (a data folder given by the user is
    self-contained: nothing is written beside it), else Docent's per-user data folder."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return _platform_data_dir()


def models_dir() -> Path:
    """Where model files Docent assembles or imports are kept (shared by all libraries)."""
    env = os.environ.get(ENV_MODELS_DIR)
    if env:
        return Path(env).expanduser().resolve()
    return _platform_data_dir() / "models"


def log_dir() -> Path:
    env = os.environ.get(ENV_LOG_DIR)
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def frozen_root() -> Path | None:
    """The folder of an installed (PyInstaller-frozen) Docent's files, or None when Docent runs
    from source. Only read from: user data never goes here (it may be read-only, and an upgrade
    replaces it)."""
    root = getattr(sys, "_MEIPASS", None)
    return Path(root) if getattr(sys, "frozen", False) and root else None


def resources_dir() -> Path:
    """resources/ (samples, prompts, icons, styles): the repository's, or the installed app's."""
    root = frozen_root()
    if root is not None:
        return root / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def bundled_models_dir() -> Path | None:
    """Model files an installer ships ready to use (the assembled default chat model), or None."""
    root = frozen_root()
    return root / "models" if root is not None else None


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path

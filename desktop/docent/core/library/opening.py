"""Opening a library folder: unlocked (when encrypted) before anything is written, locked against a
second process, a passphrase change cut short finished or undone, its settings and its catalog read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from docent import paths
from docent.core.storage.catalog import Catalog
from docent.core.storage.lock import DirLock
from docent.errors import DocentError
from docent.settings import Settings
from docent.settings import load as load_settings

if TYPE_CHECKING:
    from docent.core.storage.crypto import LibraryKeys

CATALOG_FILE = "catalog.sqlite3"
SETTINGS_FILE = "settings.json"


@dataclass(frozen=True)
class OpenFolder:
    """A library folder held open: its lock is held until `lock.release()`."""

    dir: Path
    lock: DirLock
    keys: "LibraryKeys | None"
    settings: Settings
    catalog: Catalog


def open_folder(data_dir: Path, settings: Settings | None, passphrase: str | None, encrypt: bool) -> OpenFolder:
    """`passphrase`: needed to open an encrypted library (PassphraseRequired without it,
    WrongPassphrase when it is not the library's: then nothing is written). `encrypt`: make a new
    library encrypted with `passphrase` (refused for a library that already holds a plain catalog)."""
    from docent.core.storage import crypto
    from docent.errors import write_failure

    keys: LibraryKeys | None = None
    if crypto.is_encrypted(Path(data_dir)):  # checked before anything is created, locked or written
        keys = crypto.unlock(Path(data_dir), passphrase)
    elif encrypt and (Path(data_dir) / CATALOG_FILE).exists():
        raise DocentError(
            f"the library in {data_dir} is not encrypted: encrypt it first with `docent passphrase`, "
            "or index into a new library folder (--data-dir) with --encrypt."
        )
    elif encrypt and not passphrase:
        from docent.errors import PassphraseRequired

        raise PassphraseRequired(f"an encrypted library needs a passphrase: set {crypto.PASSPHRASE_ENV}, "
                                 "or run the command in a terminal to be asked for it.")
    try:
        folder = paths.ensure_private_dir(Path(data_dir))
    except OSError as exc:  # a read-only parent, a full disk: say so in words (CLI and window alike)
        raise (write_failure(exc, Path(data_dir)) or exc) from exc
    lock = DirLock(folder / "docent.lock")
    lock.acquire()
    try:
        from docent.core.storage.rekey import finish_pending

        finish_pending(folder)  # a passphrase change cut short: undone, or finished if committed
        settings = settings or load_settings(folder / SETTINGS_FILE)
        if encrypt and keys is None:
            keys = crypto.create(folder, passphrase or "")
        catalog = Catalog(folder / CATALOG_FILE, keys.catalog if keys else None)
    except Exception as exc:
        lock.release()
        failure = write_failure(exc, folder) if not isinstance(exc, DocentError) else None
        if failure is not None:
            raise failure from exc
        raise
    return OpenFolder(folder, lock, keys, settings, catalog)

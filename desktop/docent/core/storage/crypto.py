"""Encryption at rest for a library, chosen when the library is created.

What is encrypted: the catalog (documents, chunk texts and the FTS5 keyword index, with SQLite's WAL
journal) through SQLCipher, and each saved chat (AES-256-GCM). What is not: the vectors (Chroma holds
only chunk ids, numbers and a document number per vector), settings, the followed-folder list, the
model hash cache and the audit log (hashes, file paths and page numbers; never document text).

The key is derived from the passphrase with scrypt; `encryption.json` in the library folder holds the
salt, the scrypt parameters and a check value, so a wrong passphrase is recognised before anything is
opened (and nothing is changed). The passphrase and the keys are never written anywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from docent.errors import PassphraseRequired, WrongPassphrase

ENCRYPTION_FILE = "encryption.json"
PASSPHRASE_ENV = "DOCENT_PASSPHRASE"
FORMAT_VERSION = 1
# scrypt cost: about 0.1 s and 32 MiB per unlock (OWASP's minimum is N=2^17 with r=8 for
# password storage; a library key is derived once per open, so 2^15 keeps opening quick).
SCRYPT = {"n": 1 << 15, "r": 8, "p": 1}
_CHAT_MAGIC = b"DOCENT-AESGCM-1\n"

# Shown in the window and the README: what encryption covers, plainly.
WHAT_IS_ENCRYPTED = ("Encrypted: document texts, keyword index, catalog, chats. Not encrypted: vectors "
                     "(numbers only), settings, followed folders, audit log (no document text).")


@dataclass(frozen=True)
class LibraryKeys:
    """The keys of an unlocked library (kept in memory only)."""

    catalog: bytes  # 32 bytes, SQLCipher's raw key
    chats: bytes  # 32 bytes, AES-256-GCM


def is_encrypted(folder: Path) -> bool:
    return (Path(folder) / ENCRYPTION_FILE).is_file()


def _derive(passphrase: str, salt: bytes, params: dict[str, int]) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = Scrypt(salt=salt, length=32, n=int(params["n"]), r=int(params["r"]), p=int(params["p"]))
    return kdf.derive(passphrase.encode("utf-8"))


def _subkey(master: bytes, purpose: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"docent {purpose}".encode()).derive(master)


def _check_value(master: bytes) -> str:
    return hmac.new(_subkey(master, "key check"), b"docent library key", hashlib.sha256).hexdigest()


def _keys(master: bytes) -> LibraryKeys:
    return LibraryKeys(catalog=_subkey(master, "catalog"), chats=_subkey(master, "chats"))


def new_record(passphrase: str) -> tuple[dict[str, object], LibraryKeys]:
    """A new key record (a fresh salt) for `passphrase`, and the keys it gives."""
    if not passphrase:
        raise PassphraseRequired("an encrypted library needs a passphrase that is not empty.")
    salt = os.urandom(16)
    master = _derive(passphrase, salt, SCRYPT)
    record: dict[str, object] = {"version": FORMAT_VERSION, "kdf": "scrypt", "salt": salt.hex(), "params": SCRYPT,
                                 "cipher": "sqlcipher4 (catalog), aes-256-gcm (chats)", "check": _check_value(master)}
    return record, _keys(master)


def create(folder: Path, passphrase: str) -> LibraryKeys:
    """Make `folder` an encrypted library: write `encryption.json` and return its keys."""
    record, keys = new_record(passphrase)
    target = Path(folder) / ENCRYPTION_FILE
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
    os.replace(tmp, target)
    return keys


def unlock(folder: Path, passphrase: str | None) -> LibraryKeys:
    """The keys of the encrypted library in `folder`; reads only `encryption.json`, writes nothing.
    PassphraseRequired without a passphrase, WrongPassphrase when it is not the library's."""
    file = Path(folder) / ENCRYPTION_FILE
    if not passphrase:
        raise PassphraseRequired(
            f"the library in {folder} is encrypted: give its passphrase (set {PASSPHRASE_ENV}, "
            "or run the command in a terminal to be asked for it)."
        )
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
        salt = bytes.fromhex(record["salt"])
        params = {k: int(record["params"][k]) for k in ("n", "r", "p")}
        check = str(record["check"])
        if record.get("kdf") != "scrypt" or int(record.get("version", 0)) > FORMAT_VERSION:
            raise ValueError(f"unknown format {record.get('kdf')!r} version {record.get('version')!r}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WrongPassphrase(f"cannot read {file} ({exc}); the library cannot be opened without it.") from exc
    master = _derive(passphrase, salt, params)
    if not hmac.compare_digest(_check_value(master), check):
        raise WrongPassphrase(
            f"wrong passphrase for the encrypted library in {folder}; nothing was opened or changed. "
            f"Check {PASSPHRASE_ENV} or type the passphrase again."
        )
    return _keys(master)


def seal(key: bytes, data: bytes) -> bytes:
    """AES-256-GCM: a marker, a random 96-bit nonce, then the ciphertext with its tag."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return _CHAT_MAGIC + nonce + AESGCM(key).encrypt(nonce, data, _CHAT_MAGIC)


def open_sealed(key: bytes, data: bytes) -> bytes:
    """The plaintext of `seal(key, ...)`; ValueError when the data was not sealed with this key."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not data.startswith(_CHAT_MAGIC):
        raise ValueError("not an encrypted Docent file")
    nonce = data[len(_CHAT_MAGIC): len(_CHAT_MAGIC) + 12]
    try:
        return AESGCM(key).decrypt(nonce, data[len(_CHAT_MAGIC) + 12:], _CHAT_MAGIC)
    except InvalidTag as exc:
        raise ValueError("the file was changed or another key sealed it") from exc

"""The checks every zip-packaged format (Office Open XML, OpenDocument, EPUB) needs before its
library opens it: a legacy or password-protected Office file (an OLE compound file, not a zip), a
damaged zip, a zip bomb, a package without the part that makes it this kind of document. Each
ends in an ExtractError with a reason a user can act on."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from docent.core.ingest.extract.common import EMPTY_REASON, ExtractError

MAX_UNCOMPRESSED = 512 * 1024 * 1024  # the whole package, unpacked (a zip bomb unpacks to terabytes)
MAX_MEMBERS = 100_000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Kind:
    """What a package should be: its name for a user ("PowerPoint presentation"), the program that
    opens it, the suffix to save it as, the part it must hold, and the OLE stream of its legacy
    binary format (97-2003), in lower case."""

    name: str
    program: str
    save_as: str
    main_part: str
    legacy_stream: str = ""


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def ole_reason(path: Path, kind: Kind) -> ExtractError:
    """Why an OLE compound file under this kind's name cannot be read: encrypted (Office keeps a
    password-protected .pptx/.xlsx as an OLE file holding the encrypted package), the legacy binary
    format, or another program's file."""
    with path.open("rb") as fh:
        data = fh.read(64 << 20).lower()  # stream names are UTF-16; ASCII case folds byte by byte
    if _utf16("encryptedpackage") in data or _utf16("encryptioninfo") in data:
        return ExtractError(
            f"password-protected {kind.name} (encrypted): remove the password in {kind.program} to index it",
            status="skipped",
        )
    if kind.legacy_stream and _utf16(kind.legacy_stream) in data:
        return ExtractError(
            f"legacy {kind.program} 97-2003 file: save it as {kind.save_as} to index it", status="skipped"
        )
    return ExtractError(f"not a {kind.name} (an OLE file of another program?)", status="skipped")


def open_package(path: Path, kind: Kind) -> zipfile.ZipFile:
    """The package, checked; the caller closes it. ExtractError when it is not one to read."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise ExtractError(EMPTY_REASON, status="skipped")
    if head == OLE_MAGIC:
        raise ole_reason(path, kind)
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ExtractError(f"not a valid {kind.save_as} file (its zip container is damaged or it is another "
                           f"kind of file): open it in {kind.program} and save it again") from None
    try:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ExtractError(f"refused: the package holds {len(infos):,} parts (a zip bomb?)")
        total = sum(info.file_size for info in infos)
        if total > MAX_UNCOMPRESSED:
            raise ExtractError(f"refused: the package would unpack to {total // (1024 * 1024):,} MB (zip bomb?)")
        names = set(zf.namelist())
        if kind.main_part and kind.main_part not in names:
            raise ExtractError(f"not a {kind.name} (no {kind.main_part} inside; a zip of other files?)",
                               status="skipped")
    except BaseException:
        zf.close()
        raise
    return zf


def damage_reason(kind: Kind, exc: BaseException) -> str:
    """A reason a user can read for what a library raised on a damaged package."""
    message = str(exc).split("\n")[0]
    if isinstance(exc, KeyError) or "no item named" in message or "no relationship" in message.lower():
        return f"damaged {kind.name}: a part it refers to is missing"
    if type(exc).__name__ in ("XMLSyntaxError", "ParseError", "ExpatError") or "xml" in message.lower():
        return f"damaged {kind.name}: its XML is malformed"
    if isinstance(exc, (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile)) or "zip" in message.lower():
        return f"damaged {kind.name}: its zip container cannot be read"
    return f"damaged {kind.name}: its contents cannot be parsed ({type(exc).__name__})"

"""Saved e-mails (.eml, RFC 5322/MIME) with the standard library's `email` (policy=default, which
decodes headers and bodies): the headers (from, to, cc, date, subject) as a first block, the body
(plain text, else HTML through html.py) by paragraphs, and the attachments that are themselves
supported documents read by their own reader, in the same worker and budget. Every block of the
message carries "e-mail from A to B, 2024-03-02" as its place. Each attachment comes back as an
Attachment (Extraction.attachments) with its own blocks and locations ("p. 3", "slide 2"), which the
indexer stores as a document of its own linked to the message (types.attachment_path); one that
cannot be read comes back with its status and reason, and becomes a skipped or failed document."""

from __future__ import annotations

import email
import email.policy
import hashlib
import email.utils
import re
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable

from docent.core.ingest.extract.common import KINDS, ExtractError, check_size, clean, normalize_ws
from docent.core.types import Attachment, Block, Extraction

Reader = Callable[[Path], Extraction]
MAX_BYTES = 64 * 1024 * 1024
MAX_ATTACHMENTS = 20  # attachments read per message; the others are named in the headers block
MAX_ATTACHMENT_BYTES = 32 * 1024 * 1024
_LEGACY = {".doc", ".ppt", ".xls", ".msg"}  # skipped with a reason on their own: not worth reading here


def _who(value: str) -> str:
    """"Ann Lee <ann@x.org>, bob@y.org" → "Ann Lee and bob@y.org" (names where given)."""
    people = [name or addr for name, addr in email.utils.getaddresses([value]) if name or addr]
    if not people:
        return ""
    if len(people) > 2:
        return f"{people[0]} and {len(people) - 1} others"
    return " and ".join(people)


def _date(msg: EmailMessage) -> str:
    raw = msg.get("date")
    if not raw:
        return ""
    try:
        return email.utils.parsedate_to_datetime(str(raw)).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return normalize_ws(str(raw))[:40]


def place_of(msg: EmailMessage) -> str:
    parts = ["e-mail"]
    sender, to = _who(str(msg.get("from", ""))), _who(str(msg.get("to", "")))
    if sender:
        parts.append(f"from {sender}")
    if to:
        parts.append(f"to {to}")
    place = " ".join(parts)
    date = _date(msg)
    return f"{place}, {date}" if date else place


def _header(value: Any) -> str:
    try:
        return normalize_ws(clean(str(value)))
    except Exception:  # a header the policy cannot decode: its raw form
        return ""


def _body_text(msg: EmailMessage) -> tuple[str, bool]:
    """The body's text (the plain one, else the HTML one when the plain one is blank) and whether it
    came from HTML."""
    for kind in ("plain", "html"):
        part = msg.get_body(preferencelist=(kind,))
        if part is None:
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError, AssertionError):  # an unknown charset: bytes, decoded leniently
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        if str(content).strip():
            return str(content), kind == "html"
    return "", False


def _paragraphs(text: str, place: str, heading: str) -> list[Block]:
    text = clean(text).replace("\r\n", "\n").replace("\r", "\n")
    blocks = []
    for n, raw in enumerate((p for p in re.split(r"\n\s*\n", text) if p.strip()), start=1):
        blocks.append(Block(text=normalize_ws(" ".join(raw.split("\n"))), heading=heading, para=n, place=place))
    return blocks


def _attachment(part: EmailMessage, n: int, name: str, about: str, folder: Path, read: Reader) -> Attachment:
    """The `n`-th attachment read by its own reader: its blocks as they are, or why it was not read."""
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    sha = hashlib.sha256(data).hexdigest()

    def refused(reason: str, status: str) -> Attachment:
        return Attachment(n, name, len(data), sha, about, None, status, reason)  # type: ignore[arg-type]

    if not data:
        return refused("empty attachment (no text)", "skipped")
    if len(data) > MAX_ATTACHMENT_BYTES:
        return refused(f"refused: an attachment larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB", "skipped")
    safe = re.sub(r"[^\w.\- ]+", "_", Path(name).name)[-120:] or "attachment"
    target = folder / safe
    target.write_bytes(data)
    try:
        return Attachment(n, name, len(data), sha, about, read(target))
    except ExtractError as exc:
        return refused(exc.reason, exc.status)
    except Exception as exc:  # noqa: BLE001 - a reader's bug on one attachment must not lose the message
        detail = str(exc).split("\n")[0][:120] or type(exc).__name__
        return refused(f"could not be read (the document reader failed unexpectedly: {detail})", "failed")
    finally:
        target.unlink(missing_ok=True)


def extract_eml(path: Path, read: Reader | None = None) -> Extraction:
    """The message at `path`; its attachments of supported kinds are read with `read` (the
    dispatcher's extract(), passed in so that this module need not import it), none without."""
    check_size(path, MAX_BYTES, "message|e-mails")
    with path.open("rb") as fh:
        msg = email.message_from_binary_file(fh, policy=email.policy.default)
    if not isinstance(msg, EmailMessage) or not (msg.keys() or msg.get_payload()):
        raise ExtractError("not an e-mail (no headers)", status="skipped")
    if not any(k.lower() in ("from", "to", "subject", "date", "message-id") for k in msg.keys()):
        raise ExtractError("not an e-mail (no From, To, Subject or Date header)", status="skipped")
    place = place_of(msg)
    subject = _header(msg.get("subject", ""))
    attachments = [(p, p.get_filename() or "") for p in msg.iter_attachments()]
    lines = [f"{label}: {_header(msg.get(key))}" for key, label in
             (("from", "From"), ("to", "To"), ("cc", "Cc"), ("date", "Date"), ("subject", "Subject"))
             if msg.get(key)]
    names = [n for _, n in attachments if n]
    if names:
        shown = ", ".join(names[:30]) + (f" and {len(names) - 30} more" if len(names) > 30 else "")
        lines.append(f"Attachments: {shown}")
    blocks = [Block(text="\n".join(lines), heading=subject, place=place, kind="heading")] if lines else []
    body, was_html = _body_text(msg)
    if was_html:
        from docent.core.ingest.extract.html import html_blocks

        blocks.extend(Block(text=b.text, heading=subject, para=b.para, kind=b.kind, place=place)
                      for b in html_blocks(body.encode("utf-8")) if b.kind != "heading" or b.text)
    else:
        blocks.extend(_paragraphs(body, place, subject))
    warnings: list[str] = []
    # n: the attachment's place among all the message's attachments (stable while the message is)
    readable = [(p, n, name) for n, (p, name) in enumerate(attachments, start=1)
                if read is not None and Path(name).suffix.lower() in KINDS
                and Path(name).suffix.lower() not in _LEGACY | {".eml"}]
    if len(readable) > MAX_ATTACHMENTS:
        warnings.append(f"read {MAX_ATTACHMENTS} of its {len(readable)} attachments of kinds Docent reads "
                        f"(at most {MAX_ATTACHMENTS} a message)")
    found: list[Attachment] = []
    with tempfile.TemporaryDirectory(prefix="docent-attachment-") as folder:
        for part, n, name in readable[:MAX_ATTACHMENTS]:
            assert read is not None
            found.append(_attachment(part, n, name, f"attached to {place}", Path(folder), read))
    if not any(b.kind != "heading" for b in blocks) and not blocks:
        raise ExtractError("no text in this e-mail", status="skipped")
    return Extraction(blocks=blocks, pages=0, warnings=warnings, attachments=found)

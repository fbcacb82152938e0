"""Saved e-mails (.eml, RFC 5322/MIME) with the standard library's `email` (policy=default, which
decodes headers and bodies): the headers (from, to, cc, date, subject) as a first block, the body
(plain text, else HTML through html.py) by paragraphs, and the attachments that are themselves
supported documents read by their own reader, in the same worker and budget. Every block carries
"e-mail from A to B, 2024-03-02" as its place; an attachment's blocks "attachment report.pdf, p. 3"
(they are indexed as part of the message, cited by the attachment's name and own location)."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable

from docent.core.ingest.extract.common import KINDS, ExtractError, check_size, clean, normalize_ws
from docent.core.types import Block, Extraction

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


def _attachment_blocks(part: EmailMessage, name: str, folder: Path, read: Reader) -> list[Block]:
    from docent.core.ingest.chunking import location_of

    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload:
        return []
    if len(payload) > MAX_ATTACHMENT_BYTES:
        raise ExtractError(f"larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB", status="skipped")
    safe = re.sub(r"[^\w.\- ]+", "_", Path(name).name)[-120:] or "attachment"
    target = folder / safe
    target.write_bytes(payload)
    try:
        found = read(target).blocks
    finally:
        target.unlink(missing_ok=True)
    out = []
    for b in found:
        inner = location_of(Block(text="", page=b.page, label=b.label, place=b.place)) if (b.page or b.place) else ""
        place = f"attachment {name}" + (f", {inner}" if inner else "")
        out.append(Block(text=b.text, heading=b.heading, para=b.para, kind=b.kind, place=place, row=b.row))
    return out


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
    readable = [(p, n) for p, n in attachments if read is not None and Path(n).suffix.lower() in KINDS
                and Path(n).suffix.lower() not in _LEGACY | {".eml"}]
    if len(readable) > MAX_ATTACHMENTS:
        warnings.append(f"read {MAX_ATTACHMENTS} of its {len(readable)} attachments of kinds Docent reads "
                        f"(at most {MAX_ATTACHMENTS} a message)")
    with tempfile.TemporaryDirectory(prefix="docent-attachment-") as folder:
        for part, name in readable[:MAX_ATTACHMENTS]:
            try:
                assert read is not None
                blocks.extend(_attachment_blocks(part, name, Path(folder), read))
            except ExtractError as exc:
                warnings.append(f"attachment {name} not read: {exc.reason}")
    if not any(b.kind != "heading" for b in blocks) and not blocks:
        raise ExtractError("no text in this e-mail", status="skipped")
    return Extraction(blocks=blocks, pages=0, warnings=warnings)

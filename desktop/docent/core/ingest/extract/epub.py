"""EPUB e-books (2 and 3): the chapters in spine order, each an XHTML document read like a web page
(html.py). The package is read with zipfile and its container and OPF with lxml (no network, no
entities): EbookLib, the usual library, is AGPL-licensed, which an Apache-2.0 app cannot ship.
Each chapter's blocks carry "chapter 3: Its title" as their place (the title from the book's table
of contents, else the chapter's first heading)."""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from docent.core.ingest.extract.common import ExtractError, clean, normalize_ws
from docent.core.ingest.extract.html import html_blocks
from docent.core.ingest.extract.package import Kind, damage_reason, open_package
from docent.core.types import Block, Extraction

EPUB = Kind("EPUB e-book", "an e-book editor (Calibre)", ".epub", "META-INF/container.xml")
MAX_CHAPTER_BYTES = 32 * 1024 * 1024
_HTML_TYPES = {"application/xhtml+xml", "text/html", "application/x-dtbook+xml"}


def _xml(zf: zipfile.ZipFile, name: str) -> Any:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    return etree.fromstring(zf.read(name), parser=parser)


def _local(el: Any) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _rootfile(zf: zipfile.ZipFile) -> str:
    container = _xml(zf, "META-INF/container.xml")
    for el in container.iter():
        if _local(el) == "rootfile" and el.get("full-path"):
            return str(el.get("full-path"))
    raise ExtractError("damaged EPUB e-book: its container names no package document")


def _drm(zf: zipfile.ZipFile) -> bool:
    """Whether content (not only fonts, which books obfuscate routinely) is encrypted."""
    if "META-INF/encryption.xml" not in zf.namelist():
        return False
    for el in _xml(zf, "META-INF/encryption.xml").iter():
        if _local(el) == "CipherReference":
            uri = (el.get("URI") or "").lower()
            if not uri.endswith((".ttf", ".otf", ".woff", ".woff2")):
                return True
    return False


def _titles(zf: zipfile.ZipFile, base: str, items: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    """href → title, from the EPUB 3 navigation document or the EPUB 2 NCX."""
    titles: dict[str, str] = {}
    for href, media, props in items.values():
        is_nav = "nav" in props.split()
        if not is_nav and media != "application/x-dtbncx+xml":
            continue
        name = posixpath.normpath(posixpath.join(base, href))
        if name not in zf.namelist():
            continue
        here = posixpath.dirname(name)
        for el in _xml(zf, name).iter():
            tag = _local(el)
            if is_nav and tag == "a" and el.get("href"):
                target, label = el.get("href"), "".join(el.itertext())
            elif tag == "navPoint":
                content = next((c for c in el.iter() if _local(c) == "content"), None)
                text = next((c for c in el.iter() if _local(c) == "text"), None)
                if content is None or text is None:
                    continue
                target, label = content.get("src") or "", "".join(text.itertext())
            else:
                continue
            key = posixpath.normpath(posixpath.join(here, unquote(str(target).split("#")[0])))
            titles.setdefault(key, normalize_ws(clean(label)))
    return titles


def _spine(zf: zipfile.ZipFile) -> tuple[list[str], dict[str, str]]:
    opf_name = _rootfile(zf)
    opf = _xml(zf, opf_name)
    base = posixpath.dirname(opf_name)
    items: dict[str, tuple[str, str, str]] = {}
    for el in opf.iter():
        if _local(el) == "item" and el.get("id") and el.get("href"):
            items[str(el.get("id"))] = (unquote(str(el.get("href"))), el.get("media-type") or "",
                                        el.get("properties") or "")
    order = []
    for el in opf.iter():
        if _local(el) == "itemref" and el.get("idref") in items:
            href, media, _ = items[str(el.get("idref"))]
            if media in _HTML_TYPES or href.lower().endswith((".xhtml", ".html", ".htm")):
                order.append(posixpath.normpath(posixpath.join(base, href)))
    return order, _titles(zf, base, items)


def extract_epub(path: Path) -> Extraction:
    with open_package(path, EPUB) as zf:
        try:
            if _drm(zf):
                raise ExtractError("a DRM-protected e-book (its chapters are encrypted): Docent cannot read it",
                                   status="skipped")
            order, titles = _spine(zf)
        except ExtractError:
            raise
        except Exception as exc:
            raise ExtractError(damage_reason(EPUB, exc)) from exc
        if not order:
            raise ExtractError("no chapters in this e-book (its spine is empty)", status="skipped")
        blocks: list[Block] = []
        warnings: list[str] = []
        chapter = 0
        names = set(zf.namelist())
        for name in order:
            if name not in names:
                warnings.append(f"a chapter is missing from the package ({name})")
                continue
            info = zf.getinfo(name)
            if info.file_size > MAX_CHAPTER_BYTES:
                warnings.append(f"a chapter of {info.file_size // (1024 * 1024)} MB was left out ({name})")
                continue
            try:
                found = html_blocks(zf.read(name))
            except ExtractError as exc:
                warnings.append(f"a chapter could not be read ({name}: {exc.reason})")
                continue
            if not any(b.kind != "heading" for b in found) and not found:
                continue
            chapter += 1
            title = titles.get(name) or next((b.text for b in found if b.kind == "heading"), "")
            place = f"chapter {chapter}: {title[:80]}" if title else f"chapter {chapter}"
            blocks.extend(Block(text=b.text, heading=b.heading, para=b.para, kind=b.kind, place=place)
                          for b in found)
    if not blocks:
        raise ExtractError("no text in this e-book (pictures only?)", status="skipped")
    return Extraction(blocks=blocks, pages=chapter, warnings=warnings)

"""Web pages (.html, .htm, .xhtml: saved pages, exported wikis) with lxml's HTML parser, which
python-docx already brings: the main text (<main> or <article> when the page marks one), headings
as the heading path, tables as rows under their header; scripts, styles, navigation, headers,
footers and forms dropped. The tree is walked without recursion, so a page of a million nested
tags (an HTML bomb) cannot overflow the stack. EPUB chapters go through `html_blocks` too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from docent.core.ingest.extract.common import ExtractError, clean, heading_path, normalize_ws, table_lines
from docent.core.types import Block, Extraction

MAX_BYTES = 64 * 1024 * 1024
MAX_ELEMENTS = 2_000_000  # what a page may hold before it is refused as a bomb

_DROP = {"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas",
         "form", "button", "select", "textarea", "nav", "aside", "head", "title", "meta", "link"}
_PAGE_CHROME = {"header", "footer"}  # dropped around the main text, kept inside an article
_BLOCK = {"p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "pre", "blockquote",
          "figure", "figcaption", "address", "header", "footer", "body", "hr", "br", "tr", "center", "details",
          "summary", "caption"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def _encoding(data: bytes) -> str:
    if data[:3] == b"\xef\xbb\xbf":
        return "utf-8"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    m = _CHARSET.search(data[:4096])
    if m:
        name = m.group(1).decode("ascii", "replace").lower()
        try:
            "".encode(name)
            return name
        except LookupError:
            pass
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _tag(el: Any) -> str:
    tag = el.tag
    if not isinstance(tag, str):  # a comment or processing instruction
        return ""
    return tag.rsplit("}", 1)[-1].lower()  # XHTML names are namespaced


def _parse(data: bytes) -> Any:
    import lxml.html
    from lxml import etree

    parser = lxml.html.HTMLParser(encoding=_encoding(data), remove_comments=True, remove_pis=True,
                                  no_network=True, huge_tree=False)
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractError("no text in this page (empty or not HTML)", status="skipped") from exc
    if any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        # libxml2 stops at 256 nested elements: what follows is lost, so say so rather than index a part
        raise ExtractError("refused: its elements are nested more than 256 deep (an HTML bomb, or a "
                           "damaged page)")
    return root


def _main(root: Any) -> tuple[Any, bool]:
    """The element holding the page's main text, and whether it is the whole body."""
    for xpath in ("//main", "//*[@role='main']", "//article"):
        found = root.xpath(xpath)
        if len(found) == 1:
            return found[0], False
    body = root.find("body")
    return (body if body is not None else root), True


def _table(el: Any) -> list[str]:
    rows = []
    for tr in el.iter("tr"):
        rows.append([normalize_ws(clean(cell.text_content())) for cell in tr if _tag(cell) in ("td", "th")])
    return table_lines(rows)


def html_blocks(data: bytes, place: str = "", base: list[tuple[int, str]] | None = None) -> list[Block]:
    """The blocks of one HTML document; `place` and the heading path `base` are given to each."""
    from lxml import etree

    root = _parse(data)
    count = sum(1 for _ in root.iter())
    if count > MAX_ELEMENTS:
        raise ExtractError(f"refused: the page holds {count:,} elements (an HTML bomb?)")
    main, whole_body = _main(root)
    drop = _DROP | (_PAGE_CHROME if whole_body else set())
    stack: list[tuple[int, str]] = list(base or [])
    blocks: list[Block] = []
    para = 0
    buf: list[str] = []
    in_list = 0
    skip_depth = 0  # >0 inside an element whose text is dropped or taken whole (heading, table)

    def flush() -> None:
        nonlocal para
        text = normalize_ws(clean("".join(buf)))
        buf.clear()
        if text:
            para += 1
            kind: Literal["list", "text"] = "list" if in_list else "text"
            blocks.append(Block(text=("• " + text) if in_list else text, heading=heading_path(stack), para=para,
                                kind=kind, place=place))

    for event, el in etree.iterwalk(main, events=("start", "end")):
        tag = _tag(el)
        if event == "start":
            if skip_depth:
                skip_depth += 1
                continue
            if tag in drop or not tag:
                skip_depth = 1
                continue
            if tag in _HEADINGS:
                flush()
                level, title = _HEADINGS[tag], normalize_ws(clean(el.text_content()))
                if title:
                    stack = [(lv, t) for lv, t in stack if lv < level] + [(level, title)]
                    para = 0
                    blocks.append(Block(text=title, heading=heading_path(stack), kind="heading", place=place))
                skip_depth = 1
                continue
            if tag == "table":
                flush()
                lines = _table(el)
                if lines:
                    para += 1
                    blocks.append(Block(text="\n".join(lines), heading=heading_path(stack), para=para, kind="table",
                                        place=place))
                skip_depth = 1
                continue
            if tag in _BLOCK:
                flush()
                if tag == "li":
                    in_list += 1
            if el.text:
                buf.append(el.text)
        else:
            if skip_depth:
                skip_depth -= 1
            elif tag in _BLOCK:
                flush()
                if tag == "li":
                    in_list -= 1
            elif tag in ("td", "th"):
                buf.append(" ")
            if not skip_depth and el is not main and el.tail:
                buf.append(el.tail)
    flush()
    return blocks


def extract_html(path: Path) -> Extraction:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise ExtractError(f"refused: a {size // (1024 * 1024):,} MB web page (Docent reads pages up to "
                           f"{MAX_BYTES // (1024 * 1024)} MB)", status="skipped")
    data = path.read_bytes()
    if not data.strip():
        raise ExtractError("empty file (no text)", status="skipped")
    blocks = html_blocks(data)
    if not blocks:
        raise ExtractError("no text in this page (only scripts, pictures or navigation?)", status="skipped")
    return Extraction(blocks=blocks, pages=0)

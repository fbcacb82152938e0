"""PowerPoint presentations (.pptx, .pptm) with python-pptx: each slide's title, the text of its
shapes (grouped shapes too) and tables in the slide's order, and its speaker notes. Blocks carry
their slide ("slide 7", "notes of slide 7") as their place, so a chunk never crosses a slide."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Literal

from docent.core.ingest.extract.common import ExtractError, clean, normalize_ws, table_lines
from docent.core.ingest.extract.package import Kind, damage_reason, open_package
from docent.core.types import Block, Extraction

PPTX = Kind("PowerPoint presentation", "PowerPoint", ".pptx", "ppt/presentation.xml",
            legacy_stream="powerpoint document")
MAX_SLIDES = 5_000

# Macro-enabled presentations hold the same PresentationML under another content type, which
# python-pptx's Presentation() refuses; shows (.ppsx) and templates (.potx) likewise.
_MAIN_TYPES = (
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml",
    "application/vnd.ms-powerpoint.slideshow.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml",
)


def _text(value: str) -> str:
    return normalize_ws(clean(value))


def _shapes(shapes: Any) -> Iterator[Any]:
    """Every shape, the members of groups in place of the group."""
    for shape in shapes:
        if getattr(shape, "shape_type", None) == 6:  # MSO_SHAPE_TYPE.GROUP
            yield from _shapes(shape.shapes)
        else:
            yield shape


def _frame_lines(frame: Any) -> list[str]:
    return [line for line in (_text(p.text.replace("\v", " ")) for p in frame.paragraphs) if line]


def _table(shape: Any) -> list[str]:
    rows = [[_text(cell.text.replace("\n", " ")) for cell in row.cells] for row in shape.table.rows]
    return table_lines(rows)


def _open(path: Path) -> Any:
    from pptx import Presentation
    from pptx.opc.package import PartFactory
    from pptx.parts.presentation import PresentationPart

    for content_type in _MAIN_TYPES:
        PartFactory.part_type_for.setdefault(content_type, PresentationPart)
    return Presentation(str(path))


def _slide_blocks(slide: Any, n: int) -> tuple[list[Block], int]:
    """The slide's blocks, and how many pictures it shows."""
    place = f"slide {n}"
    title_shape = slide.shapes.title
    title = _text(title_shape.text_frame.text) if title_shape is not None and title_shape.has_text_frame else ""
    blocks = [Block(text=title, heading=title, place=place, kind="heading")] if title else []
    pictures = para = 0
    for shape in _shapes(slide.shapes):
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        if getattr(shape, "shape_type", None) == 13:  # MSO_SHAPE_TYPE.PICTURE
            pictures += 1
        if getattr(shape, "has_table", False) and shape.has_table:
            lines = _table(shape)
            if lines:
                para += 1
                blocks.append(Block(text="\n".join(lines), heading=title, place=place, para=para, kind="table"))
        elif getattr(shape, "has_text_frame", False) and shape.has_text_frame:
            lines = _frame_lines(shape.text_frame)
            if lines:
                para += 1
                kind: Literal["list", "text"] = "list" if len(lines) > 1 else "text"
                blocks.append(Block(text="\n".join(lines), heading=title, place=place, para=para, kind=kind))
    if slide.has_notes_slide:
        frame = slide.notes_slide.notes_text_frame
        lines = _frame_lines(frame) if frame is not None else []
        if lines:
            blocks.append(Block(text="\n".join(lines), heading=title, place=f"notes of slide {n}", para=1))
    return blocks, pictures


def extract_pptx(path: Path) -> Extraction:
    open_package(path, PPTX).close()
    try:
        prs = _open(path)
        slides = list(prs.slides)
    except ExtractError:
        raise
    except Exception as exc:  # python-pptx raises many types on damaged files
        raise ExtractError(damage_reason(PPTX, exc)) from exc
    if not slides:
        raise ExtractError("no slides in this presentation", status="skipped")
    warnings: list[str] = []
    if len(slides) > MAX_SLIDES:
        warnings.append(f"read the first {MAX_SLIDES:,} of {len(slides):,} slides (Docent reads at most "
                        f"{MAX_SLIDES:,} slides a presentation)")
        slides = slides[:MAX_SLIDES]
    blocks: list[Block] = []
    pictures = 0
    empty: list[int] = []
    for n, slide in enumerate(slides, start=1):
        try:
            found, shown = _slide_blocks(slide, n)
        except Exception as exc:  # one damaged slide: the others are still read
            raise ExtractError(f"{damage_reason(PPTX, exc)} (slide {n})") from exc
        pictures += shown
        if not found:
            empty.append(n)
        blocks.extend(found)
    if not blocks:
        if pictures:
            raise ExtractError(f"no text on its {len(slides)} slides, only pictures (nothing to index)",
                               status="skipped")
        raise ExtractError(f"no text on its {len(slides)} slides", status="skipped")
    if empty:
        shown_list = ", ".join(str(n) for n in empty[:12]) + ("…" if len(empty) > 12 else "")
        warnings.append(f"{len(empty)} of {len(slides)} slides have no text (pictures only?): {shown_list}")
    return Extraction(blocks=blocks, pages=len(slides), warnings=warnings)

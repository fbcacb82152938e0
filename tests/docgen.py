"""Real documents for the tests, generated on the fly: PDFs with reportlab (encrypted with pypdf),
Word files with python-docx, and deliberately broken files."""

from __future__ import annotations

import io
import os
import random
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence


# ---- PDF -----------------------------------------------------------------------------------------
def pdf_bytes(pages: Sequence[str | Sequence[str]]) -> bytes:
    """A letter-size PDF, one page per entry. An entry is a paragraph or a list of paragraphs;
    "" gives a page with no text layer at all (a blank page drawing only a rectangle)."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter, invariant=1)  # invariant: byte-identical output
    width, height = letter
    for entry in pages:
        paragraphs = [entry] if isinstance(entry, str) else list(entry)
        paragraphs = [p for p in paragraphs if p]
        if not paragraphs:
            c.rect(72, 72, 200, 100)  # some drawing, no text
        y = height - 72
        for para in paragraphs:
            for line in textwrap.wrap(para, 80):
                c.setFont("Helvetica", 11)
                c.drawString(72, y, line)
                y -= 14
            y -= 14  # blank line between paragraphs
        c.showPage()
    c.save()
    return buf.getvalue()


def write_pdf(path: Path, pages: Sequence[str | Sequence[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes(pages))
    return path


def write_encrypted_pdf(path: Path, pages: Sequence[str], user_password: str = "", owner_password: str = "x") -> Path:
    """AES-256 encrypted. An empty user password opens without asking (permissions only)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf_bytes(pages)))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def write_random_bytes(path: Path, size: int = 4096, seed: int = 7) -> Path:
    """Random bytes under a document name (no %PDF header, not a zip)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = random.Random(seed).randbytes(size)
    path.write_bytes(data.replace(b"%PDF", b"%XXX").replace(b"PK", b"QK"))
    return path


def write_truncated_pdf(path: Path, pages: Sequence[str], keep: int = 400) -> Path:
    """The first `keep` bytes of a real PDF: a header, then nothing usable (no page content,
    no cross-reference table, no trailer)."""
    data = pdf_bytes(pages)
    assert keep < len(data) // 2
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[:keep])
    return path


# ---- DOCX ----------------------------------------------------------------------------------------
@dataclass
class Section:
    """A heading (level 1 or 2) followed by paragraphs, optionally a list and a table."""

    title: str
    level: int = 1
    paragraphs: list[str] = field(default_factory=list)
    bullets: list[str] = field(default_factory=list)
    table: list[list[str]] | None = None  # first row = header


def write_docx(path: Path, sections: Sequence[Section], title: str | None = None) -> Path:
    import docx

    document = docx.Document()
    if title:
        document.add_paragraph(title, style="Title")
    for section in sections:
        document.add_heading(section.title, level=section.level)
        for text in section.paragraphs:
            document.add_paragraph(text)
        for item in section.bullets:
            document.add_paragraph(item, style="List Bullet")
        if section.table:
            rows = section.table
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for k, value in enumerate(row):
                    table.cell(r, k).text = value
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def write_not_a_zip_docx(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("This is plain text wearing a .docx name; it is not a zip package.\n", encoding="utf-8")
    return path


# ---- misc ----------------------------------------------------------------------------------------
def set_mtime(path: Path, mtime: float) -> None:
    os.utime(path, (mtime, mtime))


# ---- shared contents -----------------------------------------------------------------------------
# Five pages, five unrelated topics, one distinctive fact each. (query, page) pairs below.
ATLAS_PAGES = [
    "Honeybee colonies in the Ostrava apiary produce about forty kilograms of linden honey each summer. "
    "The beekeepers inspect the hives every nine days.",
    "The Teide volcano observatory records seismic tremors with twelve broadband seismometers. "
    "Magma movements beneath the caldera are mapped every month.",
    "The lighthouse on Karvik Island was built in 1887 by the engineer Margit Solberg. "
    "Its lamp is visible for twenty-two nautical miles on a clear night.",
    "Aged Gruyere wheels are turned and brushed with brine every week for ten months in the Fribourg cellars. "
    "The cellar stays at thirteen degrees.",
    "The Paris-Roubaix cycling race crosses twenty-nine sectors of cobblestones in northern France. "
    "Riders often puncture their tyres on the Arenberg sector.",
]
ATLAS_QUERIES = [
    ("how much honey do the bee hives produce", 1),
    ("instruments that measure earthquakes at the volcano", 2),
    ("who designed the island lighthouse", 3),
    ("how is the cheese matured in the cellar", 4),
    ("bicycle race over cobbled roads", 5),
]

# A Word contract: nested headings, numbered paragraphs, a bulleted list and a table.
HARBOUR_SECTIONS = [
    Section("Purpose", 1, [
        "This contract sets out how the harbour authority and the maintenance company work together to keep "
        "the quays, cranes and mooring equipment of the Eastern Basin safe and in service throughout the year.",
    ]),
    Section("Scope", 1, [
        "The work covers every structure of the Eastern Basin that is owned by the harbour authority, including "
        "the floating pontoons, the fuel jetty and the ferry ramp, but excluding privately leased warehouses.",
    ]),
    Section("Terms", 2, [
        "In this contract a berth is a numbered length of quay where one vessel may lie alongside, as shown on "
        "the harbour plan attached to the agreement, and each berth has its own mooring log.",
        "A bollard inspection means a visual check of every mooring bollard for cracks, corrosion and loose "
        "anchor bolts, followed by a load test with a calibrated hydraulic jack once every two years.",
        "An emergency call-out is any request made outside working hours because a vessel, a person or the quay "
        "itself is at immediate risk, and the company must attend within forty-five minutes.",
    ]),
    Section("Equipment", 2, [],
            bullets=["Two mobile cranes of twenty tonnes", "One diving support boat", "A hydraulic load-testing jack"],
            table=[["Item", "Supplier", "Code"],
                   ["Fender panels", "Nordvik Hydraulics", "FX-2210"],
                   ["Mooring chains", "Baltic Anchor Works", "MC-7781"]]),
    Section("Payment", 1, [
        "The authority pays the company a fixed monthly fee of eleven thousand euros for planned maintenance, "
        "invoiced on the first working day of each month.",
        "Emergency call-outs are paid separately at a rate of three hundred and twenty euros per hour, rounded up "
        "to the next half hour, with a minimum charge of two hours.",
    ]),
]

"""Regenerates the sample documents in this folder (run from the repository root with the test
extras installed: python resources/samples/make_samples.py). The outputs are committed, so users
and tests never need reportlab."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

HANDBOOK = [
    ("Northwind Traders — Employee Handbook", [
        "Welcome to Northwind Traders. This handbook explains how we work, what we offer our staff "
        "and what we expect in return. It applies to every employee in the Lisbon, Leeds and Lyon offices.",
        "Questions about this handbook go to the People team at people@northwind.example, who answer "
        "within two working days.",
    ]),
    ("1. Working hours and remote work", [
        "Core hours are 10:00 to 15:00 local time. Outside core hours, staff choose when they work, "
        "as long as they work 37.5 hours a week on average over a month.",
        "Employees may work remotely up to three days a week. Fully remote arrangements need the written "
        "approval of a department head and are reviewed every six months.",
    ]),
    ("2. Leave", [
        "Every full-time employee receives 27 days of paid annual leave, plus public holidays. Part-time "
        "employees receive leave in proportion to their contracted hours.",
        "Up to five unused leave days may be carried over into the next calendar year; they must be taken "
        "before the end of March or they are lost.",
        "Parental leave is 20 weeks at full pay for every new parent, whatever their gender, after six "
        "months of service.",
    ]),
    ("3. Expenses and travel", [
        "Business travel is booked through the travel desk. Economy class is the rule for flights under "
        "six hours; premium economy is allowed for longer flights.",
        "Meal expenses while travelling are reimbursed up to 45 euros a day. Receipts must be submitted "
        "within 30 days through the expenses portal, or the claim is refused.",
    ]),
    ("4. Equipment and security", [
        "Each employee receives a laptop, which is replaced every four years. Lost or stolen equipment must "
        "be reported to the IT service desk within 24 hours.",
        "Company data must never be stored on personal cloud accounts. Laptop disks are encrypted, and "
        "screens lock automatically after five minutes without use.",
    ]),
]

AGREEMENT = [
    (1, "1 Parties and purpose", [
        "This Service Agreement is made between Northwind Traders Ltd (the Customer) and Contoso "
        "Cleaning Services (the Provider) for the cleaning of the Customer's offices.",
    ]),
    (1, "2 Scope", []),
    (2, "2.1 Services", [
        "The Provider cleans all office floors every working day between 18:00 and 22:00, and cleans the "
        "windows once every quarter.",
        "Deep cleaning of carpets takes place twice a year, in January and in July.",
    ]),
    (2, "2.2 Exclusions", [
        "The Provider does not clean server rooms, laboratories or any area marked as restricted.",
    ]),
    (1, "3 Fees and payment", [
        "The monthly fee is 4,200 euros, excluding VAT, invoiced on the first working day of each month.",
        "Invoices are payable within 30 days. Late payments carry interest of 1.5 percent per month.",
    ]),
    (1, "4 Term and termination", [
        "The agreement starts on 1 February 2026 and runs for two years.",
        "Either party may terminate the agreement with 90 days' written notice. The Customer may terminate "
        "immediately if the Provider fails three consecutive quality inspections.",
    ]),
]


def make_pdf(path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    story = []
    for i, (title, paras) in enumerate(HANDBOOK):
        if i > 1:
            story.append(PageBreak())
        story.append(Paragraph(title, styles["Heading1"] if i == 0 else styles["Heading2"]))
        for p in paras:
            story.append(Paragraph(p, styles["BodyText"]))
            story.append(Spacer(1, 6))
    doc = SimpleDocTemplate(str(path), pagesize=A4, title="Northwind Traders Employee Handbook",
                            author="Northwind Traders (fictional sample)")
    doc.build(story)


def make_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_heading("Office Cleaning Service Agreement", level=0)
    for level, heading, paras in AGREEMENT:
        d.add_heading(heading, level=level)
        for p in paras:
            d.add_paragraph(p)
    d.add_heading("Annex A Contacts", level=1)
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate([("Role", "Name", "Phone"), ("Customer contact", "Ana Ferreira", "+351 21 000 0000"),
                              ("Provider contact", "Tom Becker", "+44 113 000 0000")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.core_properties.title = "Office Cleaning Service Agreement"
    d.save(str(path))


if __name__ == "__main__":
    make_pdf(HERE / "Employee_Handbook.pdf")
    make_docx(HERE / "Cleaning_Service_Agreement.docx")
    print("written:", *sorted(p.name for p in HERE.glob("*.pdf")), *sorted(p.name for p in HERE.glob("*.docx")))

"""A letter (exports/letter_doc.py) as an editable Word document (.docx, python-docx).

Editable on purpose: a legal team may adjust the wording before it signs; the bytes we store and hash are the ones
we produced (docs/letters.md).
"""

from __future__ import annotations

import io

from docx import Document
from docx.shared import Pt

from exports.letter_doc import Letter


def docx_bytes(letter: Letter) -> bytes:
    """The letter as a .docx file's bytes."""
    doc = Document()
    doc.core_properties.title = letter.subject
    doc.core_properties.language = letter.language
    doc.core_properties.identifier = letter.reference
    doc.styles["Normal"].font.size = Pt(10.5)
    for line in letter.addressee:
        doc.add_paragraph(line).paragraph_format.space_after = Pt(0)
    doc.add_paragraph()
    for line in letter.meta:
        doc.add_paragraph(line).paragraph_format.space_after = Pt(0)
    doc.add_paragraph()
    doc.add_paragraph().add_run(letter.subject).bold = True
    doc.add_paragraph(letter.salutation)
    for text in letter.opening:
        doc.add_paragraph(text)
    for section in letter.sections:
        doc.add_heading(section.heading, level=2)
        if section.quote_label:
            doc.add_paragraph().add_run(section.quote_label).bold = True
        if section.quote:
            doc.add_paragraph(section.quote, style="Quote")
        for text in section.paragraphs:
            if text.startswith("• "):
                doc.add_paragraph(text[2:], style="List Bullet")
            else:
                doc.add_paragraph(text)
    for text in letter.closing:
        doc.add_paragraph(text)
    doc.add_paragraph()
    for line in letter.signature:
        doc.add_paragraph(line).paragraph_format.space_after = Pt(0)
    if letter.annex is not None:
        doc.add_page_break()
        doc.add_heading(letter.annex.heading, level=2)
        doc.add_paragraph(letter.annex.intro)
        table = doc.add_table(rows=1, cols=len(letter.annex.columns))
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, letter.annex.columns, strict=True):
            cell.text = title
        for row in letter.annex.rows:
            for cell, value in zip(table.add_row().cells, row, strict=True):
                cell.text = value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

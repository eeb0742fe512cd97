"""A letter (exports/letter_doc.py) as a PDF (fpdf2), with the DejaVu fonts shipped in exports/fonts/.

The fonts are package data (their licence beside them), never looked up on the system at run time: the same letter
gives the same glyphs on every machine, and Dutch and French accents always render (issue 15, "Names and decisions").
"""

from __future__ import annotations

from contextlib import ExitStack
from importlib import resources

from fpdf import FPDF

from exports.letter_doc import Letter

FONT = "DejaVu"
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


class _LetterPDF(FPDF):
    page_label = "{page} / {pages}"

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(FONT, "", 8)
        self.cell(0, 10, self.page_label.format(page=self.page_no(), pages="{nb}"), align="C")


def pdf_bytes(letter: Letter) -> bytes:
    """The letter as a PDF file's bytes."""
    pdf = _LetterPDF(format="A4")
    pdf.page_label = letter.page_label
    pdf.set_title(letter.subject)
    pdf.set_lang(letter.language)
    with ExitStack() as stack:  # the font files stay open until the PDF is written (fontTools reads them lazily)
        for style, name in _FONT_FILES.items():
            path = stack.enter_context(resources.as_file(resources.files("exports").joinpath("fonts", name)))
            pdf.add_font(FONT, style, path)
        _draw(pdf, letter)
        return bytes(pdf.output())


def _draw(pdf: _LetterPDF, letter: Letter) -> None:
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.epw

    def para(text: str, *, style: str = "", size: float = 10.5, gap: float = 2, indent: float = 0) -> None:
        pdf.set_font(FONT, style, size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(width - indent, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    for line in letter.addressee:
        para(line, gap=0)
    pdf.ln(6)
    for line in letter.meta:
        para(line, gap=0)
    pdf.ln(6)
    para(letter.subject, style="B", size=12, gap=4)
    para(letter.salutation)
    for text in letter.opening:
        para(text)
    for section in letter.sections:
        pdf.ln(2)
        para(section.heading, style="B", size=11.5)
        if section.quote_label:
            para(section.quote_label, style="B", gap=1)
        if section.quote:
            para(section.quote, indent=8, size=10)
        for text in section.paragraphs:
            para(text, indent=4) if text.startswith("• ") else para(text)
    pdf.ln(2)
    for text in letter.closing:
        para(text)
    pdf.ln(8)
    for line in letter.signature:
        para(line, gap=0)
    if letter.annex is not None:
        pdf.add_page()
        para(letter.annex.heading, style="B", size=11.5)
        para(letter.annex.intro)
        pdf.set_font(FONT, "", 9.5)
        with pdf.table(col_widths=(1, 2), text_align="LEFT", first_row_as_headings=True) as table:
            table.row(list(letter.annex.columns))
            for values in letter.annex.rows:
                table.row(list(values))

"""Writing sheets of sections to .xlsx (openpyxl, write-only) and CSV, every cell formula-safe (docs/findings.md)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from store.spreadsheet import safe_cell

BOLD = Font(bold=True)
HEADING = Font(bold=True, size=12)
TITLE = Font(bold=True, size=14)
MAX_WIDTH = 60


@dataclass(frozen=True)
class Section:
    """A table on a sheet: a heading, column names and rows; when there are no rows, `empty` says why."""

    heading: str
    columns: Sequence[str]
    rows: Sequence[Sequence[object]]
    empty: str = "Nothing to show."
    note: str | None = None


@dataclass(frozen=True)
class Sheet:
    """A worksheet: a title line, optional lines of label and value, then its sections with a blank row between."""

    name: str
    title: str
    lines: Sequence[Sequence[object]] = field(default_factory=tuple)
    sections: Sequence[Section] = field(default_factory=tuple)


def cell(value: object) -> object:
    """Return a value as a spreadsheet cell holds it: JSON for structures, formula-safe text, no control bytes."""
    if isinstance(value, list | tuple | dict):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=_json_default)
    value = safe_cell(value)
    if isinstance(value, str):
        # openpyxl refuses control characters (XML 1.0 cannot hold them); a report may carry them.
        value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
    return value


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _styled(ws: WriteOnlyWorksheet, value: object, font: Font) -> WriteOnlyCell:
    c = WriteOnlyCell(ws, value=cell(value))
    c.font = font
    return c


def _widths(sheet: Sheet) -> list[int]:
    widths: list[int] = []
    rows: list[Sequence[object]] = [*sheet.lines]
    for s in sheet.sections:
        rows += [s.columns, *s.rows]
    for row in rows:
        for i, value in enumerate(row):
            length = len(str(cell(value))) if value is not None else 0
            if i == len(widths):
                widths.append(8)
            widths[i] = min(MAX_WIDTH, max(widths[i], length + 2))
    return widths


def _write_sheet(wb: Workbook, sheet: Sheet) -> None:
    ws = wb.create_sheet(sheet.name)
    for i, width in enumerate(_widths(sheet), 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.append([_styled(ws, sheet.title, TITLE)])
    for line in sheet.lines:
        ws.append([_styled(ws, line[0], BOLD), *(cell(v) for v in line[1:])])
    for section in sheet.sections:
        ws.append([])
        ws.append([_styled(ws, section.heading, HEADING)])
        if section.note:
            ws.append([cell(section.note)])
        ws.append([_styled(ws, c, BOLD) for c in section.columns])
        if not section.rows:
            ws.append([cell(section.empty)])
        for row in section.rows:
            ws.append([cell(v) for v in row])


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """Write the sheets into one workbook and return the .xlsx file's bytes."""
    wb = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(wb, sheet)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """Return a formula-safe CSV as UTF-8 with a byte-order mark, so a spreadsheet reads accents right."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([cell(c) for c in columns])
    writer.writerows([cell(v) for v in row] for row in rows)
    return text.getvalue().encode("utf-8-sig")

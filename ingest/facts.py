"""Report-level facts: processor, period, submitted_on, declared total (docs/report-format.md, in that order
of sources: argument, summary sheet, trailing total row, file name)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from ingest.dates import parse_date_text
from ingest.readers import Grid
from ingest.vocabulary import SUMMARY_INDEX, label_key

MONTHS = {
    **{label_key(m): i for i, m in enumerate(calendar.month_name) if m},
    "januari": 1, "februari": 2, "maart": 3, "april": 4, "mei": 5, "juni": 6, "juli": 7, "augustus": 8,
    "september": 9, "oktober": 10, "november": 11, "december": 12,
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}
_YEAR_MONTH = re.compile(r"(?<!\d)(20\d{2})[-_/.]?(0[1-9]|1[0-2])(?!\d)")
_MONTH_YEAR = re.compile(r"(?<!\d)(0?[1-9]|1[0-2])[-/.](20\d{2})(?!\d)")
_NAMED = re.compile(r"([^\W\d_]+)\s+(20\d{2})", re.UNICODE)


@dataclass(frozen=True)
class Fact:
    """A value and where it came from (said in the ingest summary)."""

    value: object
    source: str


def parse_period(text: str) -> str | None:
    """Read a reporting month: '2026-10', '202610', '10/2026', 'oktober 2026', '2026-10-01 00:00:00'."""
    text = str(text).strip()
    if m := _YEAR_MONTH.search(text):
        return f"{m[1]}-{m[2]}"
    if m := _MONTH_YEAR.search(text):
        return f"{m[2]}-{int(m[1]):02d}"
    for m in _NAMED.finditer(text):
        month = MONTHS.get(label_key(m[1]))
        if month:
            return f"{m[2]}-{month:02d}"
    return None


def period_bounds(period: str) -> tuple[date, date]:
    """Return the first and last day of a YYYY-MM period."""
    year, month = map(int, period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def valid_period(text: str) -> str | None:
    """Return text if it is exactly YYYY-MM with a real month, else None."""
    return text if re.fullmatch(r"20\d{2}-(0[1-9]|1[0-2])", text or "") else None


def summary_facts(grid: Grid) -> dict[str, str]:
    """Read label/value pairs of a summary sheet: {fact: value text}."""
    facts: dict[str, str] = {}
    for row in grid.head:
        cells = [c for c in row if c is not None]
        if len(cells) >= 2:
            fact = SUMMARY_INDEX.get(label_key(cells[0]))
            if fact and fact not in facts:
                facts[fact] = cells[1].strip()
    return facts


MAX_COUNT = 2**31 - 1  # the INTEGER columns that store counts


def parse_count(text: str) -> int | None:
    """Read a declared total: '412', '412.0', 'Totaal: 412'; None when there is no count (see `implausible_count`).

    A minus sign belongs to the number: '-333' is not 333 (issue 18).
    """
    m = re.search(r"(?:(?<![\w])-\s*)?\d+(?:[.,]0+)?", str(text))
    if not m:
        return None
    value = int(float(re.sub(r"\s", "", m[0]).replace(",", ".")))
    return value if 0 <= value <= MAX_COUNT else None


def implausible_count(text: str) -> bool:
    """Whether a text holds a number that cannot be a count of cases (negative, or beyond what is stored)."""
    return parse_count(text) is None and re.search(r"\d", str(text)) is not None


def parse_submitted(text: str) -> date | None:
    """Read a submission date written on a summary sheet."""
    return parse_date_text(str(text))

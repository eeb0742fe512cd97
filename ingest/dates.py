"""Date formats shared by the SQL validation and the Python fact parser (identical strptime syntax)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

ISO_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f",
               "%Y/%m/%d")
_TIME_SUFFIXES = ("", " %H:%M", " %H:%M:%S")


def local_formats(date_order: str) -> tuple[str, ...]:
    """Return the accepted formats: ISO first, then day-first (or month-first) with `/`, `-` and `.`."""
    first, second = ("%d", "%m") if date_order == "dmy" else ("%m", "%d")
    local = tuple(f"{first}{sep}{second}{sep}%Y{suffix}" for sep in "/-." for suffix in _TIME_SUFFIXES)
    return ISO_FORMATS + local


# Excel stores dates as days since 1899-12-30 (the 1900 leap-year bug folded in); 5 digits covers 1927-2173.
EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_SERIAL_PATTERN = r"^[1-9][0-9]{4}(\.0+)?$"


def parse_date_text(text: str, date_order: str = "dmy") -> date | None:
    """Parse one date the way the SQL validation does; None when it is not a date."""
    text = text.strip()
    for fmt in local_formats(date_order):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    if re.match(EXCEL_SERIAL_PATTERN, text):
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    return None

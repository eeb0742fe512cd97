"""Date reading, defined once by regular expressions that both the SQL validation and Python use.

Accepted: ISO `2026-10-05` (or `2026/10/05`), day-first `05/10/2026`, `05-10-2026`, `5.10.2026` (month-first
when a processor's mapping says so), each with an optional time, and Excel serial numbers. An impossible date
(`31/02/2026`) is not a date. Regex dispatch plus a cast measured ~8x faster in DuckDB than try_strptime with a
list of formats.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_TIME = r"(?:[ T](?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?)?"
ISO_PATTERN = r"^([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})" + _TIME + "$"
LOCAL_PATTERN = r"^([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})" + _TIME + "$"
# Excel stores dates as days since 1899-12-30 (the 1900 leap-year bug folded in); 5 digits covers 1927-2173.
EXCEL_SERIAL_PATTERN = r"^[1-9][0-9]{4}(?:\.0+)?$"
EXCEL_EPOCH = date(1899, 12, 30)


def _local_groups(date_order: str) -> tuple[int, int]:
    """Return the regex groups (day, month) of a local date in this order."""
    return (1, 2) if date_order == "dmy" else (2, 1)


def parse_date_text(text: str, date_order: str = "dmy") -> date | None:
    """Parse one date exactly as `sql_date` does; None when it is not a date."""
    text = text.strip()
    try:
        if m := re.match(ISO_PATTERN, text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.match(LOCAL_PATTERN, text):
            day, month = _local_groups(date_order)
            return date(int(m[3]), int(m[month]), int(m[day]))
    except ValueError:
        return None
    if re.match(EXCEL_SERIAL_PATTERN, text):
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    return None


def sql_date(column: str, date_order: str, serials: bool = True) -> str:
    """Return a DuckDB expression reading `column` (trimmed text) as a DATE, NULL when it is not a date.

    `serials`: whether an Excel serial number is a date. Only in a workbook: in a CSV's text, 45678 is a number.
    """
    day, month = _local_groups(date_order)
    serial = (f"WHEN regexp_full_match({column}, '{EXCEL_SERIAL_PATTERN}') "
              f"THEN DATE '1899-12-30' + CAST(CAST({column} AS DOUBLE) AS INTEGER) " if serials else "")
    return (
        f"CASE WHEN regexp_full_match({column}, '{ISO_PATTERN}') "
        f"THEN try_cast(regexp_replace({column}, '{ISO_PATTERN}', '\\1-\\2-\\3') AS DATE) "
        f"WHEN regexp_full_match({column}, '{LOCAL_PATTERN}') "
        f"THEN try_cast(regexp_replace({column}, '{LOCAL_PATTERN}', '\\3-\\{month}-\\{day}') AS DATE) "
        f"{serial}END"
    )

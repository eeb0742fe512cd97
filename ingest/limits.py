"""Checking a report file against the resource limits (store/limits.py) before the expensive read.

Every check runs on what is cheap to know: the file's size (stat), a CSV's line count from the one pass that hashes
it and its head rows, an .xlsx's zip directory (each member's size once unzipped) and each sheet's declared
dimension (the first bytes of its XML). The line length is enforced by DuckDB's reader as it goes.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ingest.errors import IngestError, UnreadableFile
from store.limits import WHAT, Limits

# <dimension ref="A1:AB2000"/> near the start of a worksheet's XML (ECMA-376 Part 1, §18.3.1.35).
DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')
SHEET = re.compile(r"xl/worksheets/sheet[^/]*\.xml")
HEAD_OF_SHEET = 4096


class LimitExceeded(IngestError):
    """The file is larger than a limit of the configuration allows."""

    refusal = "limit_exceeded"

    def __init__(self, file_name: str, key: str, found: int | str, limit: int) -> None:
        self.key = key
        super().__init__(
            f"{file_name} has {found} {WHAT[key]}, more than the limit of {limit:,} ([limits] {key} in the "
            f"configuration). Nothing was read. If the report is genuine, raise the limit there, e.g. "
            f"[limits] {key} = {limit * 2}; otherwise ask the processor for the report as it should be.")


def check(file_name: str, key: str, found: int, limits: Limits) -> None:
    """Refuse `found` when it is above the limit `key`."""
    limit = getattr(limits, key)
    if found > limit:
        raise LimitExceeded(file_name, key, f"{found:,}", limit)


def check_size(path: Path, limits: Limits) -> None:
    """The file's bytes, from the file system: before a byte is read."""
    check(path.name, "max_file_bytes", path.stat().st_size, limits)


def column_number(letters: str) -> int:
    """A column's number from its letters (A → 1, Z → 26, AA → 27)."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def check_workbook(path: Path, limits: Limits) -> None:
    """An .xlsx's sheets, its size once unzipped and each sheet's declared rows and columns, from the zip's directory
    and the first bytes of each sheet: a zip bomb is refused before anything is decompressed in full."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            check(path.name, "max_uncompressed_bytes", sum(m.file_size for m in members), limits)
            sheets = [m for m in members if SHEET.fullmatch(m.filename)]
            check(path.name, "max_sheets", len(sheets), limits)
            for sheet in sheets:
                with archive.open(sheet) as xml:
                    head = xml.read(HEAD_OF_SHEET)
                match = DIMENSION.search(head)
                if match and match[4]:
                    check(path.name, "max_rows", int(match[4]), limits)
                    check(path.name, "max_columns", column_number(match[3].decode("ascii")), limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise UnreadableFile(f"{path.name} could not be read as an Excel workbook ({exc}). Open it in Excel and save "
                             "it again as .xlsx, or export the report as CSV.") from None

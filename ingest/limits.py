"""Checking a report file against the resource limits (store/limits.py) before the expensive read.

Every check runs on what is cheap to know: the file's size (stat), a CSV's line count from the one pass that hashes
it and its head rows, an .xlsx's zip directory (each member's size once unzipped) and each sheet's declared
dimension (the first bytes of its XML). The line length is enforced by DuckDB's reader as it goes. Because a zip
directory can lie about sizes, every member of an .xlsx is then unzipped once as a stream, its real bytes counted
and none kept, and refused at the first byte past its declared size, before the workbook reader sees the file.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from ingest.errors import IngestError, UnreadableFile
from store.limits import WHAT, Limits

# <dimension ref="A1:AB2000"/> near the start of a worksheet's XML (ECMA-376 Part 1, §18.3.1.35).
DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]+)?(\d+)?(?::([A-Z]+)(\d+))?"')
SHEET = re.compile(r"xl/worksheets/sheet[^/]*\.xml")
HEAD_OF_SHEET = 4096
# A zip member's local file header (APPNOTE.TXT §4.3.7): signature, version, flags, method, time, date, CRC-32,
# compressed size, uncompressed size, name length, extra field length; 30 bytes, then the name and the extra field.
LOCAL_HEADER = struct.Struct("<4s5H3L2H")
LOCAL_MAGIC = b"PK\x03\x04"
CHUNK = 64 * 1024  # compressed bytes read at a time, and the most a chunk may inflate to past a member's size
STORED, DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED  # the two methods Excel writes (ECMA-376 Part 2, §C.2)


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
            # The sizes above are what the directory declares. A directory can lie (a bomb whose directory says
            # 1 KB): unzip every member once, counting the real bytes, and stop past what it declared.
            with path.open("rb") as raw:
                for member in members:
                    _inflate_within(path.name, raw, member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
        raise UnreadableFile(f"{path.name} could not be read as an Excel workbook ({exc}). Open it in Excel and save "
                             "it again as .xlsx, or export the report as CSV.") from None


class MisstatedSize(UnreadableFile):
    """An .xlsx member unzips to other bytes than the zip's directory declares: a damaged file or a disguised bomb."""

    def __init__(self, file_name: str, member: str, why: str) -> None:
        super().__init__(
            f"{file_name} could not be read as an Excel workbook: its part {member} {why}. Nothing was read. A "
            "damaged or tampered file; open it in Excel and save it again as .xlsx, or export the report as CSV.")


def _inflate_within(file_name: str, raw: BinaryIO, member: zipfile.ZipInfo) -> None:
    """Unzip `member` from the raw file, counting the bytes it really gives and keeping none of them; refuse it when
    it gives more than the directory declared (stopping there: at most CHUNK bytes past it are ever produced), fewer,
    or other bytes (CRC-32). Python's zipfile is not used for this: it trusts the declared size and stops at it."""
    declared = member.file_size
    raw.seek(member.header_offset)
    header = raw.read(LOCAL_HEADER.size)
    if len(header) < LOCAL_HEADER.size or not header.startswith(LOCAL_MAGIC):
        raise MisstatedSize(file_name, member.filename, "has no local header where the directory points")
    _, _, flags, method, _, _, _, _, local_size, name_length, extra_length = LOCAL_HEADER.unpack(header)
    if flags & 0x1:
        raise MisstatedSize(file_name, member.filename, "is encrypted")
    if local_size not in (declared, 0xFFFFFFFF) and not flags & 0x8:  # 0x8: sizes in a data descriptor after it
        raise MisstatedSize(file_name, member.filename, f"declares {local_size:,} bytes in its local header but "
                                                        f"{declared:,} in the directory")
    raw.seek(member.header_offset + LOCAL_HEADER.size + name_length + extra_length)
    if method not in (STORED, DEFLATED):
        raise MisstatedSize(file_name, member.filename, f"uses compression method {method}, which Excel never writes")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if method == DEFLATED else None
    produced, crc, left = 0, 0, member.compress_size
    while left > 0 and not (inflater and inflater.eof):
        data = raw.read(min(CHUNK, left))
        if not data:
            break
        left -= len(data)
        while True:
            # At most CHUNK bytes of output per step, whatever the ratio; the rest of the input waits in the tail.
            out = data if inflater is None else inflater.decompress(data, CHUNK)
            data = b"" if inflater is None else inflater.unconsumed_tail
            produced += len(out)
            crc = zlib.crc32(out, crc)
            if produced > declared:
                raise MisstatedSize(file_name, member.filename, f"unzips to more than the {declared:,} bytes its "
                                                                "directory declares")
            if inflater is None or inflater.eof or (not data and len(out) < CHUNK):
                break
    if (inflater is not None and not inflater.eof) or produced != declared:
        raise MisstatedSize(file_name, member.filename, f"unzips to {produced:,} bytes, not the {declared:,} its "
                                                        "directory declares")
    if crc != member.CRC:
        raise MisstatedSize(file_name, member.filename, "does not match its checksum (CRC-32)")

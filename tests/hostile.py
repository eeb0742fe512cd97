"""Hostile report files, built on the spot (never checked in): a shared-strings zip bomb, a workbook declaring a
huge sheet, too many sheets, a very wide CSV, a very long line. tests/test_limits.py and bench/limits.py use them."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '{sheets}'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>')
SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
              'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets>'
            '</workbook>')
WORKBOOK_SHEET = '<sheet name="Sheet{n}" sheetId="{n}" r:id="rId{n}"/>'
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
                 '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'sharedStrings" Target="sharedStrings.xml"/></Relationships>')
SHEET_REL = ('<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
             'worksheet" Target="worksheets/sheet{n}.xml"/>')
SHEET = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         '<dimension ref="{dimension}"/><sheetData>'
         '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
         '</sheetData></worksheet>')
SST_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<si><t>Dossiernummer</t></si><si><t>Datum ontvangst</t></si>')


def workbook(path: Path, *, sheets: int = 1, dimension: str = "A1:B1", shared_bytes: int = 0,
             zip64: bool = True) -> Path:
    """A minimal .xlsx: `sheets` worksheets declaring `dimension`, and shared strings padded to `shared_bytes` once
    unzipped (one string repeated: deflate shrinks it about a thousand times, as a shared-string bomb does)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        numbers = range(1, sheets + 1)
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(
            sheets="".join(SHEET_TYPE.format(n=n) for n in numbers)))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK.format(
            sheets="".join(WORKBOOK_SHEET.format(n=n) for n in numbers)))
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(
            rels="".join(SHEET_REL.format(n=n) for n in numbers)))
        for n in numbers:
            archive.writestr(f"xl/worksheets/sheet{n}.xml", SHEET.format(dimension=dimension))
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=zip64) as shared:
            shared.write(SST_HEAD.encode())
            block = b"<si><t>" + b"A" * 1_048_000 + b"</t></si>"
            written = 0
            while written < shared_bytes:
                shared.write(block)
                written += len(block)
            shared.write(b"</sst>")
    return path


def zip_bomb(path: Path, unzipped: int = 1_200 * 1024 * 1024) -> Path:
    """A workbook of a few MB whose shared strings unzip to `unzipped` bytes (1.2 GB by default)."""
    return workbook(path, shared_bytes=unzipped)


def wide_csv(path: Path, columns: int = 5_000, rows: int = 100) -> Path:
    """A CSV of `columns` columns: a header of known and unknown names, then `rows` rows."""
    header = ["Dossiernummer", "Datum ontvangst", "Soort verzoek", *(f"Kolom {i}" for i in range(3, columns))]
    lines = [";".join(header)]
    lines += [";".join([f"BC-{r}", "05-10-2026", "Inzage", *("x" for _ in range(3, columns))]) for r in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def long_line_csv(path: Path, line_bytes: int = 3 * 1024 * 1024) -> Path:
    """A Dutch report whose second case has a summary of `line_bytes` bytes on one line."""
    path.write_text("Dossiernummer;Datum ontvangst;Soort verzoek;Samenvatting\n"
                    "BC-1;05-10-2026;Inzage;kort\n"
                    f"BC-2;05-10-2026;Inzage;{'x' * line_bytes}\n"
                    "BC-3;06-10-2026;Inzage;kort\n", encoding="utf-8")
    return path


def lying_bomb(path: Path, unzipped: int = 1_200 * 1024 * 1024, declared: int = 4_096) -> Path:
    """A zip bomb whose directory lies: its shared strings unzip to `unzipped` bytes, but the central directory and
    the local header both declare `declared` (the sum of the declared sizes passes any limit on them)."""
    workbook(path, shared_bytes=unzipped, zip64=False)  # 32-bit sizes in both headers: under 4 GB
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("xl/sharedStrings.xml")
    local = member.header_offset
    data[local + 22: local + 26] = struct.pack("<L", declared)  # local header: uncompressed size
    end = data.rfind(b"PK\x05\x06")
    directory = struct.unpack_from("<L", data, end + 16)[0]
    entry = data.index(b"xl/sharedStrings.xml", directory) - 46
    assert data[entry: entry + 4] == b"PK\x01\x02"
    data[entry + 24: entry + 28] = struct.pack("<L", declared)  # central directory: uncompressed size
    path.write_bytes(bytes(data))
    return path
